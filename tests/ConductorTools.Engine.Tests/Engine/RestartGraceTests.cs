using Microsoft.Extensions.Time.Testing;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: after a restart, response timeouts count from the engine's start, so a short downtime does not
/// time out tasks whose workers were waiting for the server; and a late update to a task that has already ended gets
/// what conductor-oss answers (accepted, ignored).</summary>
public sealed class RestartGraceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ct-grace-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Database => Path.Combine(_directory, "conductor.db");

    private EmbeddedConductor Open() =>
        EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = Database, TimeProvider = _clock, StartSweeper = false });

    /// <summary>A workflow with one task (response timeout 10 s, no retries) polled by a worker, then the engine stops.</summary>
    private async Task<ConductorTask> PolledBeforeTheStopAsync()
    {
        await using var engine = Open();
        await engine.RegisterTaskDefsAsync([new TaskDef("graced") { ResponseTimeoutSeconds = 10, RetryCount = 0 }], Ct);
        await engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "graced_wf",
            Tasks = [new WorkflowTask { Name = "graced", TaskReferenceName = "only", Type = WorkflowTaskTypes.Simple }],
        }, overwrite: true, Ct);
        await engine.StartWorkflowAsync("graced_wf", new Dictionary<string, object?>(), cancellationToken: Ct);
        return Assert.Single(await engine.BatchPollAsync("graced", 1, TimeSpan.Zero, "w1", null, Ct));
    }

    [Fact]
    public async Task A_task_polled_before_a_downtime_gets_its_whole_response_timeout_after_the_restart()
    {
        var task = await PolledBeforeTheStopAsync();
        _clock.Advance(TimeSpan.FromSeconds(30)); // down for longer than the response timeout

        await using var engine = Open();
        _clock.Advance(TimeSpan.FromSeconds(9));
        await engine.SweepAsync(Ct);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await engine.GetTaskAsync(task.TaskId!, Ct)).Status);

        // The worker's result, retried while the server was down, lands.
        await engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED)
        {
            OutputData = new Dictionary<string, object?> { ["ok"] = true },
        }, Ct);
        Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(task.WorkflowInstanceId!, true, Ct)).Status);
    }

    [Fact]
    public async Task A_task_whose_worker_stays_silent_after_the_restart_times_out_a_response_timeout_after_it()
    {
        var task = await PolledBeforeTheStopAsync();
        _clock.Advance(TimeSpan.FromSeconds(30));

        await using var engine = Open();
        _clock.Advance(TimeSpan.FromSeconds(10));
        await engine.SweepAsync(Ct);

        var timedOut = await engine.GetTaskAsync(task.TaskId!, Ct);
        Assert.Equal(ConductorTaskStatus.TIMED_OUT, timedOut.Status);
        Assert.Equal(WorkflowStatus.TIMED_OUT, (await engine.GetWorkflowAsync(task.WorkflowInstanceId!, false, Ct)).Status);

        // A late result: accepted and ignored, as conductor-oss's WorkflowExecutorOps.updateTask does for a terminal task.
        Assert.Equal(task.TaskId, await engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED)
        {
            OutputData = new Dictionary<string, object?> { ["late"] = true },
        }, Ct));
        var after = await engine.GetTaskAsync(task.TaskId!, Ct);
        Assert.Equal(ConductorTaskStatus.TIMED_OUT, after.Status);
        Assert.False(after.OutputData?.ContainsKey("late") ?? false);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
