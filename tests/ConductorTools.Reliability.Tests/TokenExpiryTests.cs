using System.Collections.Concurrent;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Workers;

namespace ConductorTools.Reliability.Tests;

/// <summary>
/// Orkes-style auth with tokens that live 2 s while the client's proactive refresh is the SDKs' 45 minutes: the worker only
/// learns of each expiry from a 401 EXPIRED_TOKEN, mid-run, on polls and updates alike. None of that may reach the task
/// outcomes or surface as a poll/update error.
/// </summary>
public sealed class TokenExpiryTests
{
    private const string KeyId = "rel-key";
    private const string KeySecret = "rel-secret-value";
    private const int Count = 400;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tokens_expiring_every_two_seconds_mid_run_cause_no_failed_task_and_no_poll_or_update_error()
    {
        await using var server = await Harness.StartServerAsync(o =>
        {
            o.AuthKeyId = KeyId;
            o.AuthKeySecret = KeySecret;
            o.TokenLifetime = TimeSpan.FromSeconds(2);
        });
        var engine = server.Engine;
        var name = await OneTaskWorkflow.RegisterAsync(engine, "rel_auth", retryCount: 0, responseTimeoutSeconds: 60, cancellationToken: Ct);

        var traffic = new AuthTraffic(new SocketsHttpHandler());
        var options = new ConductorClientOptions { ServerUrl = server.ApiUrl, KeyId = KeyId, KeySecret = KeySecret };
        Assert.Equal(TimeSpan.FromMinutes(45), options.TokenRefreshInterval);
        using var api = new HttpConductorApi(options, traffic);

        var executions = new ExecutionLog();
        TaskHandler handler = async (task, ct) =>
        {
            executions.Record(task.TaskId!);
            await Task.Delay(5, ct);
            return TaskResults.Complete(task, new Dictionary<string, object?> { ["result"] = Harness.Expected(task.WorkflowInstanceId!, Harness.InputI(task)) });
        };
        var runner = new WorkerRunner(api, [new WorkerDefinition("rel_auth", handler, new WorkerOptions
        {
            Concurrency = 4,
            LongPollTimeout = TimeSpan.FromMilliseconds(500),
            PollInterval = TimeSpan.FromMilliseconds(20),
            WorkerId = "rel-auth",
        })], new WorkerRunnerOptions { ApplyEnvironment = false, DrainTimeout = TimeSpan.FromSeconds(5) });
        var problems = new ConcurrentQueue<WorkerEvent>();
        runner.Event += (_, e) =>
        {
            if (e.Kind is WorkerEventKind.PollFailed or WorkerEventKind.UpdateRetried or WorkerEventKind.UpdateFailed or WorkerEventKind.ExecutionFailed)
            {
                problems.Enqueue(e);
            }
        };

        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);

        // A steady trickle over ~8 s, i.e. across about four token lifetimes.
        var inputs = new Dictionary<string, long>(StringComparer.Ordinal);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            inputs[await engine.StartWorkflowAsync(name, new Dictionary<string, object?> { ["i"] = (long)i }, cancellationToken: Ct)] = i;
            var due = TimeSpan.FromMilliseconds(20 * (i + 1)) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, Ct);
        }
        var allDone = await Harness.WaitForCompletedAsync(engine, name, Count, TimeSpan.FromSeconds(30), Ct);
        var elapsed = clock.Elapsed;
        stop.Cancel();
        var summary = await run;

        Harness.Log($"{Count} tasks over {elapsed.TotalSeconds:0.0} s; tokens minted {traffic.Mints}, 401 EXPIRED_TOKEN {traffic.Expired}, " +
            $"401 INVALID_TOKEN {traffic.Invalid}, other 401/403 {traffic.OtherAuthFailures}; runner: {summary}");
        Assert.True(allDone, $"only {await Harness.CountAsync(engine, name, WorkflowStatus.COMPLETED)} of {Count} workflows completed");
        Assert.Empty(problems);
        Assert.Equal(Count, summary.Completed);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(0, summary.PollErrors);
        Assert.Equal(0, summary.UpdateRetries);
        Assert.Equal(0, summary.UpdateFailures);
        Assert.Equal(0, traffic.OtherAuthFailures);
        // The run really crossed several expiries, each noticed through the server's 401 and answered with a fresh token.
        Assert.True(traffic.Expired + traffic.Invalid >= 2, $"only {traffic.Expired + traffic.Invalid} requests met an expired token");
        Assert.True(traffic.Mints >= 3, $"only {traffic.Mints} tokens were minted");
        foreach (var (id, i) in inputs)
        {
            var workflow = await engine.GetWorkflowAsync(id, includeTasks: true, Ct);
            Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
            Assert.Equal(Harness.Expected(id, i), Harness.Text(workflow.Output, "result"));
            Assert.Equal(1, executions.Of(Assert.Single(workflow.Tasks).TaskId!));
        }
    }

    /// <summary>Counts token mints and auth rejections below the client's auth handler.</summary>
    private sealed class AuthTraffic : DelegatingHandler
    {
        private int _mints, _expired, _invalid, _other;

        public AuthTraffic(HttpMessageHandler inner) : base(inner) { }

        public int Mints => Volatile.Read(ref _mints);
        public int Expired => Volatile.Read(ref _expired);
        public int Invalid => Volatile.Read(ref _invalid);
        public int OtherAuthFailures => Volatile.Read(ref _other);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var isMint = request.RequestUri!.AbsolutePath.EndsWith("/api/token", StringComparison.Ordinal);
            var response = await base.SendAsync(request, cancellationToken);
            if (isMint)
            {
                if (response.IsSuccessStatusCode) Interlocked.Increment(ref _mints);
                else Interlocked.Increment(ref _other);
            }
            else if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (body.Contains("EXPIRED_TOKEN", StringComparison.Ordinal)) Interlocked.Increment(ref _expired);
                else if (body.Contains("INVALID_TOKEN", StringComparison.Ordinal)) Interlocked.Increment(ref _invalid);
                else Interlocked.Increment(ref _other);
            }
            return response;
        }
    }
}
