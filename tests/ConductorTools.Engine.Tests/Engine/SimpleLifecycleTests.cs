using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class SimpleLifecycleTests : EngineTestBase
{
    [Fact]
    public async Task Three_simple_tasks_run_in_order_and_the_workflow_completes_with_the_last_output()
    {
        var id = await StartAsync(Def("three", Simple("a"), Simple("b"), Simple("c")), new() { ["n"] = 1L }, correlationId: "corr-1");

        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.RUNNING, workflow.Status);
        Assert.Equal("corr-1", workflow.CorrelationId);
        var a = Assert.Single(workflow.Tasks);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, a.Status);
        Assert.Equal("a", a.TaskType);

        Assert.Null(await Engine.PollAsync("b", "w1", null, Ct));
        var polled = await PollOneAsync("a");
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, polled.Status);
        Assert.Equal(1, polled.PollCount);
        Assert.Equal("w1", polled.WorkerId);
        Assert.Equal(id, polled.WorkflowInstanceId);
        Assert.Equal("three", polled.WorkflowType);
        Assert.True(polled.StartTime > 0);
        Assert.Null(await Engine.PollAsync("a", "w1", null, Ct));

        await CompleteAsync(polled, new() { ["x"] = 1L });
        await CompleteAsync(await PollOneAsync("b"), new() { ["y"] = 2L });
        await CompleteAsync(await PollOneAsync("c"), new() { ["z"] = 3L });

        workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(new Dictionary<string, object?> { ["z"] = 3L }, workflow.Output);
        Assert.Equal(new[] { "a", "b", "c" }, workflow.Tasks.Select(t => t.ReferenceTaskName));
        Assert.All(workflow.Tasks, t => Assert.Equal(ConductorTaskStatus.COMPLETED, t.Status));
        Assert.Equal(new[] { 1, 2, 3 }, workflow.Tasks.Select(t => t.Seq));
        Assert.True(workflow.EndTime > 0);

        var status = await Engine.GetWorkflowStatusAsync(id, includeOutput: true, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.COMPLETED, status.Status);
        Assert.Equal(3L, status.Output!["z"]);
        Assert.Null((await Engine.GetWorkflowStatusAsync(id, cancellationToken: Ct)).Output);
        Assert.Empty((await Engine.GetWorkflowAsync(id, includeTasks: false, Ct)).Tasks);
    }

    [Fact]
    public async Task Start_errors_match_conductor()
    {
        var unknown = await Assert.ThrowsAsync<ConductorException>(() => Engine.StartWorkflowAsync("nope", new Dictionary<string, object?>(), cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.NotFound, unknown.Kind);
        Assert.Contains("nope", unknown.Message);

        await Engine.RegisterWorkflowDefAsync(Def("wf", Simple("t")), cancellationToken: Ct);
        var nullInput = await Assert.ThrowsAsync<ConductorException>(() =>
            Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "wf", Input = null }, Ct));
        Assert.Equal(400, nullInput.StatusCode);
        Assert.Equal("NULL input passed when starting workflow", nullInput.ServerMessage);

        var missing = await Assert.ThrowsAsync<ConductorException>(() => Engine.GetWorkflowAsync("no-such-id", true, Ct));
        Assert.Equal(ConductorErrorKind.NotFound, missing.Kind);
        Assert.Equal("No such workflow found by id: no-such-id", missing.ServerMessage);
    }

    [Fact]
    public async Task Inline_definition_in_the_start_request_runs_without_registration()
    {
        var id = await Engine.StartWorkflowAsync(new StartWorkflowRequest
        {
            Name = "adhoc",
            WorkflowDef = Def("adhoc", Simple("only")),
            Input = new Dictionary<string, object?>(),
        }, Ct);
        await CompleteAsync(await PollOneAsync("only"), new() { ["ok"] = true });
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Failed_task_without_retries_fails_the_workflow_with_conductors_reason()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("a") { RetryCount = 0 } }, Ct);
        var id = await StartAsync(Def("fails", Simple("a"), Simple("b")));
        var task = await PollOneAsync("a");
        await FailAsync(task, "worker said no");

        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal($"Task {task.TaskId} failed with status: FAILED and reason: 'worker said no'", workflow.ReasonForIncompletion);
        Assert.Single(workflow.Tasks);
        Assert.Equal(new[] { "a" }, workflow.FailedReferenceTaskNames);
    }

    [Fact]
    public async Task Terminal_error_is_never_retried()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("a") { RetryCount = 3, RetryDelaySeconds = 0 } }, Ct);
        var id = await StartAsync(Def("fwte", Simple("a")));
        await FailAsync(await PollOneAsync("a"), "fatal", TaskResultStatus.FAILED_WITH_TERMINAL_ERROR);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Single(workflow.Tasks);
    }

    [Fact]
    public async Task In_progress_update_requeues_after_callback_delay()
    {
        var id = await StartAsync(Def("callback", Simple("a")));
        var task = await PollOneAsync("a");
        await Engine.UpdateTaskAsync(new TaskResult(id, task.TaskId!, TaskResultStatus.IN_PROGRESS)
        {
            CallbackAfterSeconds = 30,
            OutputData = new() { ["progress"] = 40L },
        }, Ct);

        var stored = (await GetAsync(id)).Tasks.Single();
        Assert.Equal(ConductorTaskStatus.SCHEDULED, stored.Status);
        Assert.Equal(30, stored.CallbackAfterSeconds);
        Assert.Equal(40L, stored.OutputData!["progress"]);
        Assert.Null(await Engine.PollAsync("a", "w1", null, Ct));

        Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(await Engine.PollAsync("a", "w1", null, Ct));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var again = await PollOneAsync("a", workerId: "w2");
        Assert.Equal(task.TaskId, again.TaskId);
        Assert.Equal(2, again.PollCount);
        Assert.Equal(0, again.CallbackAfterSeconds);
        Assert.Equal(task.StartTime, again.StartTime);
        Assert.Equal("w2", again.WorkerId);

        await CompleteAsync(again);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Update_v2_returns_the_next_task_of_the_same_type()
    {
        var first = await StartAsync(Def("v2", Simple("a")));
        var second = await Engine.StartWorkflowAsync("v2", new Dictionary<string, object?>(), cancellationToken: Ct);
        var task = await PollOneAsync("a");
        var next = await Engine.UpdateTaskV2Async(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED) { WorkerId = "w9" }, Ct);
        Assert.NotNull(next);
        Assert.Equal(second, next!.WorkflowInstanceId);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, next.Status);
        Assert.Equal("w9", next.WorkerId);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(first)).Status);

        Assert.Null(await Engine.UpdateTaskV2Async(new TaskResult(second, next.TaskId!, TaskResultStatus.COMPLETED), Ct));
        // An IN_PROGRESS update never hands out a task.
        var third = await Engine.StartWorkflowAsync("v2", new Dictionary<string, object?>(), cancellationToken: Ct);
        var t3 = await PollOneAsync("a");
        Assert.Equal(third, t3.WorkflowInstanceId);
        await Engine.StartWorkflowAsync("v2", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Null(await Engine.UpdateTaskV2Async(new TaskResult(third, t3.TaskId!, TaskResultStatus.IN_PROGRESS), Ct));
    }

    [Fact]
    public async Task Update_v2_hands_out_the_next_task_of_the_same_workflow()
    {
        var id = await StartAsync(Def("v2_same", Simple("same", "s1"), Simple("same", "s2")));
        var first = await PollOneAsync("same");
        var next = await Engine.UpdateTaskV2Async(new TaskResult(id, first.TaskId!, TaskResultStatus.COMPLETED), Ct);
        Assert.NotNull(next);
        Assert.Equal("s2", next!.ReferenceTaskName);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(id)).Tasks[1].Status);
        Assert.Null(await Engine.UpdateTaskV2Async(new TaskResult(id, next.TaskId!, TaskResultStatus.COMPLETED), Ct));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Updates_of_unknown_tasks_are_404_and_of_terminal_tasks_ignored()
    {
        var missing = await Assert.ThrowsAsync<ConductorException>(() =>
            Engine.UpdateTaskAsync(new TaskResult("wf", "no-task", TaskResultStatus.COMPLETED), Ct));
        Assert.Equal(ConductorErrorKind.NotFound, missing.Kind);
        var invalid = await Assert.ThrowsAsync<ConductorException>(() => Engine.UpdateTaskAsync(new TaskResult("", "", TaskResultStatus.COMPLETED), Ct));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Equal(2, invalid.ValidationErrors.Count);

        var id = await StartAsync(Def("ignored", Simple("a")));
        var task = await PollOneAsync("a");
        await CompleteAsync(task, new() { ["v"] = 1L });
        await FailAsync(task);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(ConductorTaskStatus.COMPLETED, workflow.Tasks.Single().Status);
    }

    [Fact]
    public async Task Terminate_cancels_pending_tasks_and_completed_workflows_conflict()
    {
        var id = await StartAsync(Def("term", Simple("a"), Simple("b")));
        await Engine.TerminateWorkflowAsync(id, "stop it", Ct);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.TERMINATED, workflow.Status);
        Assert.Equal("stop it", workflow.ReasonForIncompletion);
        Assert.Equal(ConductorTaskStatus.CANCELED, workflow.Tasks.Single().Status);
        Assert.Null(await Engine.PollAsync("a", "w1", null, Ct));
        await Engine.TerminateWorkflowAsync(id, "again", Ct); // already terminated: no-op

        var done = await Engine.StartWorkflowAsync("term", new Dictionary<string, object?>(), cancellationToken: Ct);
        await CompleteAsync(await PollOneAsync("a"));
        await CompleteAsync(await PollOneAsync("b"));
        var conflict = await Assert.ThrowsAsync<ConductorException>(() => Engine.TerminateWorkflowAsync(done, null, Ct));
        Assert.Equal(ConductorErrorKind.Conflict, conflict.Kind);
        Assert.Equal("Cannot terminate a COMPLETED workflow.", conflict.ServerMessage);
    }

    [Fact]
    public async Task Input_templates_fill_missing_keys_and_priority_is_validated()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("templated") { InputTemplate = new() { ["region"] = "eu", ["size"] = 1L } } }, Ct);
        var def = Def("templates", Simple("templated", input: new() { ["size"] = 5L }));
        def.InputTemplate = new() { ["mode"] = "fast" };
        var id = await StartAsync(def, new() { ["given"] = true });
        Assert.Equal("fast", (await GetAsync(id)).Input!["mode"]);
        var task = await PollOneAsync("templated");
        Assert.Equal("eu", task.InputData!["region"]);
        Assert.Equal(5L, task.InputData["size"]);

        // An empty start input stays empty (Conductor adds template keys only to a non-empty input).
        var empty = await Engine.StartWorkflowAsync("templates", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Empty((await GetAsync(empty)).Input!);

        var priority = await Assert.ThrowsAsync<ConductorException>(() => Engine.StartWorkflowAsync("templates", new Dictionary<string, object?>(), priority: 100, cancellationToken: Ct));
        Assert.Equal(400, priority.StatusCode);
    }
}
