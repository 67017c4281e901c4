using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Net.Sockets;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: a failure in one workflow's sweep is contained to it; HTTP calls never hold up the sweeper.</summary>
public sealed class SweepContainmentTests : EngineTestBase
{
    private static WorkflowDef WaitDef(string name) => Def(name, new WorkflowTask
    {
        Name = "pause", TaskReferenceName = "pause", Type = WorkflowTaskTypes.Wait,
        InputParameters = new() { ["duration"] = "2 seconds" },
    });

    [Fact]
    public async Task A_workflow_that_fails_to_sweep_is_put_off_then_failed_and_the_others_finish()
    {
        await Engine.RegisterWorkflowDefAsync(WaitDef("contained"), overwrite: true, Ct);
        var ids = new List<string>();
        for (var i = 0; i < 250; i++)
        {
            ids.Add(await Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "contained", Input = new() }, Ct));
        }
        // The first due workflow (first in line of the first chunk) cannot be evaluated.
        var poisoned = ids[0];
        Engine.SweepFault = id => { if (id == poisoned) throw new InvalidOperationException("injected fault"); };

        await AdvanceAsync(TimeSpan.FromSeconds(3));
        foreach (var id in ids.Skip(1))
        {
            Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
        }
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(poisoned)).Status);

        // Retried with backoff (2 s, 4 s) and FAILED on the third failure in a row, with the reason recorded.
        await AdvanceAsync(TimeSpan.FromMilliseconds(500));
        var early = await GetAsync(poisoned);
        Assert.True(early.Status == WorkflowStatus.RUNNING, early.ReasonForIncompletion);
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        early = await GetAsync(poisoned);
        Assert.True(early.Status == WorkflowStatus.RUNNING, early.ReasonForIncompletion);
        await AdvanceAsync(TimeSpan.FromSeconds(4));
        var failed = await GetAsync(poisoned);
        Assert.Equal(WorkflowStatus.FAILED, failed.Status);
        Assert.Contains("could not evaluate this workflow", failed.ReasonForIncompletion);
        Assert.Contains("injected fault", failed.ReasonForIncompletion);
        Assert.Equal(ConductorTaskStatus.CANCELED, failed.Tasks[0].Status);
    }

    [Fact]
    public async Task A_workflow_that_recovers_before_the_limit_is_not_failed()
    {
        var id = await StartAsync(WaitDef("flaky"));
        var failures = 2; // the chunk's transaction, then the workflow's own
        Engine.SweepFault = w => { if (w == id && failures-- > 0) throw new InvalidOperationException("once"); };
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);
        await AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task A_busy_database_is_not_blamed_on_a_workflow()
    {
        var id = await StartAsync(WaitDef("busy"));
        var busy = true;
        Engine.SweepFault = _ => { if (busy) throw new ConductorException("database is locked", ConductorErrorKind.Server, 500) { Retryable = true }; };
        for (var i = 0; i < 5; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(3));
            await Assert.ThrowsAsync<ConductorException>(() => Engine.SweepAsync(Ct));
        }
        busy = false;
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Health_reports_a_sweeper_that_makes_no_progress()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
        {
            DatabasePath = EmbeddedConductorOptions.InMemory, TimeProvider = clock, SweepInterval = TimeSpan.FromSeconds(1),
        });
        Assert.True((await engine.GetHealthAsync(Ct)).Healthy);
        await engine.RegisterWorkflowDefAsync(WaitDef("stall"), overwrite: true, Ct);
        await engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "stall", Input = new() }, Ct);
        engine.SweepFault = _ => throw new ConductorException("database is locked", ConductorErrorKind.Server, 500) { Retryable = true };

        HealthResponse health = new() { Healthy = true };
        for (var i = 0; i < 400 && health.Healthy; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10, Ct);
            health = await engine.GetHealthAsync(Ct);
        }
        Assert.False(health.Healthy);
        var sweeper = health.HealthResults.Single(r => (string?)r["healthCheck"] == "sweeper");
        Assert.Equal(false, sweeper["healthy"]);
        var details = (Dictionary<string, object?>)sweeper["details"]!;
        Assert.Contains("has not completed a pass", (string)details["reason"]!);
        Assert.Contains("database is locked", (string)details["lastError"]!);
        Assert.Equal(true, health.HealthResults.Single(r => (string?)r["healthCheck"] == "database")["healthy"]);

        engine.SweepFault = null;
        for (var i = 0; i < 400 && !health.Healthy; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10, Ct);
            health = await engine.GetHealthAsync(Ct);
        }
        Assert.True(health.Healthy);
    }

    private static WorkflowTask HttpTask(string reference, object? uri, object? connect = null, object? read = null)
    {
        var request = new Dictionary<string, object?> { ["uri"] = uri, ["method"] = "GET" };
        if (connect is not null) request["connectionTimeOut"] = connect;
        if (read is not null) request["readTimeOut"] = read;
        return new WorkflowTask { Name = reference, TaskReferenceName = reference, Type = WorkflowTaskTypes.Http, InputParameters = new() { ["http_request"] = request } };
    }

    [Theory]
    [InlineData("file:///etc/passwd", "scheme 'file'")]
    [InlineData("ftp://127.0.0.1/x", "scheme 'ftp'")]
    [InlineData("not a uri", "not an absolute URI")]
    public async Task A_literal_HTTP_task_URI_that_cannot_be_called_is_refused_at_registration(string uri, string message)
    {
        var error = await Assert.ThrowsAsync<ConductorException>(() =>
            Engine.RegisterWorkflowDefAsync(Def("bad_uri", HttpTask("call", uri)), overwrite: true, Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains(message, error.Message + string.Join(" ", error.ValidationErrors?.Select(v => v.Message) ?? []));
    }

    [Fact]
    public async Task Bad_HTTP_requests_fail_their_own_task_and_the_rest_of_the_batch_completes()
    {
        using var server = Loopback.StartHttpListener(out var port);
        var serving = Task.Run(async () =>
        {
            while (server.IsListening)
            {
                HttpListenerContext context;
                try { context = await server.GetContextAsync(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }, Ct);
        await Engine.RegisterWorkflowDefAsync(Def("http_batch", HttpTask("call", "${workflow.input.uri}", "${workflow.input.connect}", "${workflow.input.read}")), overwrite: true, Ct);
        async Task<string> Start(object uri, object? connect = null, object? read = null) =>
            await Engine.StartWorkflowAsync(new StartWorkflowRequest
            {
                Name = "http_batch", Input = new() { ["uri"] = uri, ["connect"] = connect, ["read"] = read },
            }, Ct);
        var good = new List<string>();
        for (var i = 0; i < 5; i++) good.Add(await Start($"http://127.0.0.1:{port}/ok/{i}"));
        var file = await Start("file:///etc/passwd");
        var ftp = await Start("ftp://127.0.0.1/x");
        var huge = await Start($"http://127.0.0.1:{port}/huge", int.MaxValue, int.MaxValue);
        var hugeText = await Start($"http://127.0.0.1:{port}/huge-text", "99999999999999", "1e300");

        await Engine.SweepAsync(Ct);
        foreach (var id in good.Append(huge).Append(hugeText))
        {
            Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
        }
        Assert.Contains("only http and https", (await GetAsync(file)).ReasonForIncompletion);
        Assert.Equal(WorkflowStatus.FAILED, (await GetAsync(ftp)).Status);
        server.Stop();
    }

    [Fact]
    public async Task A_slow_HTTP_endpoint_does_not_hold_up_timers()
    {
        // An endpoint that accepts the connection and never answers.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            var slow = await StartAsync(Def("slow_http", HttpTask("call", $"http://127.0.0.1:{port}/slow", 1000, 600_000)));
            var wait = await StartAsync(WaitDef("wait_beside_http"));
            var sweeping = Engine.SweepAsync(Ct);   // waits for the HTTP call (tests' pass); the background one does not
            Clock.Advance(TimeSpan.FromSeconds(3));
            // A second pass runs while the call is in flight, and the WAIT ends on time.
            var background = typeof(EmbeddedConductor).GetMethod("SweepPassAsync", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            await (Task)background.Invoke(Engine, [false, Ct])!;
            Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(wait)).Status);
            Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(slow)).Tasks[0].Status);
            Assert.False(sweeping.IsCompleted);
        }
        finally
        {
            listener.Stop();
        }
    }
}
