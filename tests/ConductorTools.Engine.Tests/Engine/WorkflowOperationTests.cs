using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class WorkflowOperationTests : EngineTestBase
{
    [Fact]
    public async Task Pause_stops_scheduling_and_resume_continues()
    {
        var id = await StartAsync(Def("pause", Simple("p1"), Simple("p2")));
        await Engine.PauseWorkflowAsync(id, Ct);
        await Engine.PauseWorkflowAsync(id, Ct); // no-op
        Assert.Equal(WorkflowStatus.PAUSED, (await GetAsync(id)).Status);

        // Already scheduled tasks can still be polled and completed, but nothing new is scheduled.
        await CompleteAsync(await PollOneAsync("p1"));
        Assert.Null(await Engine.PollAsync("p2", "w1", null, Ct));
        Assert.Single((await GetAsync(id)).Tasks);

        await Engine.ResumeWorkflowAsync(id, Ct);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.RUNNING, workflow.Status);
        Assert.True(workflow.LastRetriedTime > 0);
        await CompleteAsync(await PollOneAsync("p2"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        var resume = await Assert.ThrowsAsync<ConductorException>(() => Engine.ResumeWorkflowAsync(id, Ct));
        Assert.Equal(ConductorErrorKind.InvalidState, resume.Kind);
        Assert.Equal(500, resume.StatusCode);
        Assert.Equal(ConductorErrorKind.Conflict, (await Assert.ThrowsAsync<ConductorException>(() => Engine.PauseWorkflowAsync(id, Ct))).Kind);
    }

    [Fact]
    public async Task Retry_reschedules_the_failed_task_and_the_workflow_finishes()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("r1") { RetryCount = 0 } }, Ct);
        var id = await StartAsync(Def("retry_wf", Simple("r0"), Simple("r1"), Simple("r2")));
        await CompleteAsync(await PollOneAsync("r0"));

        var running = await Assert.ThrowsAsync<ConductorException>(() => Engine.RetryWorkflowAsync(id, false, Ct));
        Assert.Equal(ConductorErrorKind.NotFound, running.Kind);
        Assert.StartsWith("Workflow is still running.", running.ServerMessage);

        var failed = await PollOneAsync("r1");
        await FailAsync(failed);
        Assert.Equal(WorkflowStatus.FAILED, (await GetAsync(id)).Status);

        await Engine.RetryWorkflowAsync(id, false, Ct);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.RUNNING, workflow.Status);
        Assert.Null(workflow.ReasonForIncompletion);
        var retried = await PollOneAsync("r1");
        Assert.Equal(1, retried.RetryCount);
        Assert.Equal(failed.TaskId, retried.RetriedTaskId);
        await CompleteAsync(retried);
        await CompleteAsync(await PollOneAsync("r2"));
        workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(4, workflow.Tasks.Count);
    }

    [Fact]
    public async Task Restart_runs_again_from_the_start_with_the_same_id_and_input()
    {
        var id = await StartAsync(Def("restart_wf", Simple("s1")), new() { ["k"] = "v" });
        await CompleteAsync(await PollOneAsync("s1"));
        await Engine.RestartWorkflowAsync(id, false, Ct);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.RUNNING, workflow.Status);
        Assert.Equal("v", workflow.Input!["k"]);
        var task = Assert.Single(workflow.Tasks);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, task.Status);
        Assert.Equal(ConductorErrorKind.Conflict, (await Assert.ThrowsAsync<ConductorException>(() => Engine.RestartWorkflowAsync(id, false, Ct))).Kind);

        // useLatestDefinitions picks up a newer version.
        var v2 = Def("restart_wf", Simple("s1"), Simple("s2"));
        v2.Version = 2;
        await Engine.RegisterWorkflowDefAsync(v2, cancellationToken: Ct);
        await CompleteAsync(await PollOneAsync("s1"));
        await Engine.RestartWorkflowAsync(id, true, Ct);
        Assert.Equal(2, (await GetAsync(id)).WorkflowVersion);
    }

    [Fact]
    public async Task Rerun_from_a_task_drops_later_tasks_and_uses_new_input()
    {
        var id = await StartAsync(Def("rerun_wf", Simple("x1"), Simple("x2")));
        await CompleteAsync(await PollOneAsync("x1"), new() { ["first"] = true });
        var x2 = await PollOneAsync("x2");
        await CompleteAsync(x2);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        var again = await Engine.RerunWorkflowAsync(id, new RerunWorkflowRequest { ReRunFromTaskId = x2.TaskId, TaskInput = new() { ["again"] = 1L } }, Ct);
        Assert.Equal(id, again);
        var rerun = await PollOneAsync("x2");
        Assert.Equal(x2.TaskId, rerun.TaskId);
        Assert.Equal(1L, rerun.InputData!["again"]);
        await CompleteAsync(rerun);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        var bad = await Assert.ThrowsAsync<ConductorException>(() => Engine.RerunWorkflowAsync(id, new RerunWorkflowRequest { ReRunFromTaskId = "nope" }, Ct));
        Assert.Equal(400, bad.StatusCode);

        await Engine.RerunWorkflowAsync(id, new RerunWorkflowRequest { WorkflowInput = new() { ["fresh"] = true } }, Ct);
        var workflow = await GetAsync(id);
        Assert.Equal(true, workflow.Input!["fresh"]);
        Assert.Equal("x1", Assert.Single(workflow.Tasks).ReferenceTaskName);
    }

    [Fact]
    public async Task Skip_pre_skips_a_future_task()
    {
        var id = await StartAsync(Def("skip_wf", Simple("k1"), Simple("k2"), Simple("k3")));
        await Engine.SkipTaskFromWorkflowAsync(id, "k2", new SkipTaskRequest { TaskOutput = new() { ["skipped"] = true } }, Ct);
        await CompleteAsync(await PollOneAsync("k1"));
        Assert.Null(await Engine.PollAsync("k2", "w1", null, Ct));
        await CompleteAsync(await PollOneAsync("k3"));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var skipped = workflow.Tasks.Single(t => t.ReferenceTaskName == "k2");
        Assert.Equal(ConductorTaskStatus.SKIPPED, skipped.Status);
        Assert.Equal(true, skipped.OutputData!["skipped"]);

        var again = await Assert.ThrowsAsync<ConductorException>(() => Engine.SkipTaskFromWorkflowAsync(id, "k1", null, Ct));
        Assert.Equal(ConductorErrorKind.InvalidState, again.Kind);
        var running = await Engine.StartWorkflowAsync("skip_wf", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Equal(ConductorErrorKind.InvalidState, (await Assert.ThrowsAsync<ConductorException>(() => Engine.SkipTaskFromWorkflowAsync(running, "k1", null, Ct))).Kind);
        Assert.Equal(ConductorErrorKind.InvalidState, (await Assert.ThrowsAsync<ConductorException>(() => Engine.SkipTaskFromWorkflowAsync(running, "zz", null, Ct))).Kind);
    }

    [Fact]
    public async Task Remove_deletes_the_execution()
    {
        var id = await StartAsync(Def("remove_wf", Simple("rm")));
        await Engine.RemoveWorkflowAsync(id, true, Ct);
        Assert.Equal(ConductorErrorKind.NotFound, (await Assert.ThrowsAsync<ConductorException>(() => GetAsync(id))).Kind);
        Assert.Null(await Engine.PollAsync("rm", "w1", null, Ct));
        Assert.Equal(ConductorErrorKind.NotFound, (await Assert.ThrowsAsync<ConductorException>(() => Engine.RemoveWorkflowAsync(id, true, Ct))).Kind);
    }

    [Fact]
    public async Task Search_running_and_correlated_queries()
    {
        var a = await StartAsync(Def("search_a", Simple("sa")), correlationId: "order-1");
        Clock.Advance(TimeSpan.FromSeconds(1));
        var b = await StartAsync(Def("search_b", Simple("sb")), new() { ["needle"] = "haystack-42" }, correlationId: "order-1");
        Clock.Advance(TimeSpan.FromSeconds(1));
        var c = await Engine.StartWorkflowAsync("search_a", new Dictionary<string, object?>(), correlationId: "order-2", cancellationToken: Ct);
        await Engine.TerminateWorkflowAsync(c, "x", Ct);

        var byType = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'search_a'" }, Ct);
        Assert.Equal(2, byType.TotalHits);
        var byStatus = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType IN (search_a, search_b) AND status IN (RUNNING, FAILED)", Sort = "startTime:ASC" }, Ct);
        Assert.Equal(new[] { a, b }, byStatus.Results.Select(r => r.WorkflowId));
        var byCorrelation = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "correlationId = \"order-1\"" }, Ct);
        Assert.Equal(2, byCorrelation.TotalHits);
        var byFreeText = await Engine.SearchWorkflowsAsync(new SearchRequest { FreeText = "haystack-42" }, Ct);
        Assert.Equal(b, Assert.Single(byFreeText.Results).WorkflowId);
        Assert.Equal("{needle=haystack-42}", byFreeText.Results[0].Input);
        var start = Clock.GetUtcNow().AddSeconds(-1).ToUnixTimeMilliseconds();
        var byTime = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = $"startTime >= {start}" }, Ct);
        Assert.Equal(new[] { c, b }, byTime.Results.Select(r => r.WorkflowId));
        var paged = await Engine.SearchWorkflowsAsync(new SearchRequest { Start = 1, Size = 1, Sort = "startTime:DESC" }, Ct);
        Assert.Equal(3, paged.TotalHits);
        Assert.Equal(b, Assert.Single(paged.Results).WorkflowId);
        Assert.Equal(400, (await Assert.ThrowsAsync<ConductorException>(() => Engine.SearchWorkflowsAsync(new SearchRequest { Query = "bogus = 1" }, Ct))).StatusCode);

        // OR, with AND binding tighter, and parentheses (quoted keywords are values, not operators).
        var either = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "status = TERMINATED OR workflowType = 'search_b'", Sort = "startTime:ASC" }, Ct);
        Assert.Equal(new[] { b, c }, either.Results.Select(r => r.WorkflowId));
        var precedence = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = search_b OR workflowType = search_a AND status = TERMINATED", Sort = "startTime:ASC" }, Ct);
        Assert.Equal(new[] { b, c }, precedence.Results.Select(r => r.WorkflowId));
        var grouped = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "(workflowType = search_b OR workflowType = search_a) AND status = RUNNING", Sort = "startTime:ASC" }, Ct);
        Assert.Equal(new[] { a, b }, grouped.Results.Select(r => r.WorkflowId));
        Assert.Equal(0, (await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "correlationId = 'order-1 OR 1=1'" }, Ct)).TotalHits);
        var unbalanced = await Assert.ThrowsAsync<ConductorException>(() => Engine.SearchWorkflowsAsync(new SearchRequest { Query = "(status = RUNNING" }, Ct));
        Assert.Equal(400, unbalanced.StatusCode);
        Assert.Contains("parenthes", unbalanced.Message);
        Assert.Equal(400, (await Assert.ThrowsAsync<ConductorException>(() => Engine.SearchWorkflowsAsync(new SearchRequest { Query = "status = RUNNING OR" }, Ct))).StatusCode);

        Assert.Equal(new[] { a }, await Engine.GetRunningWorkflowsAsync("search_a", 1, null, null, Ct));
        Assert.Single(await Engine.GetWorkflowsByCorrelationIdAsync("search_a", "order-1", false, false, Ct));
        Assert.Single(await Engine.GetWorkflowsByCorrelationIdAsync("search_a", "order-2", true, true, Ct));
        Assert.Empty(await Engine.GetWorkflowsByCorrelationIdAsync("search_a", "order-2", false, false, Ct));

        var tasks = await Engine.SearchTasksAsync(new SearchRequest { Query = "taskType = sb" }, Ct);
        Assert.Equal(b, Assert.Single(tasks.Results).WorkflowId);
    }

    [Fact]
    public async Task Update_by_reference_name_merges_output_and_signal_completes_a_wait()
    {
        var wait = new WorkflowTask { Name = "wait", TaskReferenceName = "hold", Type = WorkflowTaskTypes.Wait };
        var human = new WorkflowTask { Name = "approve", TaskReferenceName = "approve", Type = WorkflowTaskTypes.Human };
        var id = await StartAsync(Def("byref", human, wait, Simple("after_wait")));
        var workflow = await GetAsync(id);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, workflow.Tasks.Single().Status);

        Assert.NotNull(await Engine.UpdateTaskByRefNameAsync(id, "approve", TaskResultStatus.IN_PROGRESS, new Dictionary<string, object?> { ["a"] = 1L }, null, Ct));
        var taskId = await Engine.UpdateTaskByRefNameAsync(id, "approve", TaskResultStatus.COMPLETED, new Dictionary<string, object?> { ["b"] = 2L }, "human-1", Ct);
        workflow = await GetAsync(id);
        var approved = workflow.Tasks.Single(t => t.TaskId == taskId);
        Assert.Equal(ConductorTaskStatus.COMPLETED, approved.Status);
        Assert.Equal(new Dictionary<string, object?> { ["a"] = 1L, ["b"] = 2L }, approved.OutputData);
        Assert.Null(await Engine.UpdateTaskByRefNameAsync(id, "approve", TaskResultStatus.COMPLETED, null, null, Ct));

        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, workflow.Tasks.Single(t => t.ReferenceTaskName == "hold").Status);
        await Engine.SignalWorkflowTaskAsync(id, TaskResultStatus.COMPLETED, new Dictionary<string, object?> { ["signal"] = "go" }, Ct);
        workflow = await GetAsync(id);
        Assert.Equal("go", workflow.Tasks.Single(t => t.ReferenceTaskName == "hold").OutputData!["signal"]);
        await CompleteAsync(await PollOneAsync("after_wait"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }
}
