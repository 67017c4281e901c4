using System.Collections.Concurrent;
using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;
using ConductorTools.Server;
using ConductorTools.Workers;

// The runs here are long and CPU-bound on small machines: one at a time, so each gets the machine it was sized for.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ConductorTools.Reliability.Tests;

/// <summary>Shared setup: a local server, results tied to their workflow, handlers that count executions per task id.
/// The workflow itself is the shared <see cref="OneTaskWorkflow"/>.</summary>
internal static class Harness
{
    public static Task<LocalConductorServer> StartServerAsync(Action<LocalConductorServerOptions>? configure = null)
    {
        var options = new LocalConductorServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DatabasePath = ":memory:",
            // Response timeouts are how Conductor recovers tasks whose poll answer was lost: sweep often so they come back soon.
            SweepInterval = TimeSpan.FromMilliseconds(200),
        };
        configure?.Invoke(options);
        return LocalConductorServer.StartAsync(options);
    }

    /// <summary>What a workflow's output must be: derived from its own id and input, so a result delivered to the wrong
    /// workflow cannot pass.</summary>
    public static string Expected(string workflowId, long i) => string.Create(CultureInfo.InvariantCulture, $"{workflowId}#{i}");

    public static long InputI(ConductorTask task) =>
        task.InputData is { } input && input.TryGetValue("i", out var value) && value is not null
            ? long.Parse(value.ToString()!, CultureInfo.InvariantCulture)
            : -1;

    public static string? Text(IDictionary<string, object?>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) && value is not null ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;

    /// <summary>Waits until <paramref name="count"/> workflows of <paramref name="name"/> are COMPLETED; false on timeout.</summary>
    public static async Task<bool> WaitForCompletedAsync(IConductorApi engine, string name, int count, TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await CountAsync(engine, name, WorkflowStatus.COMPLETED) >= count) return true;
            await Task.Delay(200, ct);
        }
        return false;
    }

    public static async Task<long> CountAsync(IConductorApi engine, string name, WorkflowStatus status)
    {
        var found = await engine.SearchWorkflowsAsync(new SearchRequest { Query = $"workflowType = '{name}' AND status = {status}", Size = 1 });
        return found.TotalHits;
    }

    public static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);
}

/// <summary>Counts handler executions per task id.</summary>
internal sealed class ExecutionLog
{
    private readonly ConcurrentDictionary<string, int> _byTask = new(StringComparer.Ordinal);

    public int Record(string taskId) => _byTask.AddOrUpdate(taskId, 1, (_, n) => n + 1);

    public int Of(string taskId) => _byTask.TryGetValue(taskId, out var n) ? n : 0;

    public long Total => _byTask.Values.Sum(n => (long)n);

    public IReadOnlyCollection<string> TaskIds => _byTask.Keys.ToList();
}
