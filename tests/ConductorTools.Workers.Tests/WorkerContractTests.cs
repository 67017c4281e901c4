using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ConductorTools.Api;
using ConductorTools.Engine;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ConductorTools.Workers.Tests;

/// <summary>
/// The handler and delivery contract of issue 5: handler timeout from responseTimeoutSeconds, lease extension at 80 % of it,
/// separate auth/server backoff with a log line per failure, too-large results, exact free-slot polls and metric names.
/// Time-based behaviour runs on a fake clock shared by the engine and the runner, so nothing depends on the machine's speed.
/// </summary>
public class WorkerContractTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static EmbeddedConductor OpenOnClock(FakeTimeProvider clock) => EmbeddedConductor.Open(new EmbeddedConductorOptions
    {
        DatabasePath = EmbeddedConductorOptions.InMemory,
        TimeProvider = clock,
        StartSweeper = false, // the test sweeps when it wants the engine to look for timed-out tasks
    });

    private static WorkerOptions OnClock(bool leaseExtension, TimeSpan? handlerTimeout)
    {
        var options = TestWorkerOptions.Fast();
        options.LongPollTimeout = TimeSpan.Zero; // no server-side wait on the fake clock
        options.LeaseExtendEnabled = leaseExtension;
        options.HandlerTimeout = handlerTimeout;
        return options;
    }

    private static async Task<ConductorTask> TaskOf(IConductorApi api, string workflowId) => (await api.GetWorkflowAsync(workflowId)).Tasks.Single();

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("The condition did not hold in time.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Without_lease_extension_a_handler_is_cancelled_at_the_tasks_response_timeout_and_the_task_fails()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = OpenOnClock(clock);
        // An hour, so a limit running on the wall clock instead of the runner's clock could not fire during the test.
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "bounded", 1, responseTimeoutSeconds: 3600);
        var started = new TaskCompletionSource();
        var failed = new TaskCompletionSource<WorkerEvent>();
        var runner = new WorkerRunner(engine, [new WorkerDefinition("bounded", async (task, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return TaskResults.Complete(task);
        }, OnClock(leaseExtension: false, handlerTimeout: null))], TestWorkerOptions.Runner(), timeProvider: clock);
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.ExecutionFailed) failed.TrySetResult(e); };
        using var stop = new CancellationTokenSource();

        var run = runner.RunAsync(stop.Token);
        await started.Task.WaitAsync(Patience);
        clock.Advance(TimeSpan.FromSeconds(3599));
        await Task.Delay(100);
        Assert.False(failed.Task.IsCompleted, "the limit is the task's responseTimeoutSeconds, not less");
        clock.Advance(TimeSpan.FromSeconds(1));
        var e = await failed.Task.WaitAsync(Patience);
        await WaitForAsync(async () => (await TaskOf(engine, ids[0])).Status == ConductorTaskStatus.FAILED);
        stop.Cancel();
        var summary = await run.WaitAsync(Patience);

        Assert.Equal(1, summary.Failed);
        Assert.Equal(0, summary.HandedBack);
        var task = await TaskOf(engine, ids[0]);
        Assert.Contains("did not finish within 3600 s", task.ReasonForIncompletion);
        Assert.Contains("did not finish within 3600 s", e.Result!.ReasonForIncompletion);
    }

    [Fact]
    public async Task A_failed_lease_extension_is_retried_after_a_backoff_on_the_runners_clock_not_the_wall_clock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = OpenOnClock(clock);
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "lease_retry", 1, responseTimeoutSeconds: 10);
        var (api, faults) = FaultyApi.Wrap(engine);
        var leaseCalls = new ConcurrentQueue<DateTimeOffset>();
        faults.Before = name =>
        {
            if (name != nameof(IConductorApi.UpdateTaskAsync)) return;
            leaseCalls.Enqueue(clock.GetUtcNow());
            if (leaseCalls.Count == 1) throw FaultyApi.Transient("the first lease extension");
        };
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var extended = new SemaphoreSlim(0);
        var runner = new WorkerRunner(api, [new WorkerDefinition("lease_retry", async (task, ct) =>
        {
            started.TrySetResult();
            await release.Task;
            return TaskResults.Complete(task, null);
        }, OnClock(leaseExtension: true, handlerTimeout: null))], TestWorkerOptions.Runner(), timeProvider: clock);
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.LeaseExtended) extended.Release(); };
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await started.Task.WaitAsync(Patience);

        clock.Advance(TimeSpan.FromSeconds(8)); // the first extension is due, and fails
        await WaitForAsync(() => Task.FromResult(!leaseCalls.IsEmpty));
        // A second of real time without moving the runner's clock: a retry waiting on the wall clock would have gone out.
        Assert.False(await extended.WaitAsync(TimeSpan.FromSeconds(1)), "retried without the runner's clock moving");
        Assert.Single(leaseCalls);
        clock.Advance(TimeSpan.FromSeconds(1)); // past the first backoff (at most UpdateRetryDelay, 10 ms here)
        Assert.True(await extended.WaitAsync(Patience), "the retried lease extension");
        Assert.Equal(2, leaseCalls.Count);
        Assert.True(leaseCalls.Last() > leaseCalls.First(), "the retry happened later on the runner's clock");

        release.SetResult();
        await WaitForAsync(async () => (await engine.GetWorkflowAsync(ids[0])).Status == WorkflowStatus.COMPLETED);
        stop.Cancel();
        await run.WaitAsync(Patience);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Long_handlers_extend_their_lease_at_80_percent_of_the_response_timeout_so_the_task_is_not_timed_out(bool leaseExtension)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = OpenOnClock(clock);
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "long_haul", 1, responseTimeoutSeconds: 10);
        var (api, faults) = FaultyApi.Wrap(engine);
        var leaseUpdates = new ConcurrentQueue<(TaskResult Result, DateTimeOffset At)>();
        faults.Replace = (name, args) =>
        {
            if (name == nameof(IConductorApi.UpdateTaskAsync) && args![0] is TaskResult { ExtendLease: true } r) leaseUpdates.Enqueue((r, clock.GetUtcNow()));
            return null;
        };
        var started = new TaskCompletionSource<DateTimeOffset>();
        var release = new TaskCompletionSource();
        var extended = new SemaphoreSlim(0);
        // Without lease extension the handler gets an hour, so only the engine's response timeout can end it.
        var runner = new WorkerRunner(api, [new WorkerDefinition("long_haul", async (task, ct) =>
        {
            started.TrySetResult(clock.GetUtcNow());
            await release.Task;
            return TaskResults.Complete(task, new Dictionary<string, object?> { ["workflowId"] = task.WorkflowInstanceId });
        }, OnClock(leaseExtension, leaseExtension ? null : TimeSpan.FromHours(1)))], TestWorkerOptions.Runner(), timeProvider: clock);
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.LeaseExtended) extended.Release(); };
        using var stop = new CancellationTokenSource();

        var run = runner.RunAsync(stop.Token);
        var polledAt = await started.Task.WaitAsync(Patience);
        clock.Advance(TimeSpan.FromSeconds(8)); // 80 % of responseTimeoutSeconds
        if (leaseExtension) Assert.True(await extended.WaitAsync(Patience), "a lease extension at 8 s");
        clock.Advance(TimeSpan.FromSeconds(7)); // 15 s after the poll, 7 s after the extension
        await engine.SweepAsync();
        var during = await TaskOf(engine, ids[0]);

        if (!leaseExtension)
        {
            // The same procedure without extensions: the engine times the task out, so the check above means something.
            Assert.Equal(ConductorTaskStatus.TIMED_OUT, during.Status);
            Assert.Empty(leaseUpdates);
            release.SetResult();
            stop.Cancel();
            await run.WaitAsync(Patience);
            return;
        }

        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, during.Status);
        clock.Advance(TimeSpan.FromSeconds(1)); // 16 s: the second extension
        Assert.True(await extended.WaitAsync(Patience), "a second lease extension at 16 s");
        release.SetResult();
        await WaitForAsync(async () => (await engine.GetWorkflowAsync(ids[0])).Status == WorkflowStatus.COMPLETED);
        stop.Cancel();
        var summary = await run.WaitAsync(Patience);

        Assert.Equal(1, summary.Completed);
        var task = await TaskOf(engine, ids[0]);
        Assert.Equal(ConductorTaskStatus.COMPLETED, task.Status); // one task: never timed out, retried or re-polled
        Assert.Collection(leaseUpdates,
            first => Assert.Equal(polledAt + TimeSpan.FromSeconds(8), first.At),
            second => Assert.Equal(polledAt + TimeSpan.FromSeconds(16), second.At));
        Assert.All(leaseUpdates, u =>
        {
            Assert.Equal(TaskResultStatus.IN_PROGRESS, u.Result.Status);
            Assert.Equal(task.TaskId, u.Result.TaskId);
            Assert.Equal("test-worker", u.Result.WorkerId);
        });
    }

    [Fact]
    public async Task Auth_failures_and_server_failures_back_off_separately_and_each_gets_a_warning()
    {
        await using var engine = Backend.Open();
        var (api, faults) = FaultyApi.Wrap(engine);
        ConductorException Auth() => new("401 from test", ConductorErrorKind.Unauthorized, 401);
        ConductorException Server() => new("503 from test", ConductorErrorKind.Server, 503) { Retryable = true };
        // null: the poll goes through (an empty queue), which resets both schedules.
        var script = new ConcurrentQueue<Exception?>([Auth(), Auth(), Auth(), Server(), Server(), null, Auth()]);
        faults.Before = name =>
        {
            if (name == nameof(IConductorApi.BatchPollAsync) && script.TryDequeue(out var ex) && ex is not null) throw ex;
        };
        var runnerOptions = TestWorkerOptions.Runner();
        runnerOptions.AuthErrorDelay = TimeSpan.FromMilliseconds(40);
        runnerOptions.MaxAuthErrorDelay = TimeSpan.FromSeconds(10);
        runnerOptions.PollErrorDelay = TimeSpan.FromMilliseconds(4);
        runnerOptions.MaxPollErrorDelay = TimeSpan.FromSeconds(10);
        var logs = new ListLoggerProvider();
        var runner = new WorkerRunner(api, [new WorkerDefinition("guarded", Backend.Echo, TestWorkerOptions.Fast())], runnerOptions, logs);
        var failures = new ConcurrentQueue<WorkerEvent>();
        var sixth = new TaskCompletionSource();
        runner.Event += (_, e) =>
        {
            if (e.Kind != WorkerEventKind.PollFailed) return;
            failures.Enqueue(e);
            if (failures.Count == 6) sixth.TrySetResult();
        };
        using var stop = new CancellationTokenSource();

        var run = runner.RunAsync(stop.Token);
        await sixth.Task.WaitAsync(Patience);
        stop.Cancel();
        var summary = await run.WaitAsync(Patience);

        Assert.Equal(6, summary.PollErrors);
        // Equal jitter: each backoff is between half and all of first × 2^(n−1). Asserted on the computed delays, not on timing.
        static void Backoff(WorkerEvent e, bool auth, int n, double firstMs)
        {
            Assert.Equal(auth ? ConductorErrorKind.Unauthorized : ConductorErrorKind.Server, Assert.IsType<ConductorException>(e.Error).Kind);
            Assert.Equal(n, e.Count);
            var full = firstMs * Math.Pow(2, n - 1);
            Assert.InRange(e.Duration.TotalMilliseconds, full / 2 - 1, full + 1);
        }
        Assert.Collection(failures,
            e => Backoff(e, auth: true, 1, 40),
            e => Backoff(e, auth: true, 2, 40),
            e => Backoff(e, auth: true, 3, 40),
            e => Backoff(e, auth: false, 1, 4), // server errors start their own schedule after three auth errors
            e => Backoff(e, auth: false, 2, 4),
            e => Backoff(e, auth: true, 1, 40)); // a successful poll reset the auth schedule
        var warnings = logs.Entries.Where(l => l.Level == LogLevel.Warning && l.Message.StartsWith("Polling guarded failed", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, warnings.Count);
        Assert.Equal(4, warnings.Count(w => w.Message.Contains("(authorization)", StringComparison.Ordinal)));
        Assert.All(warnings, w => Assert.Contains("retrying in", w.Message));
    }

    [Fact]
    public async Task A_result_too_large_for_the_server_fails_the_task_terminally_with_a_clear_reason_and_error()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "bulky", 1, retryCount: 3);
        var (api, faults) = FaultyApi.Wrap(engine);
        var tooLarge = new ConductorException("Request body too large (413)", ConductorErrorKind.PayloadTooLarge, 413);
        faults.Replace = (name, args) => args is [TaskResult { OutputData: { } output }, ..] && output.ContainsKey("blob")
            ? name switch
            {
                nameof(IConductorApi.UpdateTaskV2Async) => Task.FromException<ConductorTask?>(tooLarge),
                nameof(IConductorApi.UpdateTaskAsync) => Task.FromException<string>(tooLarge),
                _ => null,
            }
            : null;
        var logs = new ListLoggerProvider();
        var runner = new WorkerRunner(api, [new WorkerDefinition("bulky", (task, _) =>
            Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?> { ["blob"] = new string('x', 200_000) })), TestWorkerOptions.Fast())],
            TestWorkerOptions.Runner(), logs);
        var updateFailures = new ConcurrentQueue<WorkerEvent>();
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.UpdateFailed) updateFailures.Enqueue(e); };

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true }).WaitAsync(Patience);

        Assert.Equal(0, summary.Completed);
        Assert.Equal(1, summary.Failed);
        var failure = Assert.Single(updateFailures);
        Assert.Equal(ConductorErrorKind.PayloadTooLarge, Assert.IsType<ConductorException>(failure.Error).Kind);
        var workflow = await engine.GetWorkflowAsync(ids[0]);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        var task = Assert.Single(workflow.Tasks); // terminal: not retried although the definition allows 3 retries
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, task.Status);
        Assert.Contains("too large for the Conductor server (413)", task.ReasonForIncompletion);
        Assert.Contains("KiB", task.ReasonForIncompletion);
        Assert.Contains(logs.Entries, l => l.Level == LogLevel.Error && l.Message.Contains("too large", StringComparison.Ordinal) && l.Message.Contains(task.TaskId!, StringComparison.Ordinal));
        Assert.Equal(0, runner.PendingResults);
    }

    [Fact]
    public async Task Polls_ask_for_exactly_the_free_slots()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "slotted", 12);
        var (api, faults) = FaultyApi.Wrap(engine);
        var running = 0;
        var polls = new ConcurrentQueue<(int Count, int Running)>();
        faults.Replace = (name, args) =>
        {
            if (name == nameof(IConductorApi.BatchPollAsync)) polls.Enqueue(((int)args![1]!, Volatile.Read(ref running)));
            return null;
        };
        var runner = new WorkerRunner(api, [new WorkerDefinition("slotted", async (task, ct) =>
        {
            Interlocked.Increment(ref running);
            await Task.Delay(20, ct);
            Interlocked.Decrement(ref running);
            return TaskResults.Complete(task);
        }, TestWorkerOptions.Fast(concurrency: 3))], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true }).WaitAsync(Patience);

        Assert.Equal(12, summary.Completed);
        Assert.Equal(3, polls.First().Count); // all slots free: one batch poll for all of them
        Assert.All(polls, p => Assert.InRange(p.Count + p.Running, 1, 3));
    }

    [Fact]
    public async Task Metrics_use_the_sdks_canonical_names_tagged_with_the_task_type()
    {
        const string taskType = "metered_probe";
        var measured = new ConcurrentDictionary<string, int>();
        var exceptionTags = new ConcurrentDictionary<string, string>();
        var published = new ConcurrentBag<string>();
        long activeSeen = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name != WorkerMetrics.MeterName) return;
            published.Add(instrument.Name);
            l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? type = null, exception = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "taskType") type = tag.Value as string;
                if (tag.Key == "exception") exception = tag.Value as string;
            }
            if (type != taskType) return;
            measured.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1);
            if (exception is not null) exceptionTags[instrument.Name] = exception;
            if (instrument.Name == "active_workers" && value > 0) Interlocked.Exchange(ref activeSeen, (long)value);
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, taskType, 3);
        var (api, faults) = FaultyApi.Wrap(engine);
        var pollFault = 0;
        var updateFault = 0;
        faults.Before = name =>
        {
            if (name == nameof(IConductorApi.BatchPollAsync) && Interlocked.Exchange(ref pollFault, 1) == 0) throw FaultyApi.Transient(name);
            if (name == nameof(IConductorApi.UpdateTaskV2Async) && Interlocked.Exchange(ref updateFault, 1) == 0) throw FaultyApi.Transient(name);
        };
        var options = TestWorkerOptions.Fast();
        options.Paused = true;
        var runner = new WorkerRunner(api, [new WorkerDefinition(taskType, (task, ct) =>
        {
            listener.RecordObservableInstruments(); // active_workers while this handler runs
            if (task.WorkflowInstanceId == ids[0]) throw new InvalidOperationException("handler failure for the metrics test");
            return Backend.Echo(task, ct);
        }, options)], TestWorkerOptions.Runner());
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await WaitForAsync(() => Task.FromResult(measured.ContainsKey("task_paused_total")));
        runner.Resume(taskType);
        await WaitForAsync(async () =>
        {
            foreach (var id in ids)
            {
                if ((await engine.GetWorkflowAsync(id)).Status == WorkflowStatus.RUNNING) return false;
            }
            return true;
        });
        stop.Cancel();
        await run.WaitAsync(Patience);

        Assert.All(WorkerMetrics.InstrumentNames, name => Assert.Contains(name, published));
        Assert.All(WorkerMetrics.InstrumentNames, name => Assert.True(measured.ContainsKey(name), $"{name} recorded with taskType={taskType}"));
        Assert.Equal(1, Interlocked.Read(ref activeSeen));
        Assert.Equal(nameof(ConductorException), exceptionTags["task_poll_error_total"]);
        Assert.Equal(nameof(ConductorException), exceptionTags["task_update_error_total"]);
        Assert.Equal(nameof(InvalidOperationException), exceptionTags["task_execute_error_total"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Update_v2_chains_the_next_task_into_the_same_slot_without_polling(bool useUpdateV2)
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "chained", 20);
        var (api, faults) = FaultyApi.Wrap(engine);
        var calls = new ConcurrentDictionary<string, int>();
        faults.Before = name => calls.AddOrUpdate(name, 1, (_, n) => n + 1);
        var runnerOptions = TestWorkerOptions.Runner();
        runnerOptions.UseUpdateV2 = useUpdateV2;
        var runner = new WorkerRunner(api, [new WorkerDefinition("chained", Backend.Echo, TestWorkerOptions.Fast(concurrency: 1))], runnerOptions);

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true }).WaitAsync(Patience);

        Assert.Equal(20, summary.Polled);
        Assert.Equal(20, summary.Completed);
        var polls = calls.GetValueOrDefault(nameof(IConductorApi.BatchPollAsync));
        if (useUpdateV2)
        {
            Assert.Equal(20, calls.GetValueOrDefault(nameof(IConductorApi.UpdateTaskV2Async)));
            Assert.InRange(polls, 1, 3); // the first task, then the empty poll that ends the run
        }
        else
        {
            Assert.Equal(20, calls.GetValueOrDefault(nameof(IConductorApi.UpdateTaskAsync)));
            Assert.InRange(polls, 20, int.MaxValue);
        }
        foreach (var id in ids) Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(id)).Status);
    }

    [Fact]
    public async Task A_worker_with_a_domain_polls_only_that_domain_and_reports_its_worker_id()
    {
        await using var engine = Backend.Open();
        var plain = await OneTaskWorkflow.RegisterAndStartAsync(engine, "routed", 1);
        var blue = await engine.StartWorkflowAsync(new StartWorkflowRequest
        {
            Name = "wf_routed",
            Input = new Dictionary<string, object?>(),
            TaskToDomain = new Dictionary<string, string> { ["routed"] = "blue" },
        });
        var options = TestWorkerOptions.Fast();
        options.Domain = "blue";
        options.WorkerId = "blue-worker-1";
        var runner = new WorkerRunner(engine, [new WorkerDefinition("routed", Backend.Echo, options)], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true }).WaitAsync(Patience);

        Assert.Equal(1, summary.Completed);
        var done = await TaskOf(engine, blue);
        Assert.Equal(ConductorTaskStatus.COMPLETED, done.Status);
        Assert.Equal("blue", done.Domain);
        Assert.Equal("blue-worker-1", done.WorkerId);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, (await TaskOf(engine, plain[0])).Status); // the default queue is left alone
    }
}
