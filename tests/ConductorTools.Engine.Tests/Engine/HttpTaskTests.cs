using System.Net;
using System.Net.Sockets;
using System.Text;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class HttpTaskTests : EngineTestBase
{

    [Fact]
    public async Task Http_task_calls_the_endpoint_and_records_the_response()
    {
        using var server = Loopback.StartHttpListener(out var port);
        var received = new List<string>();
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await server.GetContextAsync();
                using var reader = new StreamReader(context.Request.InputStream);
                received.Add(context.Request.HttpMethod + " " + context.Request.Url!.AbsolutePath + " " + await reader.ReadToEndAsync(Ct));
                var fail = context.Request.Url.AbsolutePath == "/fail";
                context.Response.StatusCode = fail ? 500 : 200;
                context.Response.ContentType = "application/json";
                var body = Encoding.UTF8.GetBytes(fail ? "{\"error\":\"down\"}" : "{\"id\":7,\"name\":\"ok\"}");
                await context.Response.OutputStream.WriteAsync(body, Ct);
                context.Response.Close();
            }
        }, Ct);

        var http = new WorkflowTask
        {
            Name = "call", TaskReferenceName = "call", Type = WorkflowTaskTypes.Http,
            InputParameters = new()
            {
                ["http_request"] = new Dictionary<string, object?>
                {
                    ["uri"] = $"http://127.0.0.1:{port}/items", ["method"] = "POST", ["body"] = new Dictionary<string, object?> { ["q"] = 1L },
                },
            },
        };
        var id = await StartAsync(Def("http_wf", http));
        Assert.Equal(ConductorTaskStatus.SCHEDULED, (await GetAsync(id)).Tasks[0].Status);
        await Engine.SweepAsync(Ct);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var response = (Dictionary<string, object?>)workflow.Tasks[0].OutputData!["response"]!;
        Assert.Equal(200L, response["statusCode"]);
        Assert.Equal(new Dictionary<string, object?> { ["id"] = 7L, ["name"] = "ok" }, response["body"]);

        http.InputParameters = new() { ["uri"] = $"http://127.0.0.1:{port}/fail", ["method"] = "GET" };
        var failing = await StartAsync(Def("http_fail_wf", http));
        await Engine.SweepAsync(Ct);
        workflow = await GetAsync(failing);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        // As conductor-oss (its RestTemplate throws on 4xx/5xx): the exception's text is the reason and the whole output.
        const string error = "java.lang.Exception: 500 Internal Server Error: \"{\"error\":\"down\"}\"";
        Assert.Equal("Failed to invoke HTTP task due to: " + error, workflow.Tasks[0].ReasonForIncompletion);
        Assert.Equal(error, workflow.Tasks[0].OutputData!["response"]);

        await serving.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal("POST /items {\"q\":1}", received[0]);
    }

    [Fact]
    public async Task Connection_and_read_timeouts_apply_separately()
    {
        using var server = Loopback.StartHttpListener(out var port);
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await server.GetContextAsync();
                _ = Task.Run(async () =>
                {
                    await Task.Delay(800);
                    context.Response.StatusCode = 200;
                    var body = Encoding.UTF8.GetBytes("{\"slow\":true}");
                    try
                    {
                        await context.Response.OutputStream.WriteAsync(body);
                        context.Response.Close();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
                    {
                        // The engine gave up first.
                    }
                });
            }
        }, Ct);
        WorkflowTask Call(string reference, long connectMs, long readMs) => new()
        {
            Name = reference, TaskReferenceName = reference, Type = WorkflowTaskTypes.Http,
            InputParameters = new()
            {
                ["http_request"] = new Dictionary<string, object?>
                {
                    ["uri"] = $"http://127.0.0.1:{port}/slow", ["method"] = "GET", ["connectionTimeOut"] = connectMs, ["readTimeOut"] = readMs,
                },
            },
        };
        // An 800 ms answer with a 300 ms read timeout times out, however long the connect timeout is (they were added up).
        var tooSlow = await StartAsync(Def("http_read_timeout", Call("short_read", 5000, 300)));
        await Engine.SweepAsync(Ct);
        var failed = await GetAsync(tooSlow);
        Assert.Equal(WorkflowStatus.FAILED, failed.Status);
        Assert.Equal("Failed to invoke HTTP task due to: timed out", failed.Tasks[0].ReasonForIncompletion);

        // With a read timeout longer than the answer takes, it completes although the answer takes longer than the connect
        // timeout (generous figures: the machine running the tests may be busy).
        var inTime = await StartAsync(Def("http_read_in_time", Call("long_read", 500, 20000)));
        await Engine.SweepAsync(Ct);
        var completed = await GetAsync(inTime);
        Assert.Equal(WorkflowStatus.COMPLETED, completed.Status);
        await serving.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }
}
