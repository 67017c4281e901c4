using System.Net;
using System.Text;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>Issue 17: requests shaped as a browser sends them cross-origin are refused; depth limits answer a whole 400.</summary>
public sealed class BrowserSafetyTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Workflow = """{"name":"csrf_wf","version":1,"schemaVersion":2,"tasks":[{"name":"t","taskReferenceName":"t","type":"SIMPLE"}]}""";

    /// <summary>What a page's <c>fetch(url, {method:'POST', mode:'no-cors', body})</c> or a form post sends: a CORS
    /// "simple request", no preflight.</summary>
    private static HttpRequestMessage SimpleRequest(string path, string body, string contentType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "no-cors");
        return request;
    }

    [Theory]
    [InlineData("text/plain;charset=UTF-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Simple_cross_origin_posts_are_refused_before_anything_happens(string contentType)
    {
        using var register = await server.Http.SendAsync(SimpleRequest("metadata/workflow?overwrite=true", Workflow, contentType), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, register.StatusCode);
        Assert.Contains("application/json", await register.Content.ReadAsStringAsync(Ct));
        Assert.False(register.Headers.Contains("Access-Control-Allow-Origin"));

        using var start = await server.Http.SendAsync(SimpleRequest("workflow/csrf_wf", "{}", contentType), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, start.StatusCode);
        Assert.DoesNotContain(await server.Server.Engine.GetWorkflowDefsAsync(Ct), d => d.Name == "csrf_wf");
    }

    [Fact]
    public async Task A_body_without_content_type_is_refused_and_json_is_accepted()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Workflow));
        using var none = await server.Http.PostAsync("metadata/workflow?overwrite=true", content, Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, none.StatusCode);
        // Another name: the cross-origin test checks that csrf_wf never gets registered, whichever runs first.
        using var json = await server.Http.PostAsync("metadata/workflow?overwrite=true", ServerFixture.Json(Workflow.Replace("csrf_wf", "csrf_json_wf")), Ct);
        Assert.True(json.IsSuccessStatusCode, await json.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_preflight_gets_no_cors_permission()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "workflow/csrf_wf");
        preflight.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "POST");
        preflight.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "content-type");
        using var answer = await server.Http.SendAsync(preflight, Ct);
        Assert.False(answer.IsSuccessStatusCode);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Methods"));
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("localhost.evil.example")]
    public async Task A_rebound_host_name_is_refused_on_a_loopback_server(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metadata/workflow");
        request.Headers.Host = host + ":" + server.Server.BaseAddress.Port;
        using var answer = await server.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("is not allowed", await answer.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public async Task Loopback_host_names_are_accepted(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metadata/workflow");
        request.Headers.Host = host + ":" + server.Server.BaseAddress.Port;
        using var answer = await server.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task Configured_host_names_are_accepted()
    {
        await using var named = new ServerFixture(new LocalConductorServerOptions { AllowedHosts = ["conductor.test"] });
        await named.InitializeAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "metadata/workflow");
        request.Headers.Host = "conductor.test:" + named.Server.BaseAddress.Port;
        using var answer = await named.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://127.0.0.1:1;http://0.0.0.0:2", false)]
    public void Loopback_only_is_every_address_being_loopback(string urls, bool loopback) =>
        Assert.Equal(loopback, new LocalConductorServerOptions { Urls = urls }.LoopbackOnly);

    private static string Nested(int levels) => new StringBuilder().Insert(0, "{\"n\":", levels).Append('1').Append('}', levels).ToString();

    [Theory]
    [InlineData(100)]
    [InlineData(254)]
    [InlineData(400)]
    public async Task Input_nested_too_deep_gets_a_whole_400_naming_the_limit(int levels)
    {
        // Its own name: the cross-origin test checks that csrf_wf never gets registered, whichever runs first.
        await server.Server.Engine.RegisterWorkflowDefAsync(ConductorJson.Deserialize<WorkflowDef>(Workflow.Replace("csrf_wf", "depth_wf"))!, overwrite: true, Ct);
        using var answer = await server.Http.PostAsync("workflow/depth_wf", ServerFixture.Json(Nested(levels)), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var error = ConductorJson.Deserialize<ErrorResponse>(await answer.Content.ReadAsStringAsync(Ct))!;
        Assert.Contains("64 levels", error.Message);
    }

    [Fact]
    public async Task Input_at_the_limit_round_trips_through_start_poll_and_get()
    {
        await server.Server.Engine.RegisterWorkflowDefAsync(ConductorJson.Deserialize<WorkflowDef>(Workflow.Replace("csrf_wf", "depth_wf"))!, overwrite: true, Ct);
        using var start = await server.Http.PostAsync("workflow/depth_wf", ServerFixture.Json("{\"x\":" + Nested(63) + "}"), Ct);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        var id = await start.Content.ReadAsStringAsync(Ct);
        using var poll = await server.Http.GetAsync("tasks/poll/batch/t?count=4&timeout=100", Ct);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.NotEmpty(ConductorJson.Deserialize<List<ConductorTask>>(await poll.Content.ReadAsStringAsync(Ct))!);
        using var get = await server.Http.GetAsync("workflow/" + id, Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }
}

public sealed class ExecuteValidationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_execute_wait_no_timer_can_take_is_refused_before_the_workflow_starts()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await server.OneTaskWorkflowAsync("exec_wait_check");
        using var answer = await server.Http.PostAsync($"workflow/execute/{name}/1?waitForSeconds=2147483647", ServerFixture.Json("{}"), ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("waitForSeconds must be at most", await answer.Content.ReadAsStringAsync(ct));
        Assert.Equal(0, (await server.Server.Engine.SearchWorkflowsAsync(new ConductorTools.Model.SearchRequest { Query = $"workflowType = '{name}'" }, ct)).TotalHits);
    }
}

public sealed class DatabaseFileTests
{
    [Fact]
    public async Task A_new_database_file_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        var directory = Path.Combine(Path.GetTempPath(), "ct-mode-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(directory, "c.db");
        try
        {
            await using (var fixture = new ServerFixture(new LocalConductorServerOptions { DatabasePath = path }))
            {
                await fixture.InitializeAsync();
                await fixture.Server.Engine.RegisterTaskDefsAsync([new ConductorTools.Model.TaskDef("mode_check")], TestContext.Current.CancellationToken);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
