using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ConductorTools.Server.Tests;

/// <summary>Issue 17: another process holding the database's lock makes requests answer a clear 503 after a bounded wait,
/// and /health answers too, saying why.</summary>
public sealed class BusyDatabaseServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_answer_503_and_health_says_the_database_is_busy_while_another_process_holds_it()
    {
        var directory = Directory.CreateTempSubdirectory("ct-busy-server-");
        var path = Path.Combine(directory.FullName, "c.db");
        try
        {
            await using var fixture = new ServerFixture(new LocalConductorServerOptions { DatabasePath = path, DatabaseBusyTimeout = TimeSpan.FromSeconds(1) });
            await fixture.InitializeAsync();
            var name = await fixture.OneTaskWorkflowAsync("busy_server");

            using (var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                other.Open();
                using (var begin = other.CreateCommand())
                {
                    begin.CommandText = "BEGIN EXCLUSIVE";
                    begin.ExecuteNonQuery();
                }

                using var start = await fixture.Http.PostAsync($"workflow/{name}", ServerFixture.Json("{}"), Ct);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, start.StatusCode);
                using (var body = JsonDocument.Parse(await start.Content.ReadAsStringAsync(Ct)))
                {
                    Assert.Contains("is locked by another process", body.RootElement.GetProperty("message").GetString());
                    Assert.True(body.RootElement.GetProperty("retryable").GetBoolean());
                }

                using var health = await fixture.Http.GetAsync(new Uri(fixture.Server.BaseAddress, "health"), Ct);
                using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync(Ct));
                Assert.False(report.RootElement.GetProperty("healthy").GetBoolean());
                var database = report.RootElement.GetProperty("healthResults").EnumerateArray()
                    .Single(r => r.GetProperty("healthCheck").GetString() == "database");
                Assert.Equal("database busy: another process holds its lock", database.GetProperty("details").GetProperty("reason").GetString());

                using var rollback = other.CreateCommand();
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }

            // Health looks at the database again (requests between looks, a second apart, answer 503 at once).
            using (var healthy = await fixture.Http.GetAsync(new Uri(fixture.Server.BaseAddress, "health"), Ct))
            using (var report = JsonDocument.Parse(await healthy.Content.ReadAsStringAsync(Ct)))
            {
                Assert.True(report.RootElement.GetProperty("healthy").GetBoolean());
            }
            using var again = await fixture.Http.PostAsync($"workflow/{name}", ServerFixture.Json("{}"), Ct);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
