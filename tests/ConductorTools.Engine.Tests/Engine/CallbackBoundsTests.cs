using ConductorTools.Api;
using ConductorTools.Engine.Execution;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: callbackAfterSeconds is never negative and a huge one does not overflow into "visible now".</summary>
public sealed class CallbackBoundsTests : EngineTestBase
{
    [Fact]
    public async Task A_negative_callback_is_refused_and_changes_nothing()
    {
        var id = await StartAsync(Def("cb_neg", Simple("cbn")));
        var task = await PollOneAsync("cbn");

        var refused = await Assert.ThrowsAsync<ConductorException>(() => Engine.UpdateTaskAsync(
            new TaskResult(id, task.TaskId!, TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = -5 }, Ct));

        Assert.Equal(400, refused.StatusCode);
        var error = Assert.Single(refused.ValidationErrors);
        Assert.Equal("updateTask.taskResult.callbackAfterSeconds", error.Path);
        Assert.Contains("must not be negative", error.Message);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await Engine.GetTaskAsync(task.TaskId!, Ct)).Status);
    }

    [Fact]
    public async Task A_huge_callback_is_capped_and_keeps_the_task_out_of_the_queue()
    {
        var id = await StartAsync(Def("cb_huge", Simple("cbh")));
        var task = await PollOneAsync("cbh");

        await Engine.UpdateTaskAsync(new TaskResult(id, task.TaskId!, TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = long.MaxValue }, Ct);

        var stored = await Engine.GetTaskAsync(task.TaskId!, Ct);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, stored.Status);
        Assert.Equal(Decider.MaxCallbackAfterSeconds, stored.CallbackAfterSeconds);
        Assert.Empty(await Engine.BatchPollAsync("cbh", 1, TimeSpan.Zero, "w1", null, Ct));
        Clock.Advance(TimeSpan.FromDays(365));
        await Engine.SweepAsync(Ct);
        Assert.Empty(await Engine.BatchPollAsync("cbh", 1, TimeSpan.Zero, "w1", null, Ct));
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);

        // resetcallbacks still brings it back at once.
        await Engine.ResetCallbacksAsync(id, Ct);
        Assert.Equal(task.TaskId, (await PollOneAsync("cbh")).TaskId);
    }
}
