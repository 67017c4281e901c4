using ConductorTools.Model;

namespace ConductorTools.Workers.Tests;

/// <summary>
/// A bounded cycle whose host cancels it (Azure Functions shutting down): polling stops at once, in-flight handlers get
/// min(deadline − HandBackMargin, cancellation + DrainTimeout), then what still runs is handed back and the summary returned.
/// </summary>
public class CycleCancellationTests
{
    [Fact]
    public async Task Cancelling_a_cycle_drains_for_the_drain_timeout_not_until_the_deadline_then_hands_back()
    {
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "host_stop", 2);
        var bothStarted = new CountdownEvent(2);
        var allStarted = new TaskCompletionSource();
        using var cancel = new CancellationTokenSource();
        var runnerOptions = TestWorkerOptions.Runner();
        runnerOptions.DrainTimeout = TimeSpan.FromSeconds(1);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("host_stop", async (task, ct) =>
        {
            if (bothStarted.Signal()) allStarted.TrySetResult();
            if (task.WorkflowInstanceId == ids[0])
            {
                // Finishes shortly after the host cancels: its result must still be delivered.
                await cancel.Token.WhenCancelled();
                await Task.Delay(100, CancellationToken.None);
                return TaskResults.Complete(task, new Dictionary<string, object?> { ["workflowId"] = task.WorkflowInstanceId });
            }
            await Task.Delay(TimeSpan.FromSeconds(30), ct); // honours its token: cancelled at the end of the drain
            return TaskResults.Complete(task);
        }, TestWorkerOptions.Fast(concurrency: 2))], runnerOptions);

        var cycle = runner.RunCycleAsync(DateTimeOffset.UtcNow.AddMinutes(10), cancel.Token);
        await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cancel.Cancel();
        // Generous bound so a busy machine cannot fail it; without the drain timeout the cycle would run ~10 minutes.
        var summary = await cycle.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, summary.Polled);
        Assert.Equal(1, summary.Completed);
        Assert.Equal(1, summary.HandedBack);
        Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(ids[0])).Status);
        var handedBack = (await engine.GetWorkflowAsync(ids[1])).Tasks.Single();
        Assert.Equal(ConductorTaskStatus.SCHEDULED, handedBack.Status);
        var again = await engine.BatchPollAsync("host_stop", 1, TimeSpan.Zero, "other-worker");
        Assert.Equal(handedBack.TaskId, Assert.Single(again).TaskId); // back in the queue, pollable at once
    }

    [Fact]
    public async Task A_cycle_cancelled_before_it_starts_polls_nothing_and_returns_a_summary()
    {
        await using var engine = Backend.Open();
        await OneTaskWorkflow.RegisterAndStartAsync(engine, "never", 1);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("never", Backend.Echo, TestWorkerOptions.Fast())], TestWorkerOptions.Runner());

        var summary = await runner.RunCycleAsync(DateTimeOffset.UtcNow.AddMinutes(10), new CancellationToken(canceled: true))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, summary.Polled);
        Assert.Equal(1, await engine.GetQueueSizeAsync("never"));
    }

    [Fact]
    public async Task Cancelling_during_the_pre_deadline_drain_shortens_it_to_the_drain_timeout()
    {
        // The cycle already stopped polling (the deadline is nearer than the expected execution time) and is draining
        // towards deadline − margin when the host cancels: the drain ends DrainTimeout after the cancellation instead.
        await using var engine = Backend.Open();
        var ids = await OneTaskWorkflow.RegisterAndStartAsync(engine, "late_stop", 1);
        var started = new TaskCompletionSource();
        var runnerOptions = TestWorkerOptions.Runner();
        runnerOptions.DrainTimeout = TimeSpan.FromMilliseconds(500);
        runnerOptions.HandBackMargin = TimeSpan.Zero;
        var runner = new WorkerRunner(engine, [new WorkerDefinition("late_stop", async (task, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return TaskResults.Complete(task);
        }, TestWorkerOptions.Fast(concurrency: 2))], runnerOptions);
        runner.Event += (_, e) =>
        {
            // Once the task runs, push polling's end into the past: the free slot's poll loop ends and the cycle drains.
            if (e.Kind == WorkerEventKind.ExecutionStarted) runner.GetOptions("late_stop").ExpectedExecutionTime = TimeSpan.FromDays(1);
        };
        using var cancel = new CancellationTokenSource();

        var cycle = runner.RunCycleAsync(DateTimeOffset.UtcNow.AddMinutes(10), cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(200);
        Assert.False(cycle.IsCompleted);
        cancel.Cancel();
        var summary = await cycle.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, summary.HandedBack);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, (await engine.GetWorkflowAsync(ids[0])).Tasks.Single().Status);
    }
}
