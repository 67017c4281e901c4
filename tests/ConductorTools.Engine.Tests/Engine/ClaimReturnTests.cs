using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>A poll answer that cannot reach its poller: nothing is claimed for a poller that has gone, and a claim given
/// back leaves the task as if it had never been polled.</summary>
public sealed class ClaimReturnTests : EngineTestBase
{
    [Fact]
    public async Task A_poller_that_has_gone_claims_nothing()
    {
        var id = await StartAsync(Def("gone", Simple("g")));

        var claim = await Engine.ClaimTasksAsync("g", 5, TimeSpan.Zero, "w1", null, stillWanted: () => false, Ct);

        Assert.Empty(claim.Tasks);
        var task = Assert.Single((await GetAsync(id)).Tasks);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, task.Status);
        Assert.Equal(0, task.PollCount);
        Assert.Equal(1, await Engine.GetQueueSizeAsync("g", cancellationToken: Ct));
    }

    [Fact]
    public async Task A_returned_claim_puts_the_tasks_back_as_if_never_polled()
    {
        var first = await StartAsync(Def("back", Simple("b")));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await StartAsync(Def("back", Simple("b")));
        var before = Assert.Single((await GetAsync(first)).Tasks);

        Clock.Advance(TimeSpan.FromSeconds(3));
        var claim = await Engine.ClaimTasksAsync("b", 2, TimeSpan.Zero, "lost-worker", null, null, Ct);
        Assert.Equal(2, claim.Tasks.Count);
        Assert.All(claim.Tasks, t => Assert.Equal(ConductorTaskStatus.IN_PROGRESS, t.Status));

        Assert.Equal(2, await Engine.ReturnClaimAsync(claim, Ct));

        var after = Assert.Single((await GetAsync(first)).Tasks);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, after.Status);
        Assert.Equal(0, after.PollCount);
        Assert.Null(after.WorkerId);
        Assert.Equal(0, after.StartTime);
        Assert.Equal(before.UpdateTime, after.UpdateTime);
        // Visible at once and in the old order: the older workflow's task first.
        var again = await Engine.BatchPollAsync("b", 2, TimeSpan.Zero, "w2", null, Ct);
        Assert.Equal(new[] { first, second }, again.Select(t => t.WorkflowInstanceId));
        Assert.All(again, t => Assert.Equal(1, t.PollCount));
        Assert.All(again, t => Assert.Equal("w2", t.WorkerId));
    }

    [Fact]
    public async Task A_claim_is_not_returned_over_what_happened_since()
    {
        var id = await StartAsync(Def("since", Simple("s")));
        var claim = await Engine.ClaimTasksAsync("s", 1, TimeSpan.Zero, "w1", null, null, Ct);
        var task = Assert.Single(claim.Tasks);
        await CompleteAsync(task, new() { ["done"] = true });

        Assert.Equal(0, await Engine.ReturnClaimAsync(claim, Ct));

        Assert.Equal(ConductorTaskStatus.COMPLETED, Assert.Single((await GetAsync(id)).Tasks).Status);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
        Assert.Equal(0, await Engine.GetQueueSizeAsync("s", cancellationToken: Ct));
    }

    [Fact]
    public async Task A_returned_update_v2_claim_keeps_the_update_and_gives_back_the_next_task()
    {
        var first = await StartAsync(Def("v2", Simple("v")));
        var second = await StartAsync(Def("v2", Simple("v")));
        var polled = await PollOneAsync("v");

        var claim = await Engine.UpdateTaskAndClaimNextAsync(new TaskResult(polled.WorkflowInstanceId!, polled.TaskId!, TaskResultStatus.COMPLETED)
        {
            WorkerId = "w1",
        }, null, Ct);
        var next = Assert.Single(claim.Tasks);
        Assert.Equal(second, next.WorkflowInstanceId);
        Assert.Equal(1, await Engine.ReturnClaimAsync(claim, Ct));

        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(first)).Status);
        var back = Assert.Single((await GetAsync(second)).Tasks);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, back.Status);
        Assert.Equal(0, back.PollCount);
        Assert.Equal(back.TaskId, (await PollOneAsync("v", workerId: "w2")).TaskId);
    }
}
