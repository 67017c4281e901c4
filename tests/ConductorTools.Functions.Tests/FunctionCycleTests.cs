using System.Collections.Concurrent;
using ConductorTools.Api;
using ConductorTools.Http;
using ConductorTools.Server;
using ConductorTools.Functions;
using ConductorTools.Hosting;
using ConductorTools.Model;
using ConductorTools.Workers;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// The Functions timer's cycle end to end: Core's <see cref="FunctionCycleRunner"/> and the worker runtime talking
/// HTTP (HttpConductorApi) to the local Conductor server (LocalConductorServer, in-memory engine, free loopback port),
/// with a fault-injecting wrapper around the client that turns chosen calls into the errors a failing server causes.
/// </summary>
public sealed class FunctionCycleTests : IAsyncLifetime
{
    private const string SlowTaskType = "slow_task";
    private LocalBackend _backend = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await LocalBackend.StartAsync();

        foreach (var type in new[] { SampleWorkers.GreetTaskType, SlowTaskType })
        {
            await OneTaskWorkflow.RegisterAsync(_backend.Client, type, workflowName: type + "_flow", taskInput: new Dictionary<string, object?> { ["name"] = "Ada" });
        }
    }

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    /// <summary>Settings as the app would read them; a short function timeout keeps the test to a few seconds.</summary>
    private ConductorHostSettings Settings(string timeout = "00:00:08", params (string Key, string Value)[] extra) => TestSettings.Bind(
        [
            (ConductorHostSettings.FunctionTimeoutKey, timeout),
            (ConductorHostSettings.SafetyMarginKey, "00:00:03"),
            (ConductorHostSettings.DrainTimeoutKey, "00:00:02"),
            (ConductorHostSettings.ConcurrencyKey, "4"),
            .. extra,
        ]);

    private FunctionCycleRunner Runner(ConductorHostSettings settings, params WorkerDefinition[] workers) =>
        new(settings, _backend.Client, workers, hostJsonTimeout: null, _backend.LoggerFactory);

    private static WorkerDefinition Greet() => new(SampleWorkers.GreetTaskType, SampleWorkers.GreetAsync);

    private async Task<List<string>> StartAsync(string taskType, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
            ids.Add(await _backend.Client.StartWorkflowAsync(taskType + "_flow", new Dictionary<string, object?>()));
        return ids;
    }

    [Fact]
    public async Task A_cycle_completes_queued_work_before_its_deadline_and_logs_the_summary()
    {
        var workflows = await StartAsync(SampleWorkers.GreetTaskType, 6);
        var settings = Settings();

        var result = await Runner(settings, Greet()).RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);
        var finished = DateTimeOffset.UtcNow;

        Assert.Equal(6, result.Summary.Polled);
        Assert.Equal(6, result.Summary.Completed);
        Assert.Equal(0, result.Summary.Failed);
        Assert.Equal(0, result.Summary.HandedBack);
        Assert.False(result.CancelledByHost);
        // Back inside the function timeout: the host never has to kill the invocation.
        Assert.True(finished < result.Deadline.Start + result.Deadline.Timeout.Value!.Value, $"finished {finished:O}, {result.Deadline}");
        for (var i = 0; i < workflows.Count; i++)
        {
            var wf = await _backend.Client.GetWorkflowAsync(workflows[i], cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(WorkflowStatus.COMPLETED, wf.Status);
            Assert.Equal("Hello, Ada!", wf.Tasks!.Single().OutputData!["greeting"]?.ToString());
        }
        var summary = Assert.Single(_backend.Logs.Messages, m => m.Message.StartsWith("Conductor cycle [default] done", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, summary.Level);
        Assert.Contains("polled 6, completed 6, failed 0, handed back 0", summary.Message, StringComparison.Ordinal);
        Assert.Contains(_backend.Logs.Messages, m => m.Message.StartsWith("Conductor cycle [default] starting for greet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_cannot_finish_by_the_deadline_is_handed_back_and_pollable_again()
    {
        var workflow = (await StartAsync(SlowTaskType, 1)).Single();
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new WorkerDefinition(SlowTaskType, async (task, ct) =>
        {
            started.TrySetResult(task.TaskId!);
            await Task.Delay(Timeout.Infinite, ct); // longer than any cycle: only the deadline ends it
            return TaskResults.Complete(task, null);
        });

        // A 15 s function timeout (a 12 s cycle): on a loaded machine the first poll of a cold runner can take seconds, and
        // a cycle never polls what it cannot finish before its deadline, so a tight window could leave the task unpolled.
        var result = await Runner(Settings("00:00:15"), slow, Greet()).RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(started.Task.IsCompleted, $"the slow task was never handed to its worker: {result.Summary.Polled} polled");
        var taskId = await started.Task;
        // Once, or twice when a long poll still waiting at the hand-back took the task again (and gave it straight back).
        Assert.InRange(result.Summary.Polled, 1, 2);
        Assert.Equal(result.Summary.Polled, result.Summary.HandedBack);
        Assert.Equal(0, result.Summary.Completed);
        var warning = Assert.Single(_backend.Logs.Messages, m => m.Message.StartsWith("Conductor cycle [default] done", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("handed back 1", warning.Message, StringComparison.Ordinal);

        // Not stranded IN_PROGRESS until responseTimeoutSeconds (an hour here): the next invocation's poll gets it (a long
        // poll of a few seconds, as the runtime's own, so a loaded machine's scheduling cannot make it miss).
        var again = (await _backend.Client.BatchPollAsync(SlowTaskType, 1, TimeSpan.FromSeconds(5), "next-invocation",
            cancellationToken: TestContext.Current.CancellationToken)).SingleOrDefault();
        var state = (await _backend.Client.GetWorkflowAsync(workflow, cancellationToken: TestContext.Current.CancellationToken)).Tasks
            .Select(t => $"{t.TaskId} {t.Status} polls {t.PollCount} callback {t.CallbackAfterSeconds}");
        // A poll the runner gave up on at the hand-back takes nothing server-side (the server checks its client is still
        // there before it claims, and gives back what it could not deliver), so the task is here, not IN_PROGRESS.
        Assert.True(again is not null, "the handed-back task was not pollable: " + string.Join("; ", state));
        Assert.Equal(taskId, again.TaskId);
        Assert.Equal(WorkflowStatus.RUNNING, (await _backend.Client.GetWorkflowAsync(workflow, cancellationToken: TestContext.Current.CancellationToken)).Status);
    }

    [Fact]
    public async Task A_cycle_survives_server_errors_on_poll_and_update()
    {
        var workflows = await StartAsync(SampleWorkers.GreetTaskType, 4);
        // Polls failing four times in a row (more than HttpConductorApi's own 3 attempts), result updates twice.
        _backend.Faults.FailNext("BatchPoll", 4);
        _backend.Faults.FailNext("UpdateTask", 2);

        var cycles = Runner(Settings("00:00:12"), Greet());
        // Short backoffs: with the defaults (0.5 s, doubling, jittered) four failed polls in a row can use up the cycle's
        // 7 s polling window on a loaded machine before any task is polled, and the test would then prove nothing.
        cycles.RunnerOptions.PollErrorDelay = cycles.RunnerOptions.UpdateRetryDelay = TimeSpan.FromMilliseconds(50);
        cycles.RunnerOptions.MaxPollErrorDelay = cycles.RunnerOptions.MaxUpdateRetryDelay = TimeSpan.FromMilliseconds(200);
        var result = await cycles.RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(4, _backend.Faults.Injected["BatchPoll"]);
        Assert.Equal(2, _backend.Faults.Injected["UpdateTask"]);
        Assert.Equal(4, result.Summary.Completed);
        Assert.Equal(0, result.Summary.HandedBack);
        Assert.True(result.Summary.PollErrors >= 1, $"poll errors {result.Summary.PollErrors}");
        Assert.True(result.Summary.UpdateRetries >= 2, $"update retries {result.Summary.UpdateRetries}");
        foreach (var id in workflows)
            Assert.Equal(WorkflowStatus.COMPLETED, (await _backend.Client.GetWorkflowAsync(id, cancellationToken: TestContext.Current.CancellationToken)).Status);
    }

    [Fact]
    public async Task A_group_runs_only_its_task_types()
    {
        await StartAsync(SampleWorkers.GreetTaskType, 2);
        await StartAsync(SlowTaskType, 1);
        var settings = Settings(extra: (ConductorHostSettings.TaskGroupsKey, "slow=" + SlowTaskType));
        var slowCalled = false;
        var slow = new WorkerDefinition(SlowTaskType, (task, ct) => { slowCalled = true; return Task.FromResult(TaskResults.Complete(task, null)); });

        var result = await Runner(settings, Greet(), slow).RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal([SampleWorkers.GreetTaskType], result.TaskTypes);
        Assert.Equal(2, result.Summary.Completed);
        Assert.False(slowCalled);
        Assert.Equal(1, await _backend.Client.GetQueueSizeAsync(SlowTaskType, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Settings_problems_fail_the_invocation_with_every_problem()
    {
        var settings = Settings(extra: (ConductorHostSettings.TaskConcurrencyKey, "unknown_type=2"));
        var e = await Assert.ThrowsAsync<ConductorSettingsException>(() =>
            Runner(settings, Greet()).RunAsync("no_such_group", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(2, e.Problems.Count);
        Assert.Throws<ArgumentException>(() => Runner(Settings(), Greet(), Greet()));
    }

    [Fact]
    public void App_settings_set_each_cycles_concurrency_and_expected_execution_time_on_copies()
    {
        var settings = Settings(extra: (ConductorHostSettings.TaskConcurrencyKey, "greet=9"));
        var greet = Greet();
        var other = new WorkerDefinition("other", (t, ct) => Task.FromResult(TaskResults.Complete(t, null)),
            new WorkerOptions { Concurrency = 2, Domain = "blue", WorkerId = "w-7" });
        var runner = Runner(settings, greet, other);

        var cycle = runner.WorkersFor(ConductorHostSettings.DefaultGroup).ToDictionary(w => w.TaskType);
        Assert.Equal(9, cycle["greet"].Options.Concurrency);
        Assert.Equal(4, cycle["other"].Options.Concurrency); // CONDUCTOR_CONCURRENCY
        Assert.Equal(TimeSpan.FromSeconds(2), cycle["greet"].Options.ExpectedExecutionTime);
        Assert.Equal(TimeSpan.FromSeconds(2), cycle["other"].Options.ExpectedExecutionTime);
        // The rest of each worker's own options carries over, with its handler.
        Assert.Equal("blue", cycle["other"].Options.Domain);
        Assert.Equal("w-7", cycle["other"].Options.WorkerId);
        Assert.Same(other.Handler, cycle["other"].Handler);
        Assert.NotSame(other.Options, cycle["other"].Options);

        // The registered definitions are untouched.
        Assert.Equal(1, greet.Options.Concurrency);
        Assert.Equal(2, other.Options.Concurrency);
        Assert.Equal(new WorkerOptions().ExpectedExecutionTime, greet.Options.ExpectedExecutionTime);
        Assert.Equal(new WorkerOptions().ExpectedExecutionTime, other.Options.ExpectedExecutionTime);
        // And the drain timeout reaches the runtime's options.
        Assert.Equal(TimeSpan.FromSeconds(2), runner.RunnerOptions.DrainTimeout);
    }

    [Fact]
    public async Task Cycles_do_not_mutate_the_registered_worker_definitions()
    {
        await StartAsync(SampleWorkers.GreetTaskType, 3);
        await StartAsync(SlowTaskType, 2);
        var expectedDefault = new WorkerOptions().ExpectedExecutionTime;
        // Shared singletons, as DI hands them to every FunctionCycleRunner and every invocation.
        var greet = new WorkerDefinition(SampleWorkers.GreetTaskType, SampleWorkers.GreetAsync, new WorkerOptions { Concurrency = 1 });
        var slow = new WorkerDefinition(SlowTaskType, (t, ct) => Task.FromResult(TaskResults.Complete(t, null)), new WorkerOptions { Concurrency = 3 });
        var before = new[] { greet, slow }.Select(w => (w.TaskType, w.Options.Concurrency, w.Options.ExpectedExecutionTime, w.Options.Domain, w.Options.WorkerId)).ToList();

        // Two groups with different settings, each run twice, over the same registered definitions.
        var grouped = Settings("00:00:06", (ConductorHostSettings.TaskGroupsKey, "slow=" + SlowTaskType),
            (ConductorHostSettings.TaskConcurrencyKey, $"{SampleWorkers.GreetTaskType}=7;{SlowTaskType}=5"), (ConductorHostSettings.DrainTimeoutKey, "00:00:01"));
        var other = Settings("00:00:06", (ConductorHostSettings.ConcurrencyKey, "11"));
        var a = Runner(grouped, greet, slow);
        var b = Runner(other, greet, slow);
        var ct = TestContext.Current.CancellationToken;
        var results = await Task.WhenAll(a.RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: ct), a.RunAsync("slow", cancellationToken: ct));
        var second = await b.RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: ct);

        Assert.Equal(3, results[0].Summary.Completed);
        Assert.Equal(2, results[1].Summary.Completed);
        Assert.Equal(0, second.Summary.Polled);
        var after = new[] { greet, slow }.Select(w => (w.TaskType, w.Options.Concurrency, w.Options.ExpectedExecutionTime, w.Options.Domain, w.Options.WorkerId)).ToList();
        Assert.Equal(before, after);
        Assert.Equal(expectedDefault, greet.Options.ExpectedExecutionTime);
        // Each runner still computes its own per-cycle options from its own settings.
        Assert.Equal(7, a.WorkersFor(ConductorHostSettings.DefaultGroup).Single().Options.Concurrency);
        Assert.Equal(5, a.WorkersFor("slow").Single().Options.Concurrency);
        Assert.All(b.WorkersFor(ConductorHostSettings.DefaultGroup), w => Assert.Equal(11, w.Options.Concurrency));
        Assert.All(b.WorkersFor(ConductorHostSettings.DefaultGroup), w => Assert.Equal(TimeSpan.FromSeconds(2), w.Options.ExpectedExecutionTime));
    }

    [Fact]
    public async Task Host_cancellation_drains_for_the_drain_timeout_then_hands_back()
    {
        var workflow = (await StartAsync(SlowTaskType, 1)).Single();
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new WorkerDefinition(SlowTaskType, async (task, ct) =>
        {
            started.TrySetResult(task.TaskId!);
            await Task.Delay(Timeout.Infinite, ct); // only the drain's end stops it
            return TaskResults.Complete(task, null);
        });
        // A long invocation (deadline ~57 s away) and a 1 s drain: the cancellation, not the deadline, must end the cycle,
        // well before the runtime's 30 s default drain.
        var settings = Settings("00:01:00", (ConductorHostSettings.DrainTimeoutKey, "00:00:01"));
        var runner = Runner(settings, slow);
        Assert.Equal(TimeSpan.FromSeconds(1), runner.RunnerOptions.DrainTimeout);
        using var invocation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var cycle = runner.RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: invocation.Token);
        var taskId = await started.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        var cancelledAt = DateTimeOffset.UtcNow;
        invocation.Cancel(); // the host shuts down / scales in
        var result = await cycle.WaitAsync(TimeSpan.FromSeconds(25), TestContext.Current.CancellationToken);
        var took = DateTimeOffset.UtcNow - cancelledAt;

        Assert.True(took < TimeSpan.FromSeconds(5), $"the cycle took {took.TotalSeconds:0.0} s after the cancellation (drain timeout 1 s)");
        Assert.True(took >= TimeSpan.FromSeconds(0.9), $"the cycle returned {took.TotalSeconds:0.0} s after the cancellation, before the drain timeout");
        Assert.True(result.CancelledByHost);
        // Once, or twice when a long poll still waiting at the hand-back took the task again (and gave it straight back).
        Assert.InRange(result.Summary.Polled, 1, 2);
        Assert.Equal(result.Summary.Polled, result.Summary.HandedBack);
        Assert.Equal(0, result.Summary.Completed);
        Assert.Equal(0, result.Summary.Failed);
        var summary = Assert.Single(_backend.Logs.Messages, m => m.Message.StartsWith("Conductor cycle [default] done", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Contains("cancelled by host True", summary.Message, StringComparison.Ordinal);

        // Handed back, not stranded IN_PROGRESS: the next invocation polls it at once.
        var again = await _backend.Client.PollAsync(SlowTaskType, "next-invocation", cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotNull(again);
        Assert.Equal(taskId, again.TaskId);
        Assert.Equal(WorkflowStatus.RUNNING, (await _backend.Client.GetWorkflowAsync(workflow, cancellationToken: TestContext.Current.CancellationToken)).Status);
    }
}
