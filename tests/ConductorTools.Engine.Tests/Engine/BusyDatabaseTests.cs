using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Data.Sqlite;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: another process holding the database's write lock gets operations a clear, retryable 503 after a
/// bounded wait (not a freeze), health says why, and everything works again once the lock is let go.</summary>
public sealed class BusyDatabaseTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ct-busy-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_external_write_lock_gives_503_naming_the_file_and_health_says_the_database_is_busy()
    {
        var database = Path.Combine(_directory, "conductor.db");
        await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
        {
            DatabasePath = database, StartSweeper = false, BusyTimeout = TimeSpan.FromMilliseconds(500),
        });
        await engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "busy_wf",
            Tasks = [new WorkflowTask { Name = "busy_t", TaskReferenceName = "t", Type = WorkflowTaskTypes.Simple }],
        }, overwrite: true, Ct);

        using (var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString()))
        {
            other.Open();
            using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }

            // Several at once: each fails (the first after the busy timeout, the rest after a short wait), none hangs.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var attempts = Enumerable.Range(0, 5).Select(_ => Assert.ThrowsAsync<ConductorException>(() =>
                engine.StartWorkflowAsync("busy_wf", new Dictionary<string, object?>(), cancellationToken: Ct))).ToList();
            foreach (var refused in await Task.WhenAll(attempts))
            {
                Assert.Equal(503, refused.StatusCode);
                Assert.True(refused.Retryable);
                Assert.Contains("is locked by another process", refused.Message);
                Assert.Contains(database, refused.Message);
            }

            TestContext.Current.TestOutputHelper?.WriteLine($"refused after {clock.Elapsed}");
            var health = await engine.GetHealthAsync(Ct);
            TestContext.Current.TestOutputHelper?.WriteLine($"health after {clock.Elapsed}");
            Assert.False(health.Healthy);
            var check = Assert.Single(health.HealthResults, r => Equals(r["healthCheck"], "database"));
            Assert.Equal(false, check["healthy"]);
            var details = Assert.IsType<Dictionary<string, object?>>(check["details"]);
            Assert.Equal("database busy: another process holds its lock", details["reason"]);
            Assert.Contains("is locked by another process", (string)details["error"]!);

            using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        TestContext.Current.TestOutputHelper?.WriteLine("released");
        Assert.True((await engine.GetHealthAsync(Ct)).Healthy);
        TestContext.Current.TestOutputHelper?.WriteLine("healthy");
        var id = await engine.StartWorkflowAsync("busy_wf", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Equal(WorkflowStatus.RUNNING, (await engine.GetWorkflowAsync(id, false, Ct)).Status);
        Assert.Equal(0, await engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'busy_wf' AND status = FAILED" }, Ct)
            .ContinueWith(t => (int)t.Result.TotalHits, Ct));
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
