using Microsoft.Extensions.Time.Testing;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>An in-memory engine on a manual clock with the sweeper off: tests move time and sweep explicitly.</summary>
public abstract class EngineTestBase : IAsyncLifetime
{
    protected FakeTimeProvider Clock { get; } = new();

    protected EmbeddedConductor Engine { get; private set; } = null!;

    protected CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual ValueTask InitializeAsync()
    {
        Engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
        {
            DatabasePath = EmbeddedConductorOptions.InMemory,
            TimeProvider = Clock,
            StartSweeper = false,
        });
        return default;
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected static WorkflowTask Simple(string name, string? reference = null, Dictionary<string, object?>? input = null) =>
        new() { Name = name, TaskReferenceName = reference ?? name, Type = WorkflowTaskTypes.Simple, InputParameters = input };

    protected static WorkflowDef Def(string name, params WorkflowTask[] tasks) =>
        new() { Name = name, Version = 1, Tasks = tasks.ToList() };

    protected async Task<string> StartAsync(WorkflowDef def, Dictionary<string, object?>? input = null, string? correlationId = null,
        Dictionary<string, string>? taskToDomain = null)
    {
        await Engine.RegisterWorkflowDefAsync(def, overwrite: true, Ct);
        return await Engine.StartWorkflowAsync(new StartWorkflowRequest
        {
            Name = def.Name,
            Input = input ?? new Dictionary<string, object?>(),
            CorrelationId = correlationId,
            TaskToDomain = taskToDomain,
        }, Ct);
    }

    protected async Task<ConductorTask> PollOneAsync(string taskType, string? domain = null, string workerId = "w1")
    {
        var task = await Engine.PollAsync(taskType, workerId, domain, Ct);
        Assert.NotNull(task);
        return task!;
    }

    protected Task CompleteAsync(ConductorTask task, Dictionary<string, object?>? output = null) =>
        Engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED)
        {
            OutputData = output ?? new Dictionary<string, object?>(),
        }, Ct);

    protected Task FailAsync(ConductorTask task, string reason = "boom", TaskResultStatus status = TaskResultStatus.FAILED) =>
        Engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, status) { ReasonForIncompletion = reason }, Ct);

    protected Task<Workflow> GetAsync(string workflowId) => Engine.GetWorkflowAsync(workflowId, true, Ct);

    protected async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await Engine.SweepAsync(Ct);
    }
}
