using System.Net;
using System.Text.Json;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>conductor-oss endpoints added for issue 16 ("REST API gaps"), over real HTTP.</summary>
public sealed class ApiGapTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Http => server.Http;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task<string> WaitThenWorkAsync(string name, string taskType)
    {
        await server.Server.Engine.RegisterTaskDefsAsync([new TaskDef(taskType)], Ct);
        await server.Server.Engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = name,
            Tasks =
            [
                new WorkflowTask { Name = "approve", TaskReferenceName = "approve", Type = WorkflowTaskTypes.Wait },
                new WorkflowTask { Name = "second_wait", TaskReferenceName = "second_wait", Type = WorkflowTaskTypes.Wait },
                new WorkflowTask { Name = taskType, TaskReferenceName = "work" },
            ],
        }, overwrite: true, Ct);
        return await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
    }

    [Fact]
    public async Task Workflow_names_and_versions_are_listed_without_definitions()
    {
        foreach (var version in new[] { 2, 1 })
        {
            await server.Server.Engine.RegisterWorkflowDefAsync(new WorkflowDef
            {
                Name = "gap_versions", Version = version, Tasks = [new WorkflowTask { Name = "n", TaskReferenceName = "n", Type = WorkflowTaskTypes.Noop }],
            }, overwrite: true, Ct);
        }
        using (var all = await Http.GetAsync("metadata/workflow/names-and-versions", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            var versions = (await JsonOf(all)).GetProperty("gap_versions");
            Assert.Equal([1, 2], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
            Assert.Equal("gap_versions", versions[0].GetProperty("name").GetString());
            Assert.False(versions[0].TryGetProperty("tasks", out _));
        }
        using (var one = await Http.GetAsync("metadata/workflow/gap_versions/versions", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.Equal([1, 2], (await JsonOf(one)).EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        }
        using var none = await Http.GetAsync("metadata/workflow/no_such_workflow/versions", Ct);
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Equal(0, (await JsonOf(none)).GetArrayLength());
    }

    [Fact]
    public async Task Signal_sync_completes_the_blocked_task_and_answers_per_return_strategy()
    {
        var id = await WaitThenWorkAsync("gap_signal", "gap_signal_work");
        // Signalling the first WAIT: the workflow then blocks on the second, which BLOCKING_TASK answers (TaskRun shape).
        using (var task = await Http.PostAsync($"tasks/{id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK", ServerFixture.Json("""{"ok":1}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, task.StatusCode);
            var run = await JsonOf(task);
            Assert.Equal("BLOCKING_TASK", run.GetProperty("responseType").GetString());
            Assert.Equal("second_wait", run.GetProperty("referenceTaskName").GetString());
            Assert.Equal("IN_PROGRESS", run.GetProperty("status").GetString());
            Assert.Equal(id, run.GetProperty("targetWorkflowId").GetString());
            Assert.False(run.GetProperty("signalTimeout").GetBoolean());
        }
        // Signalling the second: a worker task follows, nothing blocks, so the answer comes when timeoutMillis runs out.
        using (var target = await Http.PostAsync($"tasks/{id}/COMPLETED/signal/sync?timeoutMillis=200", ServerFixture.Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, target.StatusCode);
            var run = await JsonOf(target);
            Assert.Equal("TARGET_WORKFLOW", run.GetProperty("responseType").GetString());
            Assert.Equal("RUNNING", run.GetProperty("status").GetString());
            Assert.True(run.GetProperty("signalTimeout").GetBoolean());
            Assert.Equal(1, run.GetProperty("tasks")[0].GetProperty("outputData").GetProperty("ok").GetInt32());
            Assert.Equal("work", run.GetProperty("tasks")[2].GetProperty("referenceTaskName").GetString());
        }
        using var nothing = await Http.PostAsync($"tasks/{id}/COMPLETED/signal/sync", ServerFixture.Json("{}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, nothing.StatusCode);
        Assert.Contains("Found no blocked task", (await JsonOf(nothing)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Execute_answers_the_blocking_task_for_blocking_task_strategies()
    {
        await WaitThenWorkAsync("gap_exec", "gap_exec_work");
        foreach (var strategy in new[] { "BLOCKING_TASK", "BLOCKING_TASK_INPUT" })
        {
            using var response = await Http.PostAsync($"workflow/execute/gap_exec/1?returnStrategy={strategy}&requestId=r-9", ServerFixture.Json("{}"), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var run = await JsonOf(response);
            Assert.Equal(strategy, run.GetProperty("responseType").GetString());
            Assert.Equal("approve", run.GetProperty("referenceTaskName").GetString());
            Assert.Equal("WAIT", run.GetProperty("taskType").GetString());
            Assert.Equal("IN_PROGRESS", run.GetProperty("status").GetString());
            Assert.Equal("RUNNING", run.GetProperty("targetWorkflowStatus").GetString());
            Assert.Equal(run.GetProperty("workflowId").GetString(), run.GetProperty("targetWorkflowId").GetString());
            Assert.Equal("r-9", run.GetProperty("requestId").GetString());
        }
    }

    [Fact]
    public async Task Bulk_terminate_remove_terminates_and_removes_each_workflow()
    {
        var first = await WaitThenWorkAsync("gap_bulk", "gap_bulk_work");
        var second = await server.Server.Engine.StartWorkflowAsync("gap_bulk", new Dictionary<string, object?>(), cancellationToken: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "workflow/bulk/terminate-remove?reason=cleanup")
        {
            Content = ServerFixture.Json($"""["{first}","{second}","no-such-id"]"""),
        };
        using var response = await Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonOf(response);
        Assert.Equal([first, second], body.GetProperty("bulkSuccessfulResults").EnumerateArray().Select(e => e.GetString()));
        Assert.True(body.GetProperty("bulkErrorResults").TryGetProperty("no-such-id", out _));
        using var gone = await Http.GetAsync($"workflow/{first}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Queue_admin_endpoints_answer_sizes_poll_data_and_requeue()
    {
        var name = await server.OneTaskWorkflowAsync("gap_queue");
        await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        using (var poll = await Http.GetAsync("tasks/poll/batch/gap_queue_other?count=1&timeout=0&workerid=w-gap", Ct)) { }
        using (var all = await Http.GetAsync("tasks/queue/all", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            var sizes = await JsonOf(all);
            Assert.Equal(1, sizes.GetProperty("gap_queue").GetInt64());
            Assert.DoesNotContain(sizes.EnumerateObject(), p => p.Name.StartsWith("_system", StringComparison.Ordinal));
        }
        using (var verbose = await Http.GetAsync("tasks/queue/all/verbose", Ct))
        {
            Assert.Equal(1, (await JsonOf(verbose)).GetProperty("gap_queue").GetProperty("a").GetProperty("size").GetInt64());
        }
        using (var pollData = await Http.GetAsync("tasks/queue/polldata/all", Ct))
        {
            Assert.Contains((await JsonOf(pollData)).EnumerateArray(), p => p.GetProperty("queueName").GetString() == "gap_queue_other"
                && p.GetProperty("workerId").GetString() == "w-gap");
        }
        using var requeue = await Http.PostAsync("tasks/queue/requeue/gap_queue", ServerFixture.Json("{}"), Ct);
        Assert.Equal(HttpStatusCode.OK, requeue.StatusCode);
        Assert.Equal("0", await requeue.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Decide_and_reset_callbacks_work_on_a_running_workflow()
    {
        var name = await server.OneTaskWorkflowAsync("gap_callback");
        var id = await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        var task = await server.Server.Engine.PollAsync("gap_callback", "w", cancellationToken: Ct);
        await server.Server.Engine.UpdateTaskAsync(new TaskResult(id, task!.TaskId!, TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = 3600 }, Ct);
        Assert.Null(await server.Server.Engine.PollAsync("gap_callback", "w", cancellationToken: Ct));

        using (var reset = await Http.PostAsync($"workflow/{id}/resetcallbacks", ServerFixture.Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }
        Assert.NotNull(await server.Server.Engine.PollAsync("gap_callback", "w", cancellationToken: Ct));

        using (var decide = await Http.PutAsync($"workflow/decide/{id}", ServerFixture.Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, decide.StatusCode);
        }
        using var unknown = await Http.PutAsync("workflow/decide/no-such-id", ServerFixture.Json("{}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Search_v2_answers_whole_workflows_and_tasks()
    {
        var name = await server.OneTaskWorkflowAsync("gap_search");
        var id = await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?> { ["k"] = "v" }, cancellationToken: Ct);
        using (var workflows = await Http.GetAsync($"workflow/search-v2?query=workflowId%20%3D%20{id}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, workflows.StatusCode);
            var found = await JsonOf(workflows);
            Assert.Equal(1, found.GetProperty("totalHits").GetInt64());
            Assert.Equal("v", found.GetProperty("results")[0].GetProperty("input").GetProperty("k").GetString());
        }
        using var tasks = await Http.GetAsync($"tasks/search-v2?query=workflowId%20%3D%20{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, tasks.StatusCode);
        Assert.Equal("gap_search", (await JsonOf(tasks)).GetProperty("results")[0].GetProperty("taskType").GetString());
    }

    [Fact]
    public async Task Unimplemented_conductor_paths_answer_no_endpoint_and_version_names_the_api()
    {
        using (var notHere = await Http.GetAsync("workflow/search-by-tasks", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, notHere.StatusCode);
            Assert.StartsWith("No endpoint GET /api/workflow/search-by-tasks", (await JsonOf(notHere)).GetProperty("message").GetString());
        }
        using var version = await Http.GetAsync("version", Ct);
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
        var text = await version.Content.ReadAsStringAsync(Ct);
        Assert.Contains("conductor-oss 3.32 REST API", text);
        Assert.StartsWith("0.1.0", text);
    }
}
