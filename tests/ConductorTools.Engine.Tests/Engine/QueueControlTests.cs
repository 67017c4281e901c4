using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class QueueControlTests : EngineTestBase
{
    private async Task StartManyAsync(string workflowName, string taskName, int count, Dictionary<string, string>? taskToDomain = null)
    {
        await Engine.RegisterWorkflowDefAsync(Def(workflowName, Simple(taskName)), overwrite: true, Ct);
        for (var i = 0; i < count; i++)
        {
            await Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = workflowName, Input = new(), TaskToDomain = taskToDomain }, Ct);
        }
    }

    [Fact]
    public async Task Concurrent_exec_limit_caps_in_progress_tasks_at_poll()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("limited") { ConcurrentExecLimit = 2 } }, Ct);
        await StartManyAsync("limited_wf", "limited", 5);
        var batch = await Engine.BatchPollAsync("limited", 5, TimeSpan.Zero, "w1", null, Ct);
        Assert.Equal(2, batch.Count);
        Assert.Empty(await Engine.BatchPollAsync("limited", 5, TimeSpan.Zero, "w1", null, Ct));

        // A waiting poller is woken when a slot frees.
        var waiting = Engine.BatchPollAsync("limited", 5, TimeSpan.FromSeconds(5), "w2", null, Ct);
        await Task.Delay(50, Ct);
        Assert.False(waiting.IsCompleted);
        await CompleteAsync(batch[0]);
        Assert.Single(await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task Rate_limit_per_frequency_limits_hand_outs_per_window()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("rated") { RateLimitPerFrequency = 2, RateLimitFrequencyInSeconds = 10 } }, Ct);
        await StartManyAsync("rated_wf", "rated", 5);
        Assert.Equal(2, (await Engine.BatchPollAsync("rated", 5, TimeSpan.Zero, "w1", null, Ct)).Count);
        Assert.Empty(await Engine.BatchPollAsync("rated", 5, TimeSpan.Zero, "w1", null, Ct));
        Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, (await Engine.BatchPollAsync("rated", 5, TimeSpan.Zero, "w1", null, Ct)).Count);
    }

    [Fact]
    public async Task Domains_route_tasks_to_pollers_of_that_domain()
    {
        await StartManyAsync("domain_wf", "dom_task", 1, new() { ["dom_task"] = "blue" });
        Assert.Null(await Engine.PollAsync("dom_task", "w1", null, Ct));
        Assert.Equal(1, await Engine.GetQueueSizeAsync("dom_task", "blue", Ct));
        var task = await PollOneAsync("dom_task", "blue");
        Assert.Equal("blue", task.Domain);

        // "*" applies to every worker task; NO_DOMAIN means the default queue.
        await StartManyAsync("star_wf", "star_task", 1, new() { ["*"] = "green" });
        Assert.Equal("green", (await PollOneAsync("star_task", "green")).Domain);
        await StartManyAsync("nodomain_wf", "plain_task", 1, new() { ["*"] = "green", ["plain_task"] = "NO_DOMAIN" });
        Assert.Null((await PollOneAsync("plain_task")).Domain);
    }

    [Fact]
    public async Task Comma_domain_lists_pick_the_first_domain_with_recent_pollers_else_the_last()
    {
        var map = new Dictionary<string, string> { ["fb_task"] = "red,blue" };
        await StartManyAsync("fallback_wf", "fb_task", 1, map);
        Assert.Equal("blue", (await PollOneAsync("fb_task", "blue")).Domain);

        // A poll (even an empty one) marks "red" active for 10 s.
        Assert.Null(await Engine.PollAsync("fb_task", "w1", "red", Ct));
        await Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "fallback_wf", Input = new(), TaskToDomain = map }, Ct);
        Assert.Equal("red", (await PollOneAsync("fb_task", "red")).Domain);

        Clock.Advance(TimeSpan.FromSeconds(11));
        await Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "fallback_wf", Input = new(), TaskToDomain = map }, Ct);
        Assert.Equal("blue", (await PollOneAsync("fb_task", "blue")).Domain);
    }

    [Fact]
    public async Task Task_logs_are_stored_from_results_and_the_api()
    {
        var id = await StartAsync(Def("logs", Simple("logged")));
        var task = await PollOneAsync("logged");
        var result = new TaskResult(id, task.TaskId!, TaskResultStatus.COMPLETED);
        var sent = TaskLogLimits.MaxLinesPerUpdate + 12;
        result.Logs = Enumerable.Range(0, sent).Select(i => new TaskExecLog("line " + i, task.TaskId, 1000 + i)).ToList();
        await Engine.UpdateTaskAsync(result, Ct);
        await Engine.AddTaskLogAsync(task.TaskId!, "from api", Ct);
        var logs = await Engine.GetTaskLogsAsync(task.TaskId!, Ct);
        Assert.Equal(TaskLogLimits.MaxLinesPerUpdate + 1, logs.Count); // the newest lines of the update kept, plus the API line
        Assert.Equal("line 12", logs[0].Log);
        Assert.Equal(1012, logs[0].CreatedTime);
        Assert.Equal("line " + (sent - 1), logs[^2].Log);
        Assert.Equal("from api", logs[^1].Log);
        Assert.Equal(task.TaskId, (await Engine.GetTaskAsync(task.TaskId!, Ct)).TaskId);
    }

    [Fact]
    public async Task Start_delay_postpones_the_first_hand_out()
    {
        var delayed = Simple("later");
        delayed.StartDelay = 30;
        await StartAsync(Def("start_delay", delayed));
        Assert.Null(await Engine.PollAsync("later", "w1", null, Ct));
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.NotNull(await Engine.PollAsync("later", "w1", null, Ct));
    }
}
