using ConductorTools.Model;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class WorkerLoopHostTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 11, 0, 0, TimeSpan.Zero);

    /// <summary>A clock that only moves when told; its one timer fires when the test advances past it.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private readonly List<(DateTimeOffset Due, TimerCallback Callback, object? State)> _timers = [];
        public DateTimeOffset Now { get; private set; } = Start;
        public override DateTimeOffset GetUtcNow() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_timers) _timers.Add((Now + dueTime, callback, state));
            return new NoTimer();
        }

        public void Advance(TimeSpan by)
        {
            Now += by;
            List<(DateTimeOffset Due, TimerCallback Callback, object? State)> due;
            lock (_timers)
            {
                due = _timers.Where(t => t.Due <= Now).ToList();
                _timers.RemoveAll(t => t.Due <= Now);
            }
            foreach (var t in due) t.Callback(t.State);
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;
            public void Dispose() { }
            public ValueTask DisposeAsync() => default;
        }
    }

    /// <summary>Stands in for the worker runtime: feeds queued tasks to the handlers the way the runtime would.</summary>
    private sealed class FakeRuntime(Queue<ConductorTask> queue) : IWorkerLoopRuntime
    {
        public int? MaxTasks { get; private set; }
        public bool StopWhenIdle { get; private set; }
        public List<TaskResult> Reported { get; } = [];
        public Func<CancellationToken, Task>? WhileIdle { get; init; }

        public async Task RunAsync(IReadOnlyList<WorkerLoopWorker> workers, WorkerLoopSettings settings, int? maxTasks, bool stopWhenIdle,
            WorkerLoopTally tally, CancellationToken stopPolling)
        {
            MaxTasks = maxTasks;
            StopWhenIdle = stopWhenIdle;
            var taken = 0;
            while (!stopPolling.IsCancellationRequested && (maxTasks is null || taken < maxTasks))
            {
                if (queue.Count == 0)
                {
                    if (stopWhenIdle) return;
                    if (WhileIdle is not null) await WhileIdle(stopPolling);
                    continue;
                }
                var task = queue.Dequeue();
                taken++;
                tally.AddPolled(1);
                var worker = workers.Single(w => w.TaskType == task.TaskType);
                Reported.Add(await worker.Handler(task, CancellationToken.None));
            }
        }
    }

    private sealed class EchoInvoker : IScriptInvoker
    {
        public Task<ScriptInvocation> InvokeAsync(ScriptCall call, CancellationToken cancellationToken) =>
            Task.FromResult(call.Task.InputData?["fail"] is true
                ? new ScriptInvocation([], [], new ScriptFailure("asked to fail"))
                : new ScriptInvocation([call.Arguments["n"]], []));
    }

    private static Queue<ConductorTask> Tasks(int count, string type = "echo") =>
        new(Enumerable.Range(1, count).Select(i => new ConductorTask
        {
            TaskId = $"t{i}", WorkflowInstanceId = "wf", TaskType = type,
            InputData = new() { ["n"] = (long)i, ["fail"] = i % 3 == 0 },
        }));

    private static (WorkerLoopWorker Worker, WorkerLoopTally Tally) ScriptWorkerFor(string type = "echo")
    {
        var tally = new WorkerLoopTally();
        var script = new ScriptWorker(type, ScriptBindingPlan.Create(["n"]), new EchoInvoker(), tally, "w1");
        return (new WorkerLoopWorker(type, script.HandleAsync), tally);
    }

    private static WorkerLoopSettings Settings(int? maxTasks = null, TimeSpan? duration = null, bool once = false) =>
        new() { StopConditions = WorkerLoopStopConditions.Create(maxTasks, duration, null, once, Start) };

    [Fact]
    public async Task Once_runs_what_is_queued_then_returns_with_a_summary()
    {
        var runtime = new FakeRuntime(Tasks(6));
        var (worker, tally) = ScriptWorkerFor();

        var summary = await new WorkerLoopHost(runtime, new ManualTime()).RunAsync([worker], Settings(once: true), tally, TestContext.Current.CancellationToken);

        Assert.True(runtime.StopWhenIdle);
        Assert.Equal(WorkerLoopStopReason.QueuesEmpty, summary.StopReason);
        Assert.Equal((6, 4, 2), (summary.Polled, summary.Completed, summary.Failed));
        Assert.Equal(["echo"], summary.TaskTypes);
        Assert.Equal(TaskResultStatus.FAILED, runtime.Reported[2].Status);
        Assert.Equal(5L, runtime.Reported[4].OutputData!["result"]);
    }

    [Fact]
    public async Task Max_tasks_is_passed_to_the_runtime_as_a_budget()
    {
        var runtime = new FakeRuntime(Tasks(10));
        var (worker, tally) = ScriptWorkerFor();

        var summary = await new WorkerLoopHost(runtime, new ManualTime()).RunAsync([worker], Settings(maxTasks: 4), tally, TestContext.Current.CancellationToken);

        Assert.Equal(4, runtime.MaxTasks);
        Assert.Equal(WorkerLoopStopReason.MaxTasks, summary.StopReason);
        Assert.Equal(4, summary.Polled);
        Assert.Equal(4, runtime.Reported.Count);
    }

    [Fact]
    public async Task Deadline_stops_polling_on_the_clock()
    {
        var time = new ManualTime();
        var idle = new SemaphoreSlim(0);
        var runtime = new FakeRuntime(Tasks(0))
        {
            WhileIdle = async ct =>
            {
                idle.Release();
                await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            },
        };
        var (worker, tally) = ScriptWorkerFor();

        var run = new WorkerLoopHost(runtime, time).RunAsync([worker], Settings(duration: TimeSpan.FromMinutes(5)), tally, TestContext.Current.CancellationToken);
        await idle.WaitAsync(TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromMinutes(1));
        var summary = await run;

        Assert.Equal(WorkerLoopStopReason.Deadline, summary.StopReason);
        Assert.Equal(TimeSpan.FromMinutes(5), summary.Duration);
    }

    [Fact]
    public async Task Stop_token_stops_polling_and_reports_stopped()
    {
        var idle = new SemaphoreSlim(0);
        var runtime = new FakeRuntime(Tasks(2))
        {
            WhileIdle = async ct =>
            {
                idle.Release();
                await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            },
        };
        var (worker, tally) = ScriptWorkerFor();
        using var stop = new CancellationTokenSource();

        var run = new WorkerLoopHost(runtime, new ManualTime()).RunAsync([worker], Settings(), tally, stop.Token);
        await idle.WaitAsync(TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var summary = await run;

        Assert.Equal(WorkerLoopStopReason.Stopped, summary.StopReason);
        Assert.Equal(2, summary.Completed);
    }

    [Fact]
    public async Task Rejects_no_workers_and_duplicate_task_types()
    {
        var host = new WorkerLoopHost(new FakeRuntime(Tasks(0)), new ManualTime());
        var (worker, tally) = ScriptWorkerFor();
        await Assert.ThrowsAsync<ArgumentException>(() => host.RunAsync([], Settings(once: true), tally, TestContext.Current.CancellationToken));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => host.RunAsync([worker, worker], Settings(once: true), tally, TestContext.Current.CancellationToken));
        Assert.Contains("'echo'", e.Message, StringComparison.Ordinal);
    }
}
