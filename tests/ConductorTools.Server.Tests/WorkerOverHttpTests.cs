using System.Net;
using System.Net.Sockets;
using ConductorTools.Model;
using ConductorTools.Workers;

namespace ConductorTools.Server.Tests;

/// <summary>Core's worker runtime over real HTTP: throughput path (batch poll + update-v2) and a server outage.</summary>
public sealed class WorkerOverHttpTests
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TaskHandler Greet => (task, _) => Task.FromResult(
        TaskResults.Complete(task, new Dictionary<string, object?> { ["result"] = "hello " + task.WorkflowInstanceId }));

    [Fact]
    public async Task The_runner_completes_every_workflow_over_http_with_each_result_in_its_own_workflow()
    {
        await using var server = new ServerFixture();
        await server.InitializeAsync();
        var name = await server.OneTaskWorkflowAsync("http_work");
        var ids = new List<string>();
        for (var i = 0; i < 40; i++) ids.Add(await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct));

        using var api = server.NewClient();
        var runner = new WorkerRunner(api, [new WorkerDefinition("http_work", Greet, TestWorkerOptions.Fast(5, "http-worker", TimeSpan.FromMilliseconds(200)))], TestWorkerOptions.Runner());
        var summary = await runner.RunAsync(Ct, new WorkerRunLimits { MaxTasks = 40 });

        Assert.Equal(40, summary.Completed);
        Assert.Equal(0, summary.Failed);
        foreach (var id in ids)
        {
            var workflow = await server.Server.Engine.GetWorkflowAsync(id, cancellationToken: Ct);
            Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
            Assert.Equal("hello " + id, workflow.Output!["result"]);
        }
    }

    [Fact]
    public async Task Results_finished_while_the_server_is_down_are_kept_and_delivered_when_it_returns()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ct-outage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var database = Path.Combine(dir, "conductor.db");
        var outbox = Path.Combine(dir, "outbox");
        var port = Loopback.FreePort();
        var options = () => new LocalConductorServerOptions { Urls = $"http://127.0.0.1:{port}", DatabasePath = database };
        try
        {
            List<string> ids;
            var first = await LocalConductorServer.StartAsync(options(), Ct);
            await using (first)
            {
                ids = await OneTaskWorkflow.RegisterAndStartAsync(first.Engine, "outage_work", 3, cancellationToken: Ct);
            }

            // Handlers start while the server is up, and finish after it has gone away.
            var serverDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var polled = 0;
            var allPolled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            TaskHandler slow = async (task, ct) =>
            {
                if (Interlocked.Increment(ref polled) == 3) allPolled.TrySetResult();
                await serverDown.Task.WaitAsync(ct);
                return TaskResults.Complete(task, new Dictionary<string, object?> { ["result"] = "done offline" });
            };

            var second = await LocalConductorServer.StartAsync(options(), Ct);
            using var api = new ConductorTools.Http.HttpConductorApi(new ConductorTools.Http.ConductorClientOptions
            {
                ServerUrl = second.ApiUrl,
                MaxTransientAttempts = 1,
                Timeout = TimeSpan.FromSeconds(5),
            });
            using var stop = new CancellationTokenSource();
            var runner = new WorkerRunner(api, [new WorkerDefinition("outage_work", slow, TestWorkerOptions.Fast(3, "http-worker", TimeSpan.FromMilliseconds(200)))], TestWorkerOptions.Runner(outbox));
            var run = runner.RunAsync(stop.Token);
            await allPolled.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await second.DisposeAsync();
            serverDown.SetResult();

            // The runner keeps retrying against a dead server; stopping it keeps the results on disk.
            await Task.Delay(500, Ct);
            stop.Cancel();
            var down = await run;
            Assert.Equal(3, down.Completed);
            Assert.Equal(3, Directory.GetFiles(outbox, "*.json").Length);

            // The server comes back on the same database; the next run delivers the kept results first.
            await using var third = await LocalConductorServer.StartAsync(options(), Ct);
            foreach (var id in ids) Assert.Equal(WorkflowStatus.RUNNING, (await third.Engine.GetWorkflowAsync(id, cancellationToken: Ct)).Status);
            using var api2 = new ConductorTools.Http.HttpConductorApi(new ConductorTools.Http.ConductorClientOptions { ServerUrl = third.ApiUrl });
            var next = new WorkerRunner(api2, [new WorkerDefinition("outage_work", slow, TestWorkerOptions.Fast(3, "http-worker", TimeSpan.FromMilliseconds(200)))], TestWorkerOptions.Runner(outbox));
            await next.RunAsync(Ct, new WorkerRunLimits { MaxTasks = 0 });
            Assert.Empty(Directory.GetFiles(outbox, "*.json"));
            foreach (var id in ids)
            {
                var workflow = await third.Engine.GetWorkflowAsync(id, cancellationToken: Ct);
                Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
                Assert.Equal("done offline", workflow.Output!["result"]);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
