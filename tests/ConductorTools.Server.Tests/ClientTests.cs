using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>The ConductorTools REST client (HttpConductorApi) against the real server: every IConductorApi operation.</summary>
public sealed class ClientTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Definitions_round_trip_and_errors_map_to_kinds()
    {
        using var api = server.NewClient();
        await api.RegisterTaskDefsAsync([new TaskDef("client_def") { RetryCount = 3, RetryLogic = RetryLogic.EXPONENTIAL_BACKOFF }], Ct);
        var def = await api.GetTaskDefAsync("client_def", Ct);
        Assert.Equal(3, def.RetryCount);
        Assert.Equal(RetryLogic.EXPONENTIAL_BACKOFF, def.RetryLogic);
        def.RetryCount = 4;
        await api.UpdateTaskDefAsync(def, Ct);
        Assert.Equal(4, (await api.GetTaskDefAsync("client_def", Ct)).RetryCount);
        Assert.Contains(await api.GetTaskDefsAsync(Ct), d => d.Name == "client_def");

        var workflow = new WorkflowDef { Name = "client_wf", Tasks = [new WorkflowTask { Name = "client_def", TaskReferenceName = "a" }] };
        await api.RegisterWorkflowDefAsync(workflow, cancellationToken: Ct);
        var conflict = await Assert.ThrowsAsync<ConductorException>(() => api.RegisterWorkflowDefAsync(workflow, cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.Conflict, conflict.Kind);
        workflow.Version = 2;
        var bulk = await api.UpdateWorkflowDefsAsync([workflow], Ct);
        Assert.Empty(bulk.BulkErrorResults);
        Assert.Equal(2, (await api.GetWorkflowDefAsync("client_wf", cancellationToken: Ct)).Version);
        Assert.Equal(1, (await api.GetWorkflowDefAsync("client_wf", 1, Ct)).Version);
        await api.DeleteWorkflowDefAsync("client_wf", 2, Ct);
        Assert.Equal(1, (await api.GetWorkflowDefAsync("client_wf", cancellationToken: Ct)).Version);

        var missing = await Assert.ThrowsAsync<ConductorException>(() => api.GetTaskDefAsync("no_such_client_def", Ct));
        Assert.Equal(ConductorErrorKind.NotFound, missing.Kind);
        Assert.Equal(404, missing.StatusCode);
        Assert.Contains("no_such_client_def", missing.Message);

        var invalid = await Assert.ThrowsAsync<ConductorException>(() => api.ValidateWorkflowDefAsync(new WorkflowDef
        {
            Name = "client_invalid",
            Tasks = [new WorkflowTask { Name = "x", TaskReferenceName = "bad__ref" }, new WorkflowTask { Name = "y", TaskReferenceName = "dup" }, new WorkflowTask { Name = "z", TaskReferenceName = "dup" }],
        }, Ct));
        Assert.Equal(ConductorErrorKind.Validation, invalid.Kind);
        Assert.True(invalid.ValidationErrors.Count >= 2, "every problem is listed: " + invalid.Message);

        await api.DeleteTaskDefAsync("client_def", Ct);
        Assert.Equal(ConductorErrorKind.NotFound, (await Assert.ThrowsAsync<ConductorException>(() => api.GetTaskDefAsync("client_def", Ct))).Kind);
    }

    [Fact]
    public async Task A_workflow_runs_to_completion_through_poll_update_and_update_v2()
    {
        using var api = server.NewClient();
        var name = await server.OneTaskWorkflowAsync("client_run");
        var first = await api.StartWorkflowAsync(new StartWorkflowRequest { Name = name, Input = new() { ["x"] = 1L }, CorrelationId = "client-corr" }, Ct);
        var second = await api.StartWorkflowAsync(name, new Dictionary<string, object?> { ["x"] = 2L }, correlationId: "client-corr", cancellationToken: Ct);

        var polled = await api.BatchPollAsync("client_run", 1, TimeSpan.FromMilliseconds(100), "client-worker", cancellationToken: Ct);
        var task = Assert.Single(polled);
        Assert.Equal("client-worker", task.WorkerId);
        var next = await api.UpdateTaskV2Async(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED) { WorkerId = "client-worker", OutputData = new() { ["result"] = "one" } }, Ct);
        Assert.NotNull(next);
        Assert.NotEqual(task.WorkflowInstanceId, next!.WorkflowInstanceId);
        Assert.Equal(next.TaskId, await api.UpdateTaskAsync(new TaskResult(next.WorkflowInstanceId!, next.TaskId!, TaskResultStatus.COMPLETED) { OutputData = new() { ["result"] = "two" } }, Ct));

        foreach (var id in new[] { first, second })
        {
            var workflow = await api.GetWorkflowAsync(id, cancellationToken: Ct);
            Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
            Assert.Contains(workflow.Output!["result"], new object[] { "one", "two" });
            var status = await api.GetWorkflowStatusAsync(id, includeOutput: true, cancellationToken: Ct);
            Assert.Equal(WorkflowStatus.COMPLETED, status.Status);
            Assert.NotNull(status.Output);
        }
        Assert.Null(await api.PollAsync("client_run", "client-worker", cancellationToken: Ct));
        Assert.Empty(await api.BatchPollAsync("client_run", 5, TimeSpan.Zero, cancellationToken: Ct));

        var correlated = await api.GetWorkflowsByCorrelationIdAsync(name, "client-corr", includeClosed: true, cancellationToken: Ct);
        Assert.Equal(2, correlated.Count);
        var hits = await api.SearchWorkflowsAsync(new SearchRequest { Query = $"workflowType = '{name}' AND status IN (COMPLETED)" }, Ct);
        Assert.Equal(2, hits.TotalHits);
        var taskHits = await api.SearchTasksAsync(new SearchRequest { Query = "taskType = 'client_run'" }, Ct);
        Assert.Equal(2, taskHits.TotalHits);
        Assert.Contains(await api.GetPollDataAsync("client_run", Ct), p => p.WorkerId == "client-worker");
    }

    [Fact]
    public async Task Workflow_operations_and_task_helpers_work_over_http()
    {
        using var api = server.NewClient();
        var name = await server.OneTaskWorkflowAsync("client_ops");
        var id = await api.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Contains(id, await api.GetRunningWorkflowsAsync(name, cancellationToken: Ct));
        Assert.Equal(1, await api.GetQueueSizeAsync("client_ops", cancellationToken: Ct));
        Assert.Equal(1, (await api.GetQueueSizesAsync(["client_ops"], Ct))["client_ops"]);

        await api.PauseWorkflowAsync(id, Ct);
        Assert.Equal(WorkflowStatus.PAUSED, (await api.GetWorkflowAsync(id, false, Ct)).Status);
        await api.ResumeWorkflowAsync(id, Ct);
        var notPaused = await Assert.ThrowsAsync<ConductorException>(() => api.ResumeWorkflowAsync(id, Ct));
        Assert.Equal(500, notPaused.StatusCode);

        var task = (await api.BatchPollAsync("client_ops", 1, TimeSpan.Zero, cancellationToken: Ct)).Single();
        await api.AddTaskLogAsync(task.TaskId!, "working on it", Ct);
        Assert.Equal("working on it", Assert.Single(await api.GetTaskLogsAsync(task.TaskId!, Ct)).Log);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await api.GetTaskAsync(task.TaskId!, Ct)).Status);
        await api.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.FAILED) { ReasonForIncompletion = "boom" }, Ct);
        Assert.Equal(WorkflowStatus.FAILED, (await api.GetWorkflowAsync(id, false, Ct)).Status);

        await api.RetryWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.RUNNING, (await api.GetWorkflowAsync(id, false, Ct)).Status);
        await api.TerminateWorkflowAsync(id, "client says stop", Ct);
        var terminated = await api.GetWorkflowAsync(id, false, Ct);
        Assert.Equal(WorkflowStatus.TERMINATED, terminated.Status);
        Assert.Equal("client says stop", terminated.ReasonForIncompletion);
        await api.RestartWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.RUNNING, (await api.GetWorkflowAsync(id, false, Ct)).Status);
        await api.TerminateWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(id, await api.RerunWorkflowAsync(id, new RerunWorkflowRequest { WorkflowInput = new() { ["again"] = true } }, Ct));
        Assert.Equal(true, (await api.GetWorkflowAsync(id, false, Ct)).Input!["again"]);

        await api.RemoveWorkflowAsync(id, cancellationToken: Ct);
        var gone = await Assert.ThrowsAsync<ConductorException>(() => api.GetWorkflowAsync(id, cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.NotFound, gone.Kind);
        Assert.True((await api.GetHealthAsync(Ct)).Healthy);
    }

    [Fact]
    public async Task Waits_complete_by_reference_name_and_signal_and_skips_apply()
    {
        using var api = server.NewClient();
        await api.RegisterTaskDefsAsync([new TaskDef("client_after_wait")], Ct);
        await api.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "client_waits",
            Tasks =
            [
                new WorkflowTask { Name = "w1", TaskReferenceName = "w1", Type = WorkflowTaskTypes.Wait },
                new WorkflowTask { Name = "w2", TaskReferenceName = "w2", Type = WorkflowTaskTypes.Wait },
                new WorkflowTask { Name = "client_after_wait", TaskReferenceName = "after" },
            ],
        }, overwrite: true, Ct);
        var id = await api.StartWorkflowAsync("client_waits", new Dictionary<string, object?>(), cancellationToken: Ct);
        await api.SkipTaskFromWorkflowAsync(id, "after", new SkipTaskRequest { TaskOutput = new() { ["skipped"] = true } }, Ct);
        Assert.NotNull(await api.UpdateTaskByRefNameAsync(id, "w1", TaskResultStatus.COMPLETED, new Dictionary<string, object?> { ["a"] = 1L }, cancellationToken: Ct));
        Assert.Null(await api.UpdateTaskByRefNameAsync(id, "w1", TaskResultStatus.COMPLETED, null, cancellationToken: Ct));
        await api.SignalWorkflowTaskAsync(id, TaskResultStatus.COMPLETED, new Dictionary<string, object?> { ["b"] = 2L }, Ct);
        var workflow = await api.GetWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(ConductorTaskStatus.SKIPPED, workflow.Tasks.Single(t => t.ReferenceTaskName == "after").Status);
        Assert.Equal(true, workflow.Tasks.Single(t => t.ReferenceTaskName == "after").OutputData!["skipped"]);
    }
}
