using System.Collections.Concurrent;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Workers.Tests;

public class WorkerRunnerTests
{
    private static async Task AssertAllCompleted(IConductorApi api, IEnumerable<string> workflowIds)
    {
        foreach (var id in workflowIds)
        {
            var wf = await api.GetWorkflowAsync(id);
            Assert.Equal(WorkflowStatus.COMPLETED, wf.Status);
            var task = Assert.Single(wf.Tasks); // never failed, retried or completed twice
            Assert.Equal(id, task.OutputData!["workflowId"]); // the result landed in its own workflow
        }
    }

    [Fact]
    public async Task Runs_queued_work_to_completion_and_stops_when_idle()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "double", 40);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("double", Backend.Echo, TestWorkerOptions.Fast(concurrency: 4))], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });

        Assert.Equal(40, summary.Polled);
        Assert.Equal(40, summary.Completed);
        Assert.Equal(0, summary.Failed);
        await AssertAllCompleted(engine, ids);
    }

    [Fact]
    public async Task Never_runs_more_than_its_concurrency_and_respects_a_task_budget()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "limited", 12);
        var running = 0;
        var peak = 0;
        var runner = new WorkerRunner(engine, [new WorkerDefinition("limited", async (task, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(20, ct);
            Interlocked.Decrement(ref running);
            return TaskResults.Complete(task);
        }, TestWorkerOptions.Fast(concurrency: 3))], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = 7 });

        Assert.Equal(7, summary.Polled);
        Assert.Equal(7, summary.Completed);
        Assert.InRange(peak, 1, 3);
        Assert.Equal(5, await engine.GetQueueSizeAsync("limited"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    [Fact]
    public async Task Exceptions_fail_the_task_with_message_and_stack_and_non_retryable_is_terminal()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "boom", 2);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("boom", (task, _) =>
            task.WorkflowInstanceId == ids[0]
                ? throw new InvalidOperationException("disk full")
                : throw new NonRetryableException("bad input"), TestWorkerOptions.Fast())], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });

        Assert.Equal(2, summary.Failed);
        var first = (await engine.GetWorkflowAsync(ids[0])).Tasks.Single();
        Assert.Equal(ConductorTaskStatus.FAILED, first.Status);
        Assert.Equal("disk full", first.ReasonForIncompletion);
        var logs = await engine.GetTaskLogsAsync(first.TaskId!);
        Assert.Contains(logs, l => l.Log!.Contains("InvalidOperationException", StringComparison.Ordinal) && l.Log.Contains(" at ", StringComparison.Ordinal));
        var second = (await engine.GetWorkflowAsync(ids[1])).Tasks.Single();
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, second.Status);
        Assert.Equal("bad input", second.ReasonForIncompletion);
    }

    [Fact]
    public async Task In_progress_results_requeue_the_task_until_it_completes()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "slowpoke", 1);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("slowpoke", (task, _) =>
            Task.FromResult(task.PollCount < 3
                ? TaskResults.InProgress(task, 0, new Dictionary<string, object?> { ["progress"] = task.PollCount })
                : TaskResults.Complete(task, new Dictionary<string, object?> { ["workflowId"] = task.WorkflowInstanceId })), TestWorkerOptions.Fast())], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });

        Assert.Equal(2, summary.InProgress);
        Assert.Equal(1, summary.Completed);
        Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(ids[0])).Status);
    }

    [Fact]
    public async Task A_cycle_hands_back_what_it_cannot_finish_and_returns_by_its_deadline()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "stuck", 1);
        var options = TestWorkerOptions.Fast();
        options.ExpectedExecutionTime = TimeSpan.Zero;
        var runnerOptions = TestWorkerOptions.Runner();
        runnerOptions.HandBackMargin = TimeSpan.FromMilliseconds(500);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("stuck", async (task, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return TaskResults.Complete(task);
        }, options)], runnerOptions);

        var deadline = DateTimeOffset.UtcNow.AddSeconds(2);
        var summary = await runner.RunCycleAsync(deadline);

        Assert.True(DateTimeOffset.UtcNow < deadline.AddSeconds(1), "the cycle must return by its deadline");
        Assert.Equal(1, summary.Polled);
        Assert.Equal(1, summary.HandedBack);
        var task = (await engine.GetWorkflowAsync(ids[0])).Tasks.Single();
        Assert.Equal(ConductorTaskStatus.SCHEDULED, task.Status); // pollable again at once, not stranded
        Assert.Equal(1, await engine.GetQueueSizeAsync("stuck"));
    }

    [Fact]
    public async Task Stopping_lets_in_flight_handlers_finish_and_delivers_their_results()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "drain", 1);
        var started = new TaskCompletionSource();
        var runner = new WorkerRunner(engine, [new WorkerDefinition("drain", async (task, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(300, CancellationToken.None);
            return TaskResults.Complete(task, new Dictionary<string, object?> { ["workflowId"] = task.WorkflowInstanceId });
        }, TestWorkerOptions.Fast())], TestWorkerOptions.Runner());
        using var stop = new CancellationTokenSource();

        var run = runner.RunAsync(stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        stop.Cancel();
        var summary = await run;

        Assert.Equal(1, summary.Completed);
        Assert.Equal(0, summary.HandedBack);
        Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(ids[0])).Status);
    }

    [Fact]
    public async Task A_passing_500_with_a_conductor_body_is_retried_and_a_lasting_one_is_given_up_after_three_tries()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "gateway", 2);
        var (api, faults) = FaultyApi.Wrap(engine);
        var updateCalls = 0;
        faults.Before = name =>
        {
            // The first four updates are refused: the first result on all three of its tries, the second once.
            if (name is nameof(IConductorApi.UpdateTaskV2Async) or nameof(IConductorApi.UpdateTaskAsync)
                && Interlocked.Increment(ref updateCalls) <= 4)
            {
                throw ConductorException.InvalidState("Refused by a gateway");
            }
        };
        var runner = new WorkerRunner(api, [new WorkerDefinition("gateway", Backend.Echo, TestWorkerOptions.Fast(concurrency: 1))], TestWorkerOptions.Runner());
        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = 2 });

        Assert.Equal(1, summary.UpdateFailures);
        Assert.Equal(3, summary.UpdateRetries);
        Assert.Equal(0, runner.PendingResults);
        var statuses = new List<WorkflowStatus>();
        foreach (var id in ids) statuses.Add((await engine.GetWorkflowAsync(id)).Status);
        Assert.Equal(1, statuses.Count(s => s == WorkflowStatus.COMPLETED));
    }

    [Fact]
    public async Task Transient_update_failures_and_lost_responses_lose_nothing_and_complete_nothing_twice()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "flaky", 60);
        var (api, faults) = FaultyApi.Wrap(engine);
        var random = new Random(42);
        bool Chance(double p) { lock (random) return random.NextDouble() < p; }
        var executions = new ConcurrentDictionary<string, int>();
        faults.Before = name =>
        {
            if (name is nameof(IConductorApi.UpdateTaskV2Async) or nameof(IConductorApi.UpdateTaskAsync) or nameof(IConductorApi.BatchPollAsync)
                && Chance(0.25))
            {
                throw FaultyApi.Transient(name);
            }
        };
        faults.After = name =>
        {
            // The server applied the update but the response never arrived. (A lost update-v2 answer would also lose the
            // next task it handed out until its response timeout, as a lost poll answer does: protocol, not runtime.)
            if (name is nameof(IConductorApi.UpdateTaskAsync) && Chance(0.3)) throw FaultyApi.Transient(name + " response");
        };
        var runner = new WorkerRunner(api, [new WorkerDefinition("flaky", (task, ct) =>
        {
            executions.AddOrUpdate(task.TaskId!, 1, (_, c) => c + 1);
            return Backend.Echo(task, ct);
        }, TestWorkerOptions.Fast(concurrency: 4))], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });

        Assert.True(summary.UpdateRetries > 0 || summary.PollErrors > 0, "faults were injected");
        Assert.All(executions.Values, c => Assert.Equal(1, c));
        Assert.Equal(0, runner.PendingResults);
        await AssertAllCompleted(engine, ids);
    }

    [Fact]
    public async Task Undeliverable_results_are_kept_on_disk_and_delivered_by_the_next_run()
    {
        var outbox = Path.Combine(Path.GetTempPath(), "ct-outbox-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var engine = Backend.Open();
            var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "offline", 1);
            var (api, faults) = FaultyApi.Wrap(engine);
            faults.Before = name =>
            {
                if (name is nameof(IConductorApi.UpdateTaskV2Async) or nameof(IConductorApi.UpdateTaskAsync)) throw FaultyApi.Transient(name);
            };
            var down = new WorkerRunner(api, [new WorkerDefinition("offline", Backend.Echo, TestWorkerOptions.Fast())], TestWorkerOptions.Runner(outbox));
            var summary = await down.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = 1 });
            Assert.Equal(1, summary.Completed);
            Assert.Single(Directory.GetFiles(outbox, "*.json"));
            Assert.Equal(WorkflowStatus.RUNNING, (await engine.GetWorkflowAsync(ids[0])).Status);

            // Next start, server reachable again: the kept result is delivered before anything else.
            var up = new WorkerRunner(engine, [new WorkerDefinition("offline", Backend.Echo, TestWorkerOptions.Fast())], TestWorkerOptions.Runner(outbox));
            await up.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = 0 });
            Assert.Empty(Directory.GetFiles(outbox, "*.json"));
            Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(ids[0])).Status);
        }
        finally
        {
            if (Directory.Exists(outbox)) Directory.Delete(outbox, recursive: true);
        }
    }

    [Fact]
    public async Task Surplus_tasks_from_a_server_that_returns_more_than_asked_are_handed_back()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "greedy", 3);
        var (api, faults) = FaultyApi.Wrap(engine);
        var first = 0;
        faults.Replace = (name, args) =>
        {
            if (name != nameof(IConductorApi.BatchPollAsync) || Interlocked.Exchange(ref first, 1) == 1) return null;
            return engine.BatchPollAsync("greedy", 3, TimeSpan.Zero, "test-worker"); // asked for 1, got 3
        };
        var runner = new WorkerRunner(api, [new WorkerDefinition("greedy", Backend.Echo, TestWorkerOptions.Fast(concurrency: 1))], TestWorkerOptions.Runner());

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });

        Assert.True(summary.HandedBack >= 2);
        Assert.Equal(3, summary.Completed);
    }

    [Fact]
    public async Task Poll_failures_back_off_and_are_counted_never_thrown()
    {
        await using var engine = Backend.Open();
        var (api, faults) = FaultyApi.Wrap(engine);
        faults.Before = name =>
        {
            if (name == nameof(IConductorApi.BatchPollAsync)) throw new ConductorException("401 from test", ConductorErrorKind.Unauthorized, 401);
        };
        var options = TestWorkerOptions.Fast();
        options.ExpectedExecutionTime = TimeSpan.Zero;
        var runner = new WorkerRunner(api, [new WorkerDefinition("nothing", Backend.Echo, options)], TestWorkerOptions.Runner());
        var errors = 0;
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.PollFailed) Interlocked.Increment(ref errors); };

        var summary = await runner.RunCycleAsync(DateTimeOffset.UtcNow.AddSeconds(3));

        Assert.True(summary.PollErrors >= 2);
        Assert.Equal(summary.PollErrors, errors);
        Assert.True(summary.PollErrors < 50, "auth errors back off exponentially");
    }

    [Fact]
    public async Task Paused_workers_do_not_poll_until_resumed()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "pausable", 1);
        var options = TestWorkerOptions.Fast();
        options.Paused = true;
        var runner = new WorkerRunner(engine, [new WorkerDefinition("pausable", Backend.Echo, options)], TestWorkerOptions.Runner());
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await Task.Delay(300);
        Assert.Equal(1, await engine.GetQueueSizeAsync("pausable"));
        runner.Resume("pausable");
        for (var i = 0; i < 100 && (await engine.GetWorkflowAsync(ids[0])).Status != WorkflowStatus.COMPLETED; i++) await Task.Delay(50);
        stop.Cancel();
        await run;
        Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(ids[0])).Status);
    }

    [Fact]
    public void Environment_overrides_follow_the_sdk_precedence_and_reject_bad_values()
    {
        var env = new Dictionary<string, string>
        {
            ["CONDUCTOR_WORKER_ALL_THREAD_COUNT"] = "2",
            ["CONDUCTOR_WORKER_CHARGE_THREAD_COUNT"] = "5",
            ["conductor.worker.charge.domain"] = "blue",
            ["CONDUCTOR_WORKER_CHARGE_DOMAIN"] = "green",
            ["CONDUCTOR_WORKER_ALL_POLL_INTERVAL"] = "250",
            ["CONDUCTOR_WORKER_ALL_PAUSED"] = "true",
        };
        var options = new WorkerOptions();
        WorkerEnvironment.Apply(options, "charge", n => env.TryGetValue(n, out var v) ? v : null);
        Assert.Equal(5, options.Concurrency);
        Assert.Equal("blue", options.Domain);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.PollInterval);
        Assert.True(options.Paused);

        var bad = Assert.Throws<FormatException>(() => WorkerEnvironment.Apply(new WorkerOptions(), "x", n => n == "CONDUCTOR_WORKER_ALL_THREAD_COUNT" ? "many" : null));
        Assert.Contains("CONDUCTOR_WORKER_ALL_THREAD_COUNT", bad.Message);
    }
}
