using System.Net;
using System.Net.Sockets;
using Azure.Core;
using ConductorTools.Api;
using ConductorTools.Http;
using ConductorTools.Model;

namespace ConductorTools.Core.Tests;

/// <summary>The REST client against a scripted loopback server: wire details, error mapping, auth flows, fallbacks.</summary>
public class HttpConductorApiCannedTests
{
    private static HttpConductorApi Client(CannedServer server, Action<ConductorClientOptions>? configure = null)
    {
        var options = new ConductorClientOptions { ServerUrl = server.ApiUrl, TransientRetryDelay = TimeSpan.FromMilliseconds(1) };
        configure?.Invoke(options);
        return new HttpConductorApi(options);
    }

    [Fact]
    public async Task Batch_poll_sends_conductor_query_and_treats_204_and_empty_array_as_no_work()
    {
        await using var server = await CannedServer.StartAsync();
        var answer = 0;
        server.Handler = (ctx, _) =>
        {
            if (answer++ == 0) { ctx.Response.StatusCode = 204; return Task.CompletedTask; }
            return CannedServer.Json(ctx, 200, "[]");
        };
        using var api = Client(server);
        Assert.Empty(await api.BatchPollAsync("charge", 4, TimeSpan.FromSeconds(1), "host-1", domain: ""));
        Assert.Empty(await api.BatchPollAsync("charge", 4, TimeSpan.FromSeconds(9), "host-1", domain: "blue"));
        var requests = server.Requests.ToArray();
        Assert.Equal("/api/tasks/poll/batch/charge", requests[0].Path);
        Assert.Equal("?workerid=host-1&count=4&timeout=1000", requests[0].Query); // never "domain=" when empty
        Assert.Equal("?workerid=host-1&count=4&timeout=5000&domain=blue", requests[1].Query); // capped at Conductor's 5 s
    }

