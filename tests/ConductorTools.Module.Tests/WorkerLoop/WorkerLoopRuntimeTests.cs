using ConductorTools.Engine;
using ConductorTools.Model;
using ConductorTools.Workers;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

/// <summary>
/// The whole Invoke-WorkerLoop orchestration minus PowerShell: ScriptWorker (with a fake script invoker) on the real
/// worker runtime, against the real embedded engine. Every run is bounded by -Once, a task budget or a stop.
/// </summary>
public sealed class WorkerLoopRuntimeTests : IDisposable
{
    private readonly EmbeddedConductor _engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = EmbeddedConductorOptions.InMemory });
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _engine.Dispose();

    private sealed class FakeScript(Func<ScriptCall, CancellationToken, Task<ScriptInvocation>> run) : IScriptInvoker
    {
        public Task<ScriptInvocation> InvokeAsync(ScriptCall call, CancellationToken cancellationToken) => run(call, cancellationToken);
    }

    private async Task<string> NewTaskTypeAsync()
    {
        var name = "wl_" + Guid.NewGuid().ToString("N")[..10];
        await _engine.RegisterTaskDefsAsync([new TaskDef(name) { RetryCount = 0, ResponseTimeoutSeconds = 60 }], _ct);
        var wf = new WorkflowDef { Name = name + "_wf", Version = 1 };
        // A constant input: these tests do not depend on the engine's expression language.
        wf.Tasks.Add(new WorkflowTask { Name = name, TaskReferenceName = "t", Type = "SIMPLE", InputParameters = new() { ["n"] = 7L } });
        await _engine.RegisterWorkflowDefAsync(wf, overwrite: true, _ct);
        return name;
    }

    private async Task<List<string>> StartAsync(string taskType, int count)
    {
        var ids = new List<string>();
        for (var i = 1; i <= count; i++) ids.Add(await _engine.StartWorkflowAsync(taskType + "_wf", new Dictionary<string, object?>(), 1, cancellationToken: _ct));
        return ids;
    }

    private async Task<ConductorTask> TaskOfAsync(string workflowId) => (await _engine.GetWorkflowAsync(workflowId, true, _ct)).Tasks![0];

    private static (WorkerLoopWorker Worker, WorkerLoopTally Tally) Worker(string taskType, IScriptInvoker script, int concurrency = 1)
    {
        var tally = new WorkerLoopTally();
        var worker = new ScriptWorker(taskType, ScriptBindingPlan.Create(["n", "Task"]), script, tally, "test-worker");
        return (new WorkerLoopWorker(taskType, worker.HandleAsync, concurrency), tally);
    }

    private static WorkerLoopSettings Settings(int? maxTasks = null, bool once = false, TimeSpan? drain = null) => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(20),
        DrainTimeout = drain ?? TimeSpan.FromSeconds(10),
        StopConditions = WorkerLoopStopConditions.Create(maxTasks, null, null, once, DateTimeOffset.UtcNow),
    };

    private static long N(ScriptCall call) => Convert.ToInt64(call.Arguments["n"], System.Globalization.CultureInfo.InvariantCulture);

    // Doubles the input; fails the task of the workflow named in failFor.
    private static FakeScript Echo(string? failFor = null) => new((call, _) => Task.FromResult(
        call.Task.WorkflowInstanceId == failFor
            ? new ScriptInvocation([], [new ScriptLogRecord(ScriptLogKind.Warning, "not this one", DateTimeOffset.UtcNow)], new ScriptFailure("refused", "at line 1"))
            : new ScriptInvocation([new Dictionary<string, object?> { ["twice"] = N(call) * 2 }], [])));

    [Fact]
    public async Task Once_drains_the_queue_and_reports_every_result()
    {
        var type = await NewTaskTypeAsync();
        var ids = await StartAsync(type, 5);
        var (worker, tally) = Worker(type, Echo(failFor: ids[2]), concurrency: 2);

        var summary = await new WorkerLoopHost(new WorkerLoopRuntime(_engine)).RunAsync([worker], Settings(once: true), tally, _ct);

        Assert.Equal(WorkerLoopStopReason.QueuesEmpty, summary.StopReason);
        Assert.Equal((5, 4, 1), (summary.Polled, summary.Completed, summary.Failed));
        for (var i = 0; i < ids.Count; i++)
        {
            var task = await TaskOfAsync(ids[i]);
            if (i == 2)
            {
                Assert.Equal(ConductorTaskStatus.FAILED, task.Status);
                Assert.Equal("refused", task.ReasonForIncompletion);
            }
            else
            {
                Assert.Equal(ConductorTaskStatus.COMPLETED, task.Status);
                Assert.Equal(14L, Convert.ToInt64(task.OutputData!["twice"], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public async Task Max_tasks_takes_exactly_the_budget_and_leaves_the_rest_queued()
    {
        var type = await NewTaskTypeAsync();
        var ids = await StartAsync(type, 6);
        var (worker, tally) = Worker(type, Echo(), concurrency: 4);

        var summary = await new WorkerLoopHost(new WorkerLoopRuntime(_engine)).RunAsync([worker], Settings(maxTasks: 2), tally, _ct);

        Assert.Equal(WorkerLoopStopReason.MaxTasks, summary.StopReason);
        Assert.Equal(2, summary.Polled);
        var statuses = new List<ConductorTaskStatus?>();
        foreach (var id in ids) statuses.Add((await TaskOfAsync(id)).Status);
        Assert.Equal(2, statuses.Count(s => s == ConductorTaskStatus.COMPLETED));
        Assert.Equal(4, statuses.Count(s => s == ConductorTaskStatus.SCHEDULED));
    }

    [Fact]
    public async Task Stop_lets_the_running_script_finish_and_delivers_its_result()
    {
        var type = await NewTaskTypeAsync();
        var ids = await StartAsync(type, 1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var script = new FakeScript(async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return new ScriptInvocation(["finished"], []);
        });
        var (worker, tally) = Worker(type, script);
        using var stop = new CancellationTokenSource();

        var run = new WorkerLoopHost(new WorkerLoopRuntime(_engine)).RunAsync([worker], Settings(), tally, stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), _ct);
        await stop.CancelAsync();                 // Ctrl+C: no more polling...
        release.SetResult();                      // ...but the script in flight finishes within the drain timeout
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(30), _ct);

        Assert.Equal(WorkerLoopStopReason.Stopped, summary.StopReason);
        Assert.Equal((1, 0), (summary.Completed, summary.HandedBack));
        var task = await TaskOfAsync(ids[0]);
        Assert.Equal(ConductorTaskStatus.COMPLETED, task.Status);
        Assert.Equal("finished", task.OutputData!["result"]);
    }

    [Fact]
    public async Task A_script_that_outlives_the_drain_timeout_is_handed_back_not_stranded()
    {
        var type = await NewTaskTypeAsync();
        var ids = await StartAsync(type, 1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var script = new FakeScript(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);   // honours cancellation, as the PowerShell invokers do (BeginStop)
            return new ScriptInvocation([], []);
        });
        var (worker, tally) = Worker(type, script);
        using var stop = new CancellationTokenSource();

        var run = new WorkerLoopHost(new WorkerLoopRuntime(_engine)).RunAsync([worker], Settings(drain: TimeSpan.FromMilliseconds(200)), tally, stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), _ct);
        await stop.CancelAsync();
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(30), _ct);

        Assert.Equal(1, summary.HandedBack);
        Assert.Equal(0, summary.Completed + summary.Failed);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, (await TaskOfAsync(ids[0])).Status);
    }

    [Fact]
    public async Task Several_task_types_run_in_one_loop()
    {
        var a = await NewTaskTypeAsync();
        var b = await NewTaskTypeAsync();
        var ia = await StartAsync(a, 2);
        var ib = await StartAsync(b, 2);
        var tally = new WorkerLoopTally();
        WorkerLoopWorker Make(string type, string label) => new(type,
            new ScriptWorker(type, ScriptBindingPlan.Create([]), new FakeScript((_, _) => Task.FromResult(new ScriptInvocation([label], []))), tally).HandleAsync);

        var summary = await new WorkerLoopHost(new WorkerLoopRuntime(_engine)).RunAsync([Make(a, "A"), Make(b, "B")], Settings(once: true), tally, _ct);

        Assert.Equal(4, summary.Completed);
        Assert.Equal([a, b], summary.TaskTypes);
        Assert.Equal("A", (await TaskOfAsync(ia[1])).OutputData!["result"]);
        Assert.Equal("B", (await TaskOfAsync(ib[0])).OutputData!["result"]);
    }
}
