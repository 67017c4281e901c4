using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class RetryAndTimeoutTests : EngineTestBase
{
    private async Task<List<long>> RetryDelaysAsync(TaskDef def, int failures)
    {
        await Engine.RegisterTaskDefsAsync(new[] { def }, Ct);
        var id = await StartAsync(Def("retry_" + def.Name, Simple(def.Name)));
        var delays = new List<long>();
        for (var i = 0; i < failures; i++)
        {
            await FailAsync(await PollOneAsync(def.Name));
            var retry = (await GetAsync(id)).Tasks.Last();
            Assert.Equal(ConductorTaskStatus.SCHEDULED, retry.Status);
            Assert.Equal(i + 1, retry.RetryCount);
            delays.Add(retry.CallbackAfterSeconds);
            Assert.Equal(retry.CallbackAfterSeconds, retry.StartDelayInSeconds);
            if (retry.CallbackAfterSeconds > 0)
            {
                Clock.Advance(TimeSpan.FromSeconds(retry.CallbackAfterSeconds - 1));
                Assert.Null(await Engine.PollAsync(def.Name, "w1", null, Ct));
                Clock.Advance(TimeSpan.FromSeconds(1));
            }
        }
        return delays;
    }

    [Fact]
    public async Task Fixed_retry_delay()
    {
        Assert.Equal(new long[] { 5, 5, 5 }, await RetryDelaysAsync(new TaskDef("fixed") { RetryCount = 3, RetryDelaySeconds = 5 }, 3));
    }

    [Fact]
    public async Task Exponential_backoff_doubles_and_is_capped_by_max_retry_delay()
    {
        Assert.Equal(new long[] { 2, 4, 8, 10 }, await RetryDelaysAsync(new TaskDef("expo")
        {
            RetryCount = 4, RetryDelaySeconds = 2, RetryLogic = RetryLogic.EXPONENTIAL_BACKOFF, MaxRetryDelaySeconds = 10,
        }, 4));
    }

    [Fact]
    public async Task Linear_backoff_grows_by_scale_factor()
    {
        Assert.Equal(new long[] { 6, 12, 18 }, await RetryDelaysAsync(new TaskDef("linear")
        {
            RetryCount = 3, RetryDelaySeconds = 2, BackoffScaleFactor = 3, RetryLogic = RetryLogic.LINEAR_BACKOFF,
        }, 3));
    }

    [Fact]
    public async Task Retries_exhausted_fail_the_workflow_and_keep_every_attempt()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("flaky") { RetryCount = 1, RetryDelaySeconds = 0 } }, Ct);
        var id = await StartAsync(Def("exhaust", Simple("flaky")));
        var first = await PollOneAsync("flaky");
        await FailAsync(first, "one");
        var second = await PollOneAsync("flaky");
        Assert.Equal(first.TaskId, second.RetriedTaskId);
        await FailAsync(second, "two");

        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal(2, workflow.Tasks.Count);
        Assert.True(workflow.Tasks[0].Retried);
        Assert.Contains("'two'", workflow.ReasonForIncompletion);
    }

    [Fact]
    public async Task Workflow_task_retry_count_overrides_the_task_def()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("over") { RetryCount = 5, RetryDelaySeconds = 0 } }, Ct);
        var task = Simple("over");
        task.RetryCount = 0;
        var id = await StartAsync(Def("override", task));
        await FailAsync(await PollOneAsync("over"));
        Assert.Equal(WorkflowStatus.FAILED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Unregistered_simple_task_gets_conductors_ad_hoc_defaults()
    {
        var id = await StartAsync(Def("adhoc_def", Simple("unregistered")));
        await FailAsync(await PollOneAsync("unregistered"));
        var retry = (await GetAsync(id)).Tasks.Last();
        Assert.Equal(1, retry.RetryCount);
        Assert.Equal(60, retry.CallbackAfterSeconds); // retryCount 3, FIXED 60 s
        Assert.Equal(3600, retry.ResponseTimeoutSeconds);
    }

    [Fact]
    public async Task Response_timeout_times_out_the_task_and_retries_it()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("slow") { RetryCount = 1, RetryDelaySeconds = 0, ResponseTimeoutSeconds = 10, TimeoutPolicy = TaskTimeoutPolicy.RETRY } }, Ct);
        var id = await StartAsync(Def("response", Simple("slow")));
        var task = await PollOneAsync("slow");
        await AdvanceAsync(TimeSpan.FromSeconds(9));
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(id)).Tasks.Single().Status);

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        var workflow = await GetAsync(id);
        Assert.Equal(ConductorTaskStatus.TIMED_OUT, workflow.Tasks[0].Status);
        Assert.Equal($"responseTimeout: 10 exceeded for taskId: {task.TaskId} with Task Definition: slow", workflow.Tasks[0].ReasonForIncompletion);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, workflow.Tasks[1].Status);

        // A late result for the timed-out attempt is ignored.
        await CompleteAsync(task);
        Assert.Equal(ConductorTaskStatus.TIMED_OUT, (await GetAsync(id)).Tasks[0].Status);

        // Keep-alive (extendLease) resets the response clock.
        var retry = await PollOneAsync("slow");
        await AdvanceAsync(TimeSpan.FromSeconds(8));
        await Engine.UpdateTaskAsync(new TaskResult(id, retry.TaskId!, TaskResultStatus.IN_PROGRESS) { ExtendLease = true }, Ct);
        await AdvanceAsync(TimeSpan.FromSeconds(8));
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(id)).Tasks[1].Status);
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.TIMED_OUT, workflow.Status);
        Assert.Equal(ConductorTaskStatus.TIMED_OUT, workflow.Tasks[1].Status);
    }

    [Fact]
    public async Task Task_timeout_with_time_out_wf_policy_times_the_workflow_out_without_retry()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("budget") { RetryCount = 3, TimeoutSeconds = 30, ResponseTimeoutSeconds = 30, TimeoutPolicy = TaskTimeoutPolicy.TIME_OUT_WF } }, Ct);
        var id = await StartAsync(Def("task_timeout", Simple("budget")));
        var task = await PollOneAsync("budget");
        // Stay alive with IN_PROGRESS callbacks; the per-attempt timeout still counts from the first poll.
        await Engine.UpdateTaskAsync(new TaskResult(id, task.TaskId!, TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = 20 }, Ct);
        await AdvanceAsync(TimeSpan.FromSeconds(20));
        await PollOneAsync("budget");
        await AdvanceAsync(TimeSpan.FromSeconds(10));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.TIMED_OUT, workflow.Status);
        Assert.Single(workflow.Tasks);
        Assert.Equal(ConductorTaskStatus.TIMED_OUT, workflow.Tasks[0].Status);
        Assert.StartsWith("Task timed out after 30 seconds. Timeout configured as 30 seconds. Timeout policy configured to TIME_OUT_WF", workflow.Tasks[0].ReasonForIncompletion);
    }

    [Fact]
    public async Task Task_timeout_with_retry_policy_retries_and_alert_only_only_logs()
    {
        await Engine.RegisterTaskDefsAsync(new[]
        {
            new TaskDef("retry_to") { RetryCount = 1, RetryDelaySeconds = 0, TimeoutSeconds = 5, ResponseTimeoutSeconds = 5, TimeoutPolicy = TaskTimeoutPolicy.RETRY },
            new TaskDef("alert_to") { RetryCount = 0, TimeoutSeconds = 5, ResponseTimeoutSeconds = 5, TimeoutPolicy = TaskTimeoutPolicy.ALERT_ONLY },
        }, Ct);
        var retryId = await StartAsync(Def("retry_to_wf", Simple("retry_to")));
        await PollOneAsync("retry_to");
        await AdvanceAsync(TimeSpan.FromSeconds(5));
        var workflow = await GetAsync(retryId);
        Assert.Equal(WorkflowStatus.RUNNING, workflow.Status);
        Assert.Equal(new[] { ConductorTaskStatus.TIMED_OUT, ConductorTaskStatus.SCHEDULED }, workflow.Tasks.Select(t => t.Status!.Value));

        var alertId = await StartAsync(Def("alert_to_wf", Simple("alert_to")));
        var alert = await PollOneAsync("alert_to");
        await Engine.UpdateTaskAsync(new TaskResult(alertId, alert.TaskId!, TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = 1 }, Ct);
        await AdvanceAsync(TimeSpan.FromSeconds(6));
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(alertId)).Status);
        Assert.Equal(ConductorTaskStatus.SCHEDULED, (await GetAsync(alertId)).Tasks.Single().Status);
    }

    [Fact]
    public async Task Poll_timeout_applies_to_tasks_nobody_polls()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("unpolled") { PollTimeoutSeconds = 15, RetryCount = 0 } }, Ct);
        var id = await StartAsync(Def("poll_timeout", Simple("unpolled")));
        await AdvanceAsync(TimeSpan.FromSeconds(14));
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.TIMED_OUT, workflow.Status);
        Assert.Contains("Poll timeout configured as 15 seconds", workflow.Tasks.Single().ReasonForIncompletion);
        Assert.Equal(0, await Engine.GetQueueSizeAsync("unpolled", null, Ct));
    }

    [Fact]
    public async Task Workflow_timeout_with_time_out_wf_ends_it_and_alert_only_does_not()
    {
        var timed = Def("wf_timeout", Simple("long_task"));
        timed.TimeoutSeconds = 60;
        timed.TimeoutPolicy = WorkflowTimeoutPolicy.TIME_OUT_WF;
        var id = await StartAsync(timed);
        var alert = Def("wf_alert", Simple("long_task"));
        alert.TimeoutSeconds = 60;
        var alertId = await StartAsync(alert);

        await AdvanceAsync(TimeSpan.FromSeconds(60));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.TIMED_OUT, workflow.Status);
        Assert.Equal("Workflow timed out after 60 seconds. Timeout configured as 60 seconds. Timeout policy configured to TIME_OUT_WF", workflow.ReasonForIncompletion);
        Assert.Equal(ConductorTaskStatus.CANCELED, workflow.Tasks.Single().Status);
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(alertId)).Status);
    }

    [Fact]
    public async Task Optional_task_failure_becomes_completed_with_errors_and_the_flow_goes_on()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("opt") { RetryCount = 0 } }, Ct);
        var optional = Simple("opt");
        optional.Optional = true;
        var id = await StartAsync(Def("optional", optional, Simple("after")));
        await FailAsync(await PollOneAsync("opt"));
        await CompleteAsync(await PollOneAsync("after"));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(ConductorTaskStatus.COMPLETED_WITH_ERRORS, workflow.Tasks[0].Status);
    }

    [Fact]
    public async Task Permissive_task_failure_lets_the_flow_continue_then_fails_the_workflow()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("perm") { RetryCount = 0 } }, Ct);
        var permissive = Simple("perm");
        permissive.Permissive = true;
        var id = await StartAsync(Def("permissive", permissive, Simple("after_perm")));
        var failed = await PollOneAsync("perm");
        await FailAsync(failed, "nope");
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);
        await CompleteAsync(await PollOneAsync("after_perm"));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal($"Task {failed.TaskId} failed with status: FAILED and reason: 'nope'", workflow.ReasonForIncompletion);
    }

    [Fact]
    public async Task Failure_workflow_starts_with_the_failed_workflows_details()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("dies") { RetryCount = 0 } }, Ct);
        await Engine.RegisterWorkflowDefAsync(Def("cleanup", Simple("cleanup_task")), cancellationToken: Ct);
        var def = Def("with_failure_wf", Simple("dies"));
        def.FailureWorkflow = "cleanup";
        var id = await StartAsync(def, new() { ["order"] = 7L }, correlationId: "c-7");
        var task = await PollOneAsync("dies");
        await FailAsync(task, "bad");

        var failed = await GetAsync(id);
        var failureId = Assert.IsType<string>(failed.Output!["conductor.failure_workflow"]);
        var failure = await GetAsync(failureId);
        Assert.Equal("cleanup", failure.WorkflowName);
        Assert.Equal("c-7", failure.CorrelationId);
        Assert.Equal(7L, failure.Input!["order"]);
        Assert.Equal(id, failure.Input["workflowId"]);
        Assert.Equal("FAILED", failure.Input["failureStatus"]);
        Assert.Equal(task.TaskId, failure.Input["failureTaskId"]);
        Assert.Equal(failed.ReasonForIncompletion, failure.Input["reason"]);
        Assert.IsType<Dictionary<string, object?>>(failure.Input["failedWorkflow"]);

        // The API terminate does not start it (conductor-oss).
        var other = await Engine.StartWorkflowAsync("with_failure_wf", new Dictionary<string, object?>(), cancellationToken: Ct);
        await Engine.TerminateWorkflowAsync(other, "manual", Ct);
        Assert.False((await GetAsync(other)).Output!.ContainsKey("conductor.failure_workflow"));
    }
}