    [Fact]
    public async Task Single_poll_204_is_null_and_start_returns_text_id()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, body) =>
        {
            if (ctx.Request.Path.StartsWithSegments("/api/tasks/poll")) { ctx.Response.StatusCode = 204; return Task.CompletedTask; }
            Assert.Contains("\"input\":{}", body); // never a JSON null input
            return CannedServer.Text(ctx, "wf-123");
        };
        using var api = Client(server);
        Assert.Null(await api.PollAsync("charge"));
        Assert.Equal("wf-123", await api.StartWorkflowAsync(new StartWorkflowRequest { Name = "order", Input = null }));
    }

    [Fact]
    public async Task Validation_errors_are_all_listed_and_not_retried()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, _) => CannedServer.Json(ctx, 400, """
            {"status":400,"message":"Validation failed, check below errors for detail.","retryable":false,
             "validationErrors":[{"path":"registerTaskDef.taskDefinitions[0].name","message":"TaskDef name cannot be null or empty"},
                                 {"path":"registerTaskDef.taskDefinitions[0].responseTimeoutSeconds","message":"responseTimeoutSeconds must be less than timeoutSeconds"}]}
            """);
        using var api = Client(server);
        var ex = await Assert.ThrowsAsync<ConductorException>(() => api.RegisterTaskDefsAsync([new TaskDef("")]));
        Assert.Equal(ConductorErrorKind.Validation, ex.Kind);
        Assert.Equal(2, ex.ValidationErrors.Count);
        Assert.Contains("TaskDef name cannot be null or empty", ex.Message);
        Assert.Contains("responseTimeoutSeconds must be less than timeoutSeconds", ex.Message);
        Assert.Contains("POST http://127.0.0.1", ex.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Not_found_names_the_thing_and_illegal_state_500_is_invalid_state()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, _) => ctx.Request.Method == "GET"
            ? CannedServer.Json(ctx, 404, """{"status":404,"message":"No such taskType found by name: nope","retryable":false}""")
            : CannedServer.Json(ctx, 500, """{"status":500,"message":"The workflow wf-1 is not PAUSED so cannot resume","retryable":false}""");
        using var api = Client(server);
        var notFound = await Assert.ThrowsAsync<ConductorException>(() => api.GetTaskDefAsync("nope"));
        Assert.Equal(ConductorErrorKind.NotFound, notFound.Kind);
        Assert.Contains("nope", notFound.Message);
        var state = await Assert.ThrowsAsync<ConductorException>(() => api.ResumeWorkflowAsync("wf-1"));
        Assert.Equal(ConductorErrorKind.InvalidState, state.Kind);
        Assert.False(state.Retryable);
    }

    [Fact]
    public async Task Transient_failures_are_retried_for_reads_but_never_for_task_updates()
    {
        await using var server = await CannedServer.StartAsync();
        var reads = 0;
        server.Handler = (ctx, _) =>
        {
            if (ctx.Request.Method == "GET" && ++reads < 3)
                return CannedServer.Json(ctx, 503, """{"status":503,"message":"busy","retryable":true}""");
            if (ctx.Request.Method == "GET") return CannedServer.Json(ctx, 200, """{"name":"charge"}""");
            return CannedServer.Json(ctx, 503, """{"status":503,"message":"busy","retryable":true}""");
        };
        using var api = Client(server);
        Assert.Equal("charge", (await api.GetTaskDefAsync("charge")).Name);
        Assert.Equal(3, reads);
        var ex = await Assert.ThrowsAsync<ConductorException>(() => api.UpdateTaskAsync(new TaskResult("wf", "t", TaskResultStatus.COMPLETED)));
        Assert.True(ex.Retryable);
        Assert.Equal(1, server.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task Unreachable_server_is_a_transport_error_naming_the_url()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var api = new HttpConductorApi(new ConductorClientOptions
        {
            ServerUrl = new Uri($"http://127.0.0.1:{port}"),
            MaxTransientAttempts = 1,
        });
        var ex = await Assert.ThrowsAsync<ConductorException>(() => api.GetTaskDefsAsync());
        Assert.Equal(ConductorErrorKind.Transport, ex.Kind);
        Assert.Contains($"http://127.0.0.1:{port}/api/", ex.Message);
        Assert.Contains("Is the server running?", ex.Message);
    }

    [Fact]
    public void Malformed_server_url_is_rejected_with_the_expected_form()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ConductorClientOptions { ServerUrl = new Uri("ftp://x/", UriKind.Absolute) });
        Assert.Contains("http://localhost:8080/api", ex.Message);
        Assert.Equal(new Uri("http://h:8080/api/"), ConductorClientOptions.NormalizeServerUrl("http://h:8080"));
        Assert.Equal(new Uri("http://h:8080/api/"), ConductorClientOptions.NormalizeServerUrl("http://h:8080/api"));
    }

    [Fact]
    public async Task Update_v2_falls_back_to_v1_once_and_remembers()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, _) => ctx.Request.Path == "/api/tasks/update-v2"
            ? CannedServer.Json(ctx, 404, """{"status":404,"message":"No static resource tasks/update-v2."}""")
            : CannedServer.Text(ctx, "t1");
        using var api = Client(server);
        var result = new TaskResult("wf", "t1", TaskResultStatus.COMPLETED);
        Assert.Null(await api.UpdateTaskV2Async(result));
        Assert.True(api.UpdateV2Unsupported);
        Assert.Null(await api.UpdateTaskV2Async(result));
        Assert.Equal(["/api/tasks/update-v2", "/api/tasks", "/api/tasks"], server.Requests.Select(r => r.Path).ToArray());
    }

    [Fact]
    public async Task Update_v2_returns_next_task_and_204_means_none()
    {
        await using var server = await CannedServer.StartAsync();
        var first = true;
        server.Handler = (ctx, _) =>
        {
            if (first) { first = false; return CannedServer.Json(ctx, 200, """{"taskId":"t2","taskType":"charge","status":"IN_PROGRESS"}"""); }
            ctx.Response.StatusCode = 204;
            return Task.CompletedTask;
        };
        using var api = Client(server);
        var result = new TaskResult("wf", "t1", TaskResultStatus.COMPLETED);
        Assert.Equal("t2", (await api.UpdateTaskV2Async(result))!.TaskId);
        Assert.Null(await api.UpdateTaskV2Async(result));
        Assert.False(api.UpdateV2Unsupported);
    }

    [Fact]
    public async Task Skip_task_sends_its_request_as_query_parameters_and_logs_as_raw_text()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, _) => { ctx.Response.StatusCode = 200; return Task.CompletedTask; };
        using var api = Client(server);
        await api.SkipTaskFromWorkflowAsync("wf-1", "ref a", new SkipTaskRequest { TaskOutput = new() { ["x"] = 1L } });
        await api.AddTaskLogAsync("t1", "hello world");
        var skip = server.Requests.First();
        Assert.Equal("PUT", skip.Method);
        Assert.Equal("/api/workflow/wf-1/skiptask/ref a", skip.Path);
        Assert.Contains("taskOutput=", skip.Query);
        Assert.Equal("hello world", server.Requests.Last().Body);
    }

    [Fact]
    public async Task Orkes_token_is_minted_sent_and_replayed_once_after_expiry_without_leaking_the_secret()
    {
        await using var server = await CannedServer.StartAsync();
        var minted = 0;
        server.Handler = (ctx, body) =>
        {
            if (ctx.Request.Path == "/api/token")
            {
                Assert.Contains("\"keyId\":\"key-1\"", body);
                minted++;
                return CannedServer.Json(ctx, 200, $$"""{"token":"tok-{{minted}}"}""");
            }
            var token = ctx.Request.Headers["X-Authorization"].ToString();
            if (token == "tok-1") return CannedServer.Json(ctx, 401, """{"error":"EXPIRED_TOKEN","message":"Token expired"}""");
            if (token != "tok-2") return CannedServer.Json(ctx, 401, """{"error":"INVALID_TOKEN"}""");
            return CannedServer.Json(ctx, 200, "[]");
        };
        using var api = Client(server, o => { o.KeyId = "key-1"; o.KeySecret = "s3cret-value"; });
        Assert.Empty(await api.GetTaskDefsAsync());
        Assert.Empty(await api.GetTaskDefsAsync());
        Assert.Equal(2, minted);
        Assert.DoesNotContain("s3cret-value", api.ToString());
        Assert.Equal(1, server.Requests.Count(r => r.Headers["X-Authorization"] == "tok-1"));
    }

    [Fact]
    public async Task Rejected_key_is_an_unauthorized_error_without_the_secret()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, _) => CannedServer.Json(ctx, 401, """{"message":"Invalid key"}""");
        using var api = Client(server, o => { o.KeyId = "key-1"; o.KeySecret = "s3cret-value"; });
        var ex = await Assert.ThrowsAsync<ConductorException>(() => api.GetTaskDefsAsync());
        Assert.Equal(ConductorErrorKind.Unauthorized, ex.Kind);
        Assert.Contains("key-1", ex.Message);
        Assert.DoesNotContain("s3cret-value", ex.ToString());
    }

    [Fact]
    public async Task Token_endpoint_404_means_auth_off_and_no_header_is_sent()
    {
        await using var server = await CannedServer.StartAsync();
        server.Handler = (ctx, _) => ctx.Request.Path == "/api/token"
            ? CannedServer.Json(ctx, 404, "{}")
            : CannedServer.Json(ctx, 200, "[]");
        using var api = Client(server, o => { o.KeyId = "k"; o.KeySecret = "s"; });
        await api.GetTaskDefsAsync();
        await api.GetTaskDefsAsync();
        Assert.Equal(1, server.Requests.Count(r => r.Path == "/api/token"));
        Assert.All(server.Requests.Where(r => r.Path != "/api/token"), r => Assert.False(r.Headers.ContainsKey("X-Authorization")));
    }

    [Fact]
    public async Task Bearer_token_provider_is_cached_and_refreshed_on_401()
    {
        await using var server = await CannedServer.StartAsync();
        var issued = 0;
        server.Handler = (ctx, _) => ctx.Request.Headers.Authorization == "Bearer b-1"
            ? CannedServer.Json(ctx, 401, "{}")
            : CannedServer.Json(ctx, 200, "[]");
        using var api = Client(server, o => o.AccessTokenProvider = _ =>
            new ValueTask<AccessToken>(new AccessToken("b-" + ++issued, DateTimeOffset.UtcNow.AddHours(1))));
        await api.GetTaskDefsAsync();
        await api.GetTaskDefsAsync();
        Assert.Equal(2, issued);
        Assert.Equal(2, server.Requests.Count(r => r.Headers.Authorization == "Bearer b-2"));
    }

    [Fact]
    public void Options_from_environment_use_the_sdk_variable_names()
    {
        var env = new Dictionary<string, string?>
        {
            ["CONDUCTOR_SERVER_URL"] = "http://conductor:8080/api",
            ["CONDUCTOR_AUTH_KEY"] = "id",
            ["CONDUCTOR_AUTH_SECRET"] = "secret",
        };
        var options = ConductorClientOptions.FromEnvironment(n => env.TryGetValue(n, out var v) ? v : null);
        Assert.Equal(new Uri("http://conductor:8080/api/"), options.ServerUrl);
        Assert.True(options.HasKeyAuth);
        Assert.DoesNotContain("secret", options.ToString());
    }
}
