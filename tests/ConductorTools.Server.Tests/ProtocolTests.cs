using System.Net;
using System.Text.Json;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>The wire protocol as conductor-oss speaks it (conductor-oss rest/.../controllers/*Resource.java), over real HTTP.</summary>
public sealed class ProtocolTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Http => server.Http;
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Health_is_served_at_the_root_and_under_api()
    {
        foreach (var url in new[] { server.Server.BaseAddress + "health", server.Server.ApiUrl + "health" })
        {
            using var response = await Http.GetAsync(url, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True((await JsonOf(response)).GetProperty("healthy").GetBoolean());
        }
    }

    [Fact]
    public async Task Starting_returns_the_id_as_text_and_polls_distinguish_204_from_empty_arrays()
    {
        var name = await server.OneTaskWorkflowAsync("proto_start");

        using var empty = await Http.GetAsync("tasks/poll/proto_start", Ct);
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        using var emptyBatch = await Http.GetAsync("tasks/poll/batch/proto_start?count=5&timeout=0", Ct);
        Assert.Equal(HttpStatusCode.OK, emptyBatch.StatusCode);
        Assert.Equal("[]", await emptyBatch.Content.ReadAsStringAsync(Ct));

        using var started = await Http.PostAsync($"workflow/{name}?correlationId=c-1", ServerFixture.Json("""{"n":1}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        Assert.Equal("text/plain", ServerFixture.ContentType(started)?.MediaType);
        var workflowId = await started.Content.ReadAsStringAsync(Ct);
        Assert.False(workflowId.StartsWith('"'));

        using var polled = await Http.GetAsync("tasks/poll/batch/proto_start?count=5&timeout=100&workerid=w1", Ct);
        var tasks = await JsonOf(polled);
        Assert.Equal(1, tasks.GetArrayLength());
        var task = tasks[0];
        Assert.Equal("IN_PROGRESS", task.GetProperty("status").GetString());
        Assert.Equal("w1", task.GetProperty("workerId").GetString());
        Assert.Equal(workflowId, task.GetProperty("workflowInstanceId").GetString());

        var result = $$$"""{"taskId":"{{{task.GetProperty("taskId").GetString()}}}","workflowInstanceId":"{{{workflowId}}}","status":"COMPLETED","outputData":{"result":42}}""";
        using var updated = await Http.PostAsync("tasks", ServerFixture.Json(result), Ct);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("text/plain", ServerFixture.ContentType(updated)?.MediaType);
        Assert.Equal(task.GetProperty("taskId").GetString(), await updated.Content.ReadAsStringAsync(Ct));

        using var workflow = await Http.GetAsync($"workflow/{workflowId}", Ct);
        var body = await JsonOf(workflow);
        Assert.Equal("COMPLETED", body.GetProperty("status").GetString());
        Assert.Equal(42, body.GetProperty("output").GetProperty("result").GetInt32());
        Assert.Equal("c-1", body.GetProperty("correlationId").GetString());
        Assert.Equal(1, body.GetProperty("tasks").GetArrayLength());
        using var withoutTasks = await Http.GetAsync($"workflow/{workflowId}?includeTasks=false", Ct);
        Assert.Equal(0, (await JsonOf(withoutTasks)).GetProperty("tasks").GetArrayLength());
    }

    [Fact]
    public async Task Update_v2_returns_the_next_task_or_204()
    {
        var name = await server.OneTaskWorkflowAsync("proto_v2");
        var first = await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        var second = await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        var task = (await server.Server.Engine.BatchPollAsync("proto_v2", 1, TimeSpan.Zero, "w", cancellationToken: Ct)).Single();

        using var next = await Http.PostAsync("tasks/update-v2", ServerFixture.Json(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED) { WorkerId = "w" }), Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var nextTask = await JsonOf(next);
        Assert.Equal("IN_PROGRESS", nextTask.GetProperty("status").GetString());
        var nextWorkflow = nextTask.GetProperty("workflowInstanceId").GetString();
        Assert.Contains(nextWorkflow, new[] { first, second });
        Assert.NotEqual(task.WorkflowInstanceId, nextWorkflow);

        using var none = await Http.PostAsync("tasks/update-v2", ServerFixture.Json(
            new TaskResult(nextWorkflow!, nextTask.GetProperty("taskId").GetString()!, TaskResultStatus.COMPLETED) { WorkerId = "w" }), Ct);
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
    }

    [Fact]
    public async Task A_long_poll_waits_server_side_and_wakes_when_work_is_scheduled()
    {
        // The engine's clock is a fake that only moves when told: a poll that returns before the clock moves was woken by
        // work arriving, not by its timeout, so no wall-clock threshold is asserted.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var frozen = new ServerFixture(new LocalConductorServerOptions { TimeProvider = clock });
        await frozen.InitializeAsync();
        var name = await frozen.OneTaskWorkflowAsync("proto_longpoll");

        using (var warmUp = await frozen.Http.GetAsync("tasks/poll/batch/proto_longpoll?count=1&timeout=0", Ct))
        {
            Assert.Equal("[]", await warmUp.Content.ReadAsStringAsync(Ct));
        }

        // Nothing queued: the server holds the request until the poll's timeout passes, then answers [].
        var empty = frozen.Http.GetAsync("tasks/poll/batch/proto_longpoll?count=1&timeout=2000", Ct);
        await Task.Delay(300, Ct);
        Assert.False(empty.IsCompleted, "an empty long poll answered before its timeout");
        for (var i = 0; i < 300 && !empty.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1)); // keeps moving in case the request reached the engine late
            await Task.WhenAny(empty, Task.Delay(100, Ct));
        }
        using (var answered = await empty.WaitAsync(TimeSpan.FromSeconds(5), Ct))
        {
            Assert.Equal("[]", await answered.Content.ReadAsStringAsync(Ct));
        }

        // Work scheduled while a poll waits: the poll answers with it, though its timeout never passes.
        var poll = frozen.Http.GetAsync("tasks/poll/batch/proto_longpoll?count=1&timeout=5000", Ct);
        await Task.Delay(300, Ct);
        Assert.False(poll.IsCompleted);
        await frozen.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(1, (await JsonOf(response)).GetArrayLength());

        using var tooLong = await frozen.Http.GetAsync("tasks/poll/batch/proto_longpoll?timeout=6000", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("5 seconds", (await JsonOf(tooLong)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Execute_starts_and_answers_when_the_workflow_blocks_ends_or_the_wait_runs_out()
    {
        await server.Server.Engine.RegisterTaskDefsAsync([new TaskDef("proto_exec")], Ct);
        await server.Server.Engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "proto_execute",
            Tasks =
            [
                new WorkflowTask { Name = "approve", TaskReferenceName = "approve", Type = WorkflowTaskTypes.Wait },
                new WorkflowTask { Name = "proto_exec", TaskReferenceName = "work" },
            ],
        }, overwrite: true, Ct);

        // Blocks on the WAIT task: answers at once with the running workflow in the SignalResponse/WorkflowRun shape.
        using (var blocked = await Http.PostAsync("workflow/execute/proto_execute/0?requestId=r-1", ServerFixture.Json("""{"input":{"k":"v"}}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, blocked.StatusCode);
            var run = await JsonOf(blocked);
            Assert.Equal("TARGET_WORKFLOW", run.GetProperty("responseType").GetString());
            Assert.Equal("RUNNING", run.GetProperty("status").GetString());
            Assert.Equal("RUNNING", run.GetProperty("targetWorkflowStatus").GetString());
            Assert.Equal(run.GetProperty("workflowId").GetString(), run.GetProperty("targetWorkflowId").GetString());
            Assert.Equal("r-1", run.GetProperty("requestId").GetString());
            Assert.Equal("v", run.GetProperty("input").GetProperty("k").GetString());
            Assert.Equal("approve", run.GetProperty("tasks")[0].GetProperty("referenceTaskName").GetString());
        }

        // Waiting for a task that nobody completes: answers after waitForSeconds with the workflow as it is.
        using (var timedOut = await Http.PostAsync("workflow/execute/proto_execute/1?waitUntilTaskRef=work&waitForSeconds=0", ServerFixture.Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, timedOut.StatusCode);
            Assert.Equal("RUNNING", (await JsonOf(timedOut)).GetProperty("status").GetString());
        }

        using var unsupported = await Http.PostAsync("workflow/execute/proto_execute/1?returnStrategy=BLOCKING_NOTHING", ServerFixture.Json("{}"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
        Assert.Contains("BLOCKING_TASK_INPUT", (await JsonOf(unsupported)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Retry_and_restart_answer_204_and_state_errors_use_conductors_status_codes()
    {
        var name = await server.OneTaskWorkflowAsync("proto_ops");
        var id = await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);

        using (var retryRunning = await Http.PostAsync($"workflow/{id}/retry", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, retryRunning.StatusCode); // WorkflowExecutorOps.retry: "Workflow is still running" is a NotFoundException (404)
        }
        using (var resumeRunning = await Http.PutAsync($"workflow/{id}/resume", null, Ct))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, resumeRunning.StatusCode); // IllegalStateException
            Assert.False(string.IsNullOrEmpty((await JsonOf(resumeRunning)).GetProperty("message").GetString()));
        }
        using (var pause = await Http.PutAsync($"workflow/{id}/pause", null, Ct)) Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        using (var resume = await Http.PutAsync($"workflow/{id}/resume", null, Ct)) Assert.Equal(HttpStatusCode.OK, resume.StatusCode);

        using (var terminate = await Http.DeleteAsync($"workflow/{id}?reason=testing", Ct)) Assert.Equal(HttpStatusCode.OK, terminate.StatusCode);
        var terminated = await server.Server.Engine.GetWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.TERMINATED, terminated.Status);
        Assert.Equal("testing", terminated.ReasonForIncompletion);

        using (var retry = await Http.PostAsync($"workflow/{id}/retry", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, retry.StatusCode);
        }
        Assert.Equal(WorkflowStatus.RUNNING, (await server.Server.Engine.GetWorkflowAsync(id, cancellationToken: Ct)).Status);
        using (var terminateAgain = await Http.DeleteAsync($"workflow/{id}", Ct)) Assert.Equal(HttpStatusCode.OK, terminateAgain.StatusCode);
        using (var restart = await Http.PostAsync($"workflow/{id}/restart", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, restart.StatusCode);
        }
        using (var restartRunning = await Http.PostAsync($"workflow/{id}/restart", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, restartRunning.StatusCode);
        }

        using (var rerunRunning = await Http.PostAsync($"workflow/{id}/rerun", ServerFixture.Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, rerunRunning.StatusCode);
        }
        await server.Server.Engine.TerminateWorkflowAsync(id, "again", Ct);
        using (var rerun = await Http.PostAsync($"workflow/{id}/rerun", ServerFixture.Json("""{"workflowInput":{"n":2}}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, rerun.StatusCode);
            Assert.Equal(id, await rerun.Content.ReadAsStringAsync(Ct));
        }
        Assert.Equal(2L, (await server.Server.Engine.GetWorkflowAsync(id, cancellationToken: Ct)).Input!["n"]);

        using (var remove = await Http.DeleteAsync($"workflow/{id}/remove", Ct)) Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        using var gone = await Http.GetAsync($"workflow/{id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var error = await JsonOf(gone);
        Assert.Equal(404, error.GetProperty("status").GetInt32());
        Assert.Contains(id, error.GetProperty("message").GetString());
        Assert.False(error.GetProperty("retryable").GetBoolean());
    }

    [Fact]
    public async Task Bad_input_gets_a_4xx_that_names_the_problem_never_a_500()
    {
        async Task<(HttpStatusCode Status, string Message)> Send(HttpMethod method, string path, string? body, string contentType = "application/json")
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
            using var response = await Http.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var message = text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.GetProperty("message").GetString() ?? "" : text;
            return (response.StatusCode, message);
        }

        var malformed = await Send(HttpMethod.Post, "metadata/taskdefs", """[{"name": "x", """);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Contains("not valid JSON", malformed.Message);

        var wrongType = await Send(HttpMethod.Post, "metadata/taskdefs", """[{"name":"x","retryCount":"three"}]""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Contains("retryCount", wrongType.Message);
        Assert.Contains("integer", wrongType.Message);

        var notAnArray = await Send(HttpMethod.Post, "metadata/taskdefs", """{"name":"x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, notAnArray.Status);

        var empty = await Send(HttpMethod.Post, "metadata/taskdefs", "");
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Contains("empty", empty.Message);

        var invalidDef = await Send(HttpMethod.Post, "metadata/taskdefs", """[{"name":"x","timeoutSeconds":10,"responseTimeoutSeconds":20}]""");
        Assert.Equal(HttpStatusCode.BadRequest, invalidDef.Status);

        var unknownWorkflow = await Send(HttpMethod.Post, "workflow/no_such_workflow_def", "{}");
        Assert.Equal(HttpStatusCode.NotFound, unknownWorkflow.Status);
        Assert.Contains("no_such_workflow_def", unknownWorkflow.Message);

        var nullInput = await Send(HttpMethod.Post, "workflow/anything", "null");
        Assert.Equal(HttpStatusCode.BadRequest, nullInput.Status);

        var badQuery = await Send(HttpMethod.Get, "workflow/x?includeTasks=maybe", null);
        Assert.Equal(HttpStatusCode.BadRequest, badQuery.Status);
        Assert.Contains("includeTasks", badQuery.Message);

        var badStatus = await Send(HttpMethod.Post, "tasks/wf/ref/DONE", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.Status);
        Assert.Contains("COMPLETED", badStatus.Message);

        var tooBig = await Send(HttpMethod.Get, "workflow/search?size=5001", null);
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.Status);

        var missingIds = await Send(HttpMethod.Post, "tasks", """{"status":"COMPLETED"}""");
        Assert.Equal(HttpStatusCode.BadRequest, missingIds.Status);

        var unknownTask = await Send(HttpMethod.Post, "tasks", """{"taskId":"nope","workflowInstanceId":"nope","status":"COMPLETED"}""");
        Assert.Equal(HttpStatusCode.NotFound, unknownTask.Status);

        var unknownRoute = await Send(HttpMethod.Get, "no/such/endpoint", null);
        Assert.Equal(HttpStatusCode.NotFound, unknownRoute.Status);
        Assert.Contains("No endpoint", unknownRoute.Message);

        var wrongMethod = await Send(HttpMethod.Patch, "metadata/taskdefs", "[]");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.Status);
    }

    [Fact]
    public async Task Oversized_bodies_get_413_with_a_message()
    {
        await using var small = new ServerFixture(new LocalConductorServerOptions { MaxRequestBodySize = 1024 });
        await small.InitializeAsync();
        var big = "[{\"name\":\"big\",\"description\":\"" + new string('x', 4096) + "\"}]";
        using var response = await small.Http.PostAsync("metadata/taskdefs", ServerFixture.Json(big), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than this server accepts", (await JsonOf(response)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Metadata_endpoints_follow_conductor_shapes()
    {
        using (var register = await Http.PostAsync("metadata/taskdefs", ServerFixture.Json("""[{"name":"meta_a","retryCount":2},{"name":"meta_b"}]"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }
        using (var update = await Http.PutAsync("metadata/taskdefs", ServerFixture.Json("""{"name":"meta_a","retryCount":5}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }
        using (var get = await Http.GetAsync("metadata/taskdefs/meta_a", Ct))
        {
            Assert.Equal(5, (await JsonOf(get)).GetProperty("retryCount").GetInt32());
        }
        using (var updateMissing = await Http.PutAsync("metadata/taskdefs", ServerFixture.Json("""{"name":"meta_missing"}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, updateMissing.StatusCode);
        }

        var def = """{"name":"meta_wf","version":1,"tasks":[{"name":"meta_a","taskReferenceName":"a","type":"SIMPLE"}]}""";
        using (var first = await Http.PostAsync("metadata/workflow", ServerFixture.Json(def), Ct)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var again = await Http.PostAsync("metadata/workflow", ServerFixture.Json(def), Ct)) Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using (var overwrite = await Http.PostAsync("metadata/workflow?overwrite=true", ServerFixture.Json(def), Ct)) Assert.Equal(HttpStatusCode.OK, overwrite.StatusCode);
        using (var bulk = await Http.PutAsync("metadata/workflow", ServerFixture.Json("[" + def.Replace("\"version\":1", "\"version\":2") + "]"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        }
        using (var latest = await Http.GetAsync("metadata/workflow/meta_wf", Ct)) Assert.Equal(2, (await JsonOf(latest)).GetProperty("version").GetInt32());
        using (var v1 = await Http.GetAsync("metadata/workflow/meta_wf?version=1", Ct)) Assert.Equal(1, (await JsonOf(v1)).GetProperty("version").GetInt32());
        using (var latestVersions = await Http.GetAsync("metadata/workflow/latest-versions", Ct))
        {
            var defs = (await JsonOf(latestVersions)).EnumerateArray().Where(d => d.GetProperty("name").GetString() == "meta_wf").ToList();
            Assert.Equal(2, Assert.Single(defs).GetProperty("version").GetInt32());
        }
        using (var unsupported = await Http.PostAsync("metadata/workflow/validate", ServerFixture.Json(
            """{"name":"meta_bad","tasks":[{"name":"x","taskReferenceName":"x","type":"NO_SUCH_TYPE"}]}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
            Assert.Contains("NO_SUCH_TYPE", await unsupported.Content.ReadAsStringAsync(Ct));
        }
        using (var delete = await Http.DeleteAsync("metadata/workflow/meta_wf/2", Ct)) Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        using (var deleteAgain = await Http.DeleteAsync("metadata/workflow/meta_wf/2", Ct)) Assert.Equal(HttpStatusCode.NotFound, deleteAgain.StatusCode);
        using (var deleteTask = await Http.DeleteAsync("metadata/taskdefs/meta_b", Ct)) Assert.Equal(HttpStatusCode.OK, deleteTask.StatusCode);
        using var missing = await Http.GetAsync("metadata/taskdefs/meta_b", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Task_logs_store_the_raw_body_and_answer_204_when_there_are_none()
    {
        var name = await server.OneTaskWorkflowAsync("proto_logs");
        await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);
        var task = (await server.Server.Engine.BatchPollAsync("proto_logs", 1, TimeSpan.Zero, cancellationToken: Ct)).Single();

        using (var none = await Http.GetAsync($"tasks/{task.TaskId}/log", Ct)) Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        using (var add = await Http.PostAsync($"tasks/{task.TaskId}/log", new StringContent("plain line"), Ct)) Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        using (var addJson = await Http.PostAsync($"tasks/{task.TaskId}/log", ServerFixture.Json("\"quoted\""), Ct)) Assert.Equal(HttpStatusCode.OK, addJson.StatusCode);
        using var logs = await Http.GetAsync($"tasks/{task.TaskId}/log", Ct);
        var lines = (await JsonOf(logs)).EnumerateArray().Select(l => l.GetProperty("log").GetString()).ToList();
        Assert.Equal(["plain line", "\"quoted\""], lines);
        using var unknown = await Http.PostAsync("tasks/no-such-task/log", new StringContent("x"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Waits_are_completed_by_reference_name_merging_output_and_by_signal()
    {
        await server.Server.Engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "proto_waits",
            Tasks =
            [
                new WorkflowTask { Name = "first", TaskReferenceName = "first", Type = WorkflowTaskTypes.Wait },
                new WorkflowTask { Name = "second", TaskReferenceName = "second", Type = WorkflowTaskTypes.Wait },
            ],
        }, overwrite: true, Ct);
        var id = await server.Server.Engine.StartWorkflowAsync("proto_waits", new Dictionary<string, object?>(), cancellationToken: Ct);

        using (var byRef = await Http.PostAsync($"tasks/{id}/first/COMPLETED", ServerFixture.Json("""{"approved":true}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, byRef.StatusCode);
            Assert.False(string.IsNullOrEmpty(await byRef.Content.ReadAsStringAsync(Ct)));
        }
        using (var noneLeft = await Http.PostAsync($"tasks/{id}/first/COMPLETED", ServerFixture.Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, noneLeft.StatusCode);
            Assert.Equal("", await noneLeft.Content.ReadAsStringAsync(Ct));
        }
        using (var signal = await Http.PostAsync($"tasks/{id}/COMPLETED/signal", ServerFixture.Json("""{"by":"signal"}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, signal.StatusCode);
        }
        var workflow = await server.Server.Engine.GetWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(true, workflow.Tasks[0].OutputData!["approved"]);
        Assert.Equal("signal", workflow.Tasks[1].OutputData!["by"]);
    }

    [Fact]
    public async Task Skip_task_is_bound_from_query_parameters_as_in_conductor_oss()
    {
        await server.Server.Engine.RegisterTaskDefsAsync([new TaskDef("proto_skip_a"), new TaskDef("proto_skip_b")], Ct);
        await server.Server.Engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "proto_skip",
            Tasks =
            [
                new WorkflowTask { Name = "proto_skip_a", TaskReferenceName = "a" },
                new WorkflowTask { Name = "proto_skip_b", TaskReferenceName = "b" },
            ],
        }, overwrite: true, Ct);
        var id = await server.Server.Engine.StartWorkflowAsync("proto_skip", new Dictionary<string, object?>(), cancellationToken: Ct);
        var output = Uri.EscapeDataString("""{"skipped":"yes"}""");
        using var skip = await Http.PutAsync($"workflow/{id}/skiptask/b?taskOutput={output}", null, Ct);
        Assert.Equal(HttpStatusCode.OK, skip.StatusCode);

        var a = (await server.Server.Engine.BatchPollAsync("proto_skip_a", 1, TimeSpan.Zero, cancellationToken: Ct)).Single();
        await server.Server.Engine.UpdateTaskAsync(new TaskResult(id, a.TaskId!, TaskResultStatus.COMPLETED), Ct);
        var workflow = await server.Server.Engine.GetWorkflowAsync(id, cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var b = workflow.Tasks.Single(t => t.ReferenceTaskName == "b");
        Assert.Equal(ConductorTaskStatus.SKIPPED, b.Status);
        Assert.Equal("yes", b.OutputData!["skipped"]);
    }

    [Fact]
    public async Task Search_running_correlated_queues_and_poll_data_answer_in_conductor_shapes()
    {
        var name = await server.OneTaskWorkflowAsync("proto_search");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?> { ["i"] = (long)i }, correlationId: "corr-s", cancellationToken: Ct));
        }

        using (var search = await Http.GetAsync($"workflow/search?query={Uri.EscapeDataString($"workflowType = '{name}' AND status IN (RUNNING)")}&size=2", Ct))
        {
            var result = await JsonOf(search);
            Assert.Equal(3, result.GetProperty("totalHits").GetInt64());
            Assert.Equal(2, result.GetProperty("results").GetArrayLength());
            Assert.Equal(name, result.GetProperty("results")[0].GetProperty("workflowType").GetString());
        }
        using (var running = await Http.GetAsync($"workflow/running/{name}", Ct)) // version defaults to 1
        {
            Assert.Equal(ids.Order(), (await JsonOf(running)).EnumerateArray().Select(e => e.GetString()!).Order());
        }
        using (var correlated = await Http.GetAsync($"workflow/{name}/correlated/corr-s", Ct))
        {
            Assert.Equal(3, (await JsonOf(correlated)).GetArrayLength());
        }
        using (var size = await Http.GetAsync("tasks/queue/size?taskType=proto_search", Ct))
        {
            Assert.Equal("3", await size.Content.ReadAsStringAsync(Ct));
        }
        using (var sizes = await Http.GetAsync("tasks/queue/sizes?taskType=proto_search&taskType=nothing_here", Ct))
        {
            var map = await JsonOf(sizes);
            Assert.Equal(3, map.GetProperty("proto_search").GetInt32());
            Assert.Equal(0, map.GetProperty("nothing_here").GetInt32());
        }
        using (var poll = await Http.GetAsync("tasks/poll/proto_search?workerid=poller-1", Ct)) Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        using (var pollData = await Http.GetAsync("tasks/queue/polldata?taskType=proto_search", Ct))
        {
            Assert.Contains((await JsonOf(pollData)).EnumerateArray(), p => p.GetProperty("workerId").GetString() == "poller-1");
        }
        using (var tasks = await Http.GetAsync($"tasks/search?query={Uri.EscapeDataString("taskType = 'proto_search'")}", Ct))
        {
            Assert.Equal(3, (await JsonOf(tasks)).GetProperty("totalHits").GetInt64());
        }
        using var bulk = await Http.PostAsync("workflow/bulk/terminate?reason=bulk", ServerFixture.Json(ids.Append("no-such-id").ToList()), Ct);
        var response = await JsonOf(bulk);
        Assert.Equal(3, response.GetProperty("bulkSuccessfulResults").GetArrayLength());
        Assert.True(response.GetProperty("bulkErrorResults").TryGetProperty("no-such-id", out _));
    }
}
