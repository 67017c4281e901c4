using ConductorTools.Model;
using Microsoft.Extensions.Time.Testing;

namespace ConductorTools.Workers.Tests;

/// <summary>
/// The limits a worker loop runs under (Invoke-WorkerLoop -MaxTasks -Duration -Until -Once), why a run stopped, its live
/// counts and why a task was handed back: all decided and counted by the one runtime.
/// </summary>
public class WorkerRunLimitsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ForLoop_maps_duration_until_max_tasks_and_once()
    {
        var both = WorkerRunLimits.ForLoop(null, TimeSpan.FromMinutes(5), Now.AddHours(1), false, Now);
        Assert.Equal((TimeSpan.FromMinutes(5), Now.AddHours(1)), (both.StopPollingAfter!.Value, both.StopPollingAt!.Value));
        var limits = WorkerRunLimits.ForLoop(3, null, null, true, Now);
        Assert.Equal((3, true, (DateTimeOffset?)null, (TimeSpan?)null, (DateTimeOffset?)null),
            (limits.MaxTasks, limits.StopWhenIdle, limits.StopPollingAt, limits.StopPollingAfter, limits.Deadline));
    }

    [Theory]
    [InlineData(0, null, null, "-MaxTasks must be 1 or more")]
    [InlineData(null, -1, null, "-Duration must be positive")]
    [InlineData(null, null, -1, "is not in the future")]
    public void ForLoop_refuses_values_out_of_range_naming_the_parameter(int? maxTasks, int? durationSeconds, int? untilSeconds, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => WorkerRunLimits.ForLoop(maxTasks,
            durationSeconds is { } d ? TimeSpan.FromSeconds(d) : null, untilSeconds is { } u ? Now.AddSeconds(u) : null, false, Now));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_why_it_stopped_polling()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "reasons", 5);
        WorkerRunner Runner() => new(engine, [new WorkerDefinition("reasons", Backend.Echo, TestWorkerOptions.Fast())], TestWorkerOptions.Runner());

        var budget = await Runner().RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = 2 });
        Assert.Equal((WorkerStopReason?)WorkerStopReason.MaxTasks, budget.StopReason);
        Assert.Equal(["reasons"], budget.TaskTypes);

        var idle = await Runner().RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });
        Assert.Equal((WorkerStopReason?)WorkerStopReason.QueuesEmpty, idle.StopReason);
        Assert.Equal(3, idle.Completed);

        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var stopped = await Runner().RunAsync(stop.Token);
        Assert.Equal((WorkerStopReason?)WorkerStopReason.Stopped, stopped.StopReason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stops_polling_after_its_duration_on_its_clock_and_runs_at_least_that_long(bool untilTooLate)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = Backend.Open();
        var runner = new WorkerRunner(engine, [new WorkerDefinition("quiet", Backend.Echo, TestWorkerOptions.Fast())], TestWorkerOptions.Runner(), timeProvider: clock);
        var limits = WorkerRunLimits.ForLoop(null, TimeSpan.FromSeconds(10), untilTooLate ? clock.GetUtcNow().AddHours(1) : null, false, clock.GetUtcNow());

        var run = runner.RunAsync(CancellationToken.None, limits);
        while (!run.IsCompleted && clock.GetUtcNow() < clock.Start.AddMinutes(1))
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal((WorkerStopReason?)WorkerStopReason.Deadline, summary.StopReason);
        Assert.True(summary.Duration >= TimeSpan.FromSeconds(10), $"ran {summary.Duration}");
    }

    [Fact]
    public async Task Stops_polling_at_StopPollingAt_on_its_clock_then_drains()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "timed", 3);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("timed", async (task, ct) =>
        {
            started.TrySetResult();
            await release.Task.WaitAsync(ct);
            return TaskResults.Complete(task);
        }, TestWorkerOptions.Fast())], TestWorkerOptions.Runner(), timeProvider: clock);

        var run = runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopPollingAt = clock.GetUtcNow().AddMinutes(1) });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var live = runner.CurrentSummary;
        Assert.NotNull(live);
        Assert.Equal(1, live.Polled);
        Assert.Null(live.StopReason);

        clock.Advance(TimeSpan.FromMinutes(1));   // the stop time: polling ends, the running handler drains
        release.SetResult();
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal((WorkerStopReason?)WorkerStopReason.Deadline, summary.StopReason);
        Assert.Equal(1, summary.Polled);
        Assert.Equal(1, summary.Completed);
        Assert.Equal(0, summary.HandedBack);
        Assert.Null(runner.CurrentSummary);
        Assert.Equal(2, await engine.GetQueueSizeAsync("timed"));
    }

    [Fact]
    public async Task A_budget_of_one_takes_one_task_even_through_update_v2()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "one", 4);
        var handedBack = new List<WorkerEvent>();
        var runner = new WorkerRunner(engine, [new WorkerDefinition("one", Backend.Echo, TestWorkerOptions.Fast())], TestWorkerOptions.Runner());
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.HandedBack) lock (handedBack) handedBack.Add(e); };

        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = 1 });

        Assert.Equal((1, 1, 0), (summary.Polled, summary.Completed, summary.HandedBack));
        Assert.Empty(handedBack);
        Assert.Equal(3, await engine.GetQueueSizeAsync("one"));
    }

    private static WorkerRunnerOptions Drain(TimeSpan drain)
    {
        var options = TestWorkerOptions.Runner();
        options.DrainTimeout = drain;
        return options;
    }

    [Fact]
    public async Task Hand_backs_say_why()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "why", 1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = new List<WorkerEvent>();
        var runner = new WorkerRunner(engine, [new WorkerDefinition("why", async (task, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return TaskResults.Complete(task);
        }, TestWorkerOptions.Fast())], Drain(TimeSpan.FromMilliseconds(100)));
        runner.Event += (_, e) => { if (e.Kind == WorkerEventKind.HandedBack) lock (events) events.Add(e); };
        using var stop = new CancellationTokenSource();

        var run = runner.RunAsync(stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(1, summary.HandedBack);
        Assert.Equal((WorkerHandBackReason?)WorkerHandBackReason.Cancelled, Assert.Single(events).HandBackReason);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, (await engine.GetWorkflowAsync((await engine.SearchWorkflowsAsync(new SearchRequest { Size = 1 })).Results[0].WorkflowId!)).Tasks[0].Status);
    }
}
