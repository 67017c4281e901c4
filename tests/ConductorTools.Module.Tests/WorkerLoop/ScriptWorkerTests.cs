using ConductorTools.Model;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class ScriptWorkerTests
{
    private sealed class FakeInvoker(Func<ScriptCall, CancellationToken, Task<ScriptInvocation>> run) : IScriptInvoker
    {
        public List<ScriptCall> Calls { get; } = [];

        public Task<ScriptInvocation> InvokeAsync(ScriptCall call, CancellationToken cancellationToken)
        {
            Calls.Add(call);
            return run(call, cancellationToken);
        }
    }

    private static ConductorTask NewTask(string id, Dictionary<string, object?>? input = null) =>
        new() { TaskId = id, WorkflowInstanceId = "wf", TaskType = "echo", InputData = input, RetryCount = 2 };

    [Fact]
    public async Task Binds_runs_maps_and_records_each_task()
    {
        var invoker = new FakeInvoker((call, _) => Task.FromResult(new ScriptInvocation(
            [$"hello {call.Arguments["name"]}"], [new ScriptLogRecord(ScriptLogKind.Information, "said hello", DateTimeOffset.UtcNow)])));
        var worker = new ScriptWorker("echo", ScriptBindingPlan.Create(["name", "Task"]), invoker, "w-1");
        var records = new List<WorkerLoopTaskRecord>();
        worker.TaskFinished += records.Add;

        var task = NewTask("t1", new() { ["NAME"] = "Ada" });
        var result = await worker.HandleAsync(task, TestContext.Current.CancellationToken);

        Assert.Equal(TaskResultStatus.COMPLETED, result.Status);
        Assert.Equal("hello Ada", result.OutputData!["result"]);
        Assert.Equal("w-1", result.WorkerId);
        Assert.Same(task, invoker.Calls[0].Arguments["Task"]);
        var record = Assert.Single(records);
        Assert.Equal(("echo", "t1", "wf", TaskResultStatus.COMPLETED, 2), (record.TaskType, record.TaskId, record.WorkflowInstanceId, record.Status, record.RetryCount));
        Assert.Equal(["said hello"], record.Logs);
    }

    [Fact]
    public async Task Binding_failure_becomes_a_failed_result_and_the_script_is_not_run()
    {
        var invoker = new FakeInvoker((_, _) => throw new InvalidOperationException("must not run"));
        var worker = new ScriptWorker("echo", ScriptBindingPlan.Create(["Id"]), invoker);

        var result = await worker.HandleAsync(NewTask("t1", new() { ["ID"] = 1L, ["id"] = 2L }), TestContext.Current.CancellationToken);

        Assert.Equal(TaskResultStatus.FAILED, result.Status);
        Assert.Contains("Cannot bind parameter 'Id'", result.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.Empty(invoker.Calls);
    }

    [Fact]
    public async Task Host_failure_is_reported_as_a_failed_task_not_lost()
    {
        var invoker = new FakeInvoker((_, _) => Task.FromException<ScriptInvocation>(new InvalidOperationException("runspace broken")));
        var worker = new ScriptWorker("echo", ScriptBindingPlan.Create([]), invoker);

        var result = await worker.HandleAsync(NewTask("t1"), TestContext.Current.CancellationToken);

        Assert.Equal(TaskResultStatus.FAILED, result.Status);
        Assert.Equal("The script host failed: runspace broken", result.ReasonForIncompletion);
    }

    [Fact]
    public async Task Cancellation_propagates_so_the_runtime_hands_the_task_back()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var invoker = new FakeInvoker(async (_, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return new ScriptInvocation([], []);
        });
        var records = new List<WorkerLoopTaskRecord>();
        var worker = new ScriptWorker("echo", ScriptBindingPlan.Create([]), invoker);
        worker.TaskFinished += records.Add;
        using var cts = new CancellationTokenSource();

        var run = worker.HandleAsync(NewTask("t1"), cts.Token);
        await started.Task;
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(records);   // no result decided: the runtime hands the task back (WorkerRunnerTests count it)
    }
}
