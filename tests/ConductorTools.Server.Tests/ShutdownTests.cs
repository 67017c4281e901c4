using System.Net;
using System.Text.Json;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>Issue 17: stopping the server does not wait out (and then abort) a long <c>execute</c>: its wait ends and it
/// answers with the workflow as it is.</summary>
public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_execute_waiting_when_the_server_stops_is_answered_with_the_workflow_as_it_is()
    {
        var fixture = new ServerFixture();
        await fixture.InitializeAsync();
        var name = await fixture.OneTaskWorkflowAsync("shutdown_exec");
        using var http = new HttpClient { BaseAddress = fixture.Server.ApiUrl, Timeout = TimeSpan.FromSeconds(120) };

        // Longer than the server's 15 s shutdown timeout: before, the stop waited that long and then cut the request off.
        var execute = http.PostAsync($"workflow/execute/{name}/1?waitForSeconds=60", ServerFixture.Json("{}"), Ct);
        while ((await fixture.Server.Engine.SearchWorkflowsAsync(new SearchRequest { Query = $"workflowType = '{name}'" }, Ct)).TotalHits == 0)
        {
            await Task.Delay(20, Ct);
        }
        var stopped = fixture.DisposeAsync().AsTask();

        using var answer = await execute;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(Ct));
        Assert.Equal("RUNNING", body.RootElement.GetProperty("status").GetString());
        await stopped;
        Assert.False(execute.IsFaulted);
    }
}
