using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Net.Sockets;
using ConductorTools.Engine;
using ConductorTools.Model;
using Microsoft.Data.Sqlite;

namespace ConductorTools.Reliability.Tests;

/// <summary>Issue 17: one workflow that cannot be evaluated, or one slow HTTP endpoint, never stops the timers of the others.</summary>
public sealed class PoisonedSweepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static WorkflowDef WaitDef() => new()
    {
        Name = "poison_wait",
        Tasks = [new WorkflowTask { Name = "pause", TaskReferenceName = "pause", Type = WorkflowTaskTypes.Wait, InputParameters = new() { ["duration"] = "2 seconds" } }],
    };

    [Fact]
    public async Task A_poisoned_workflow_among_1000_good_ones_does_not_stop_them()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ct-poison-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "c.db");
        // A clock that moves only when told; the sweeper is driven by the test (StartSweeper = false).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        try
        {
            var ids = new List<string>();
            await using (var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, TimeProvider = clock, StartSweeper = false }))
            {
                await engine.RegisterWorkflowDefAsync(WaitDef(), overwrite: true, Ct);
                for (var i = 0; i < 1001; i++)
                {
                    ids.Add(await engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "poison_wait", Input = new() { ["i"] = (long)i } }, Ct));
                }
            }
            // The poison: a workflow row the engine cannot read (as a damaged file or a future version would leave it),
            // first in line (its timer is the earliest).
            var poisoned = ids[500];
            await using (var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                await sqlite.OpenAsync(Ct);
                using var command = sqlite.CreateCommand();
                command.CommandText = "UPDATE workflows SET json = '{\"status\": [not json', wake_at = 0 WHERE id = $id";
                command.Parameters.AddWithValue("$id", poisoned);
                Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
            }

            await using (var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, TimeProvider = clock, StartSweeper = false }))
            {
                clock.Advance(TimeSpan.FromSeconds(3));
                await engine.SweepAsync(Ct);
                var completed = (await engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'poison_wait' AND status = COMPLETED", Size = 1 }, Ct)).TotalHits;
                Harness.Log($"after one pass: {completed} of 1000 good workflows COMPLETED; the poisoned one put off");
                Assert.Equal(1000, completed);
                // It keeps failing on its own (put off with backoff), and the engine keeps working for new workflows.
                var late = await engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "poison_wait", Input = new() }, Ct);
                for (var i = 0; i < 5; i++)
                {
                    clock.Advance(TimeSpan.FromSeconds(30));
                    await engine.SweepAsync(Ct);
                }
                Assert.Equal(WorkflowStatus.COMPLETED, (await engine.GetWorkflowAsync(late, false, Ct)).Status);
                Assert.True((await engine.GetHealthAsync(Ct)).Healthy);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task HTTP_faults_fail_their_own_tasks_and_timers_stay_on_time()
    {
        // One endpoint that accepts connections and never answers; the server under test sweeps every 200 ms.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        try
        {
            await using var server = await Harness.StartServerAsync();
            var api = server.Engine;
            WorkflowDef Http(string name, object uri, object connect, object read) => new()
            {
                Name = name,
                Tasks = [new WorkflowTask
                {
                    Name = "call", TaskReferenceName = "call", Type = WorkflowTaskTypes.Http,
                    InputParameters = new() { ["http_request"] = new Dictionary<string, object?> { ["uri"] = uri, ["method"] = "GET", ["connectionTimeOut"] = connect, ["readTimeOut"] = read } },
                }],
            };
            await api.RegisterWorkflowDefAsync(Http("slow_call", $"http://127.0.0.1:{port}/slow", 1000, 120_000), overwrite: true, Ct);
            await api.RegisterWorkflowDefAsync(Http("bad_call", "${workflow.input.uri}", int.MaxValue, int.MaxValue), overwrite: true, Ct);
            await api.RegisterWorkflowDefAsync(WaitDef(), overwrite: true, Ct);
            var bad = await api.StartWorkflowAsync(new StartWorkflowRequest { Name = "bad_call", Input = new() { ["uri"] = "file:///etc/passwd" } }, Ct);
            var slow = new List<string>();
            for (var i = 0; i < 40; i++) slow.Add(await api.StartWorkflowAsync(new StartWorkflowRequest { Name = "slow_call", Input = new() }, Ct));
            var waits = new List<string>();
            for (var i = 0; i < 20; i++) waits.Add(await api.StartWorkflowAsync(new StartWorkflowRequest { Name = "poison_wait", Input = new() }, Ct));

            // (HTTP calls are bounded: the bad call, queued first, gets a slot; later ones wait for one.)
            // The WAITs end (2 s) while 32 calls hang and 8 more wait for a slot: no wall-clock threshold, only that
            // they end long before the hanging calls' 120 s read timeout.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(30));
            while (await Harness.CountAsync(api, "poison_wait", WorkflowStatus.COMPLETED) < waits.Count)
            {
                await Task.Delay(100, deadline.Token);
            }
            var failed = await api.GetWorkflowAsync(bad, true, Ct);
            Assert.Equal(WorkflowStatus.FAILED, failed.Status);
            Assert.Contains("only http and https", failed.Tasks[0].ReasonForIncompletion);
            Assert.All(slow, id => Assert.Equal(WorkflowStatus.RUNNING, api.GetWorkflowAsync(id, false, Ct).GetAwaiter().GetResult().Status));
            Assert.True((await api.GetHealthAsync(Ct)).Healthy);
        }
        finally
        {
            silent.Stop();
        }
    }
}
