using System.Collections.Concurrent;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class PollingTests : EngineTestBase
{
    [Fact]
    public async Task Long_poll_waits_and_wakes_when_a_task_is_scheduled()
    {
        await Engine.RegisterWorkflowDefAsync(Def("lp", Simple("lp_task")), cancellationToken: Ct);
        var poll = Engine.BatchPollAsync("lp_task", 2, TimeSpan.FromSeconds(5), "w1", null, Ct);
        await Task.Delay(50, Ct);
        Assert.False(poll.IsCompleted); // waiting, not returned empty

        var id = await Engine.StartWorkflowAsync("lp", new Dictionary<string, object?>(), cancellationToken: Ct);
        var tasks = await poll.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var task = Assert.Single(tasks);
        Assert.Equal(id, task.WorkflowInstanceId);
    }

    [Fact]
    public async Task Long_poll_returns_empty_when_its_timeout_passes_on_the_engine_clock()
    {
        var poll = Engine.BatchPollAsync("nothing", 1, TimeSpan.FromSeconds(2), "w1", null, Ct);
        await Task.Delay(50, Ct);
        Assert.False(poll.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(await poll.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task Long_poll_wakes_when_a_delayed_task_becomes_visible()
    {
        var id = await StartAsync(Def("cb", Simple("cb_task")));
        var task = await PollOneAsync("cb_task");
        await Engine.UpdateTaskAsync(new TaskResult(id, task.TaskId!, TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = 3 }, Ct);
        var poll = Engine.BatchPollAsync("cb_task", 1, TimeSpan.FromSeconds(5), "w1", null, Ct);
        await Task.Delay(50, Ct);
        Assert.False(poll.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(task.TaskId, Assert.Single(await poll.WaitAsync(TimeSpan.FromSeconds(30), Ct)).TaskId);
    }

    [Fact]
    public async Task Long_poll_honours_cancellation()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var poll = Engine.BatchPollAsync("never", 1, TimeSpan.FromSeconds(5), "w1", null, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task Batch_poll_rejects_timeouts_over_five_seconds()
    {
        var error = await Assert.ThrowsAsync<ConductorTools.Api.ConductorException>(() =>
            Engine.BatchPollAsync("x", 1, TimeSpan.FromSeconds(6), null, null, Ct));
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task Many_parallel_pollers_receive_every_task_exactly_once()
    {
        const int workflows = 300;
        await Engine.RegisterWorkflowDefAsync(Def("race", Simple("race_task")), cancellationToken: Ct);
        for (var i = 0; i < workflows; i++)
        {
            await Engine.StartWorkflowAsync("race", new Dictionary<string, object?>(), cancellationToken: Ct);
        }
        var seen = new ConcurrentBag<string>();
        var pollers = Enumerable.Range(0, 16).Select(p => Task.Run(async () =>
        {
            while (true)
            {
                var batch = await Engine.BatchPollAsync("race_task", 1 + p % 4, TimeSpan.Zero, "w" + p, null, Ct);
                if (batch.Count == 0)
                {
                    return;
                }
                foreach (var task in batch)
                {
                    seen.Add(task.TaskId!);
                    await CompleteAsync(task);
                }
            }
        }, Ct)).ToArray();
        await Task.WhenAll(pollers).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(workflows, seen.Count);
        Assert.Equal(workflows, seen.Distinct().Count());
        var search = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'race' AND status = COMPLETED", Size = 1 }, Ct);
        Assert.Equal(workflows, search.TotalHits);
    }

    [Fact]
    public async Task Queue_sizes_and_poll_data_are_reported()
    {
        await StartAsync(Def("q", Simple("q_task")));
        await Engine.StartWorkflowAsync("q", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Equal(2, await Engine.GetQueueSizeAsync("q_task", null, Ct));
        Assert.Equal(2, (await Engine.GetQueueSizesAsync(new[] { "q_task" }, Ct))["q_task"]);
        await PollOneAsync("q_task", workerId: "host-1");
        Assert.Equal(1, await Engine.GetQueueSizeAsync("q_task", null, Ct));
        var pollData = Assert.Single(await Engine.GetPollDataAsync("q_task", Ct));
        Assert.Equal("host-1", pollData.WorkerId);
        Assert.Equal("q_task", pollData.QueueName);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), pollData.LastPollTime);
    }
}
