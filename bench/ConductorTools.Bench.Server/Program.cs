using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ConductorTools.Api;
using ConductorTools.Model;
using ConductorTools.Server;

// Server benchmark: raw poll/update round trips over loopback with keep-alive, N concurrent workers, against the local
// server (in-memory engine), and the same loop calling the engine in-process, in one run, so the HTTP cost is a ratio.
// Usage: dotnet run -c Release --project bench/ConductorTools.Bench.Server -- --tasks 2000 --workers 10
var tasks = Arg("--tasks", 2000);
var workers = Arg("--workers", 10);

Console.WriteLine($"ConductorTools local server benchmark: {tasks} one-task workflows, {workers} concurrent workers, keep-alive over loopback");
Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine();

await using var server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = ":memory:" });
var engine = server.Engine;
await engine.RegisterTaskDefsAsync([new TaskDef("bench_http") { RetryCount = 0 }, new TaskDef("bench_inproc") { RetryCount = 0 }]);
foreach (var type in new[] { "bench_http", "bench_inproc" })
{
    await engine.RegisterWorkflowDefAsync(new WorkflowDef
    {
        Name = "wf_" + type,
        Tasks = [new WorkflowTask { Name = type, TaskReferenceName = "only" }],
    }, overwrite: true);
}

using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = workers, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
using var http = new HttpClient(handler) { BaseAddress = server.ApiUrl };

// Warm up JIT, connections and the engine.
await StartAsync(engine, "bench_http", workers * 5);
await RunHttpAsync(http, "bench_http", workers, workers * 5);
await StartAsync(engine, "bench_inproc", workers * 5);
await RunInProcessAsync(engine, "bench_inproc", workers, workers * 5);

await StartAsync(engine, "bench_http", tasks);
var overHttp = await RunHttpAsync(http, "bench_http", workers, tasks);
await StartAsync(engine, "bench_inproc", tasks);
var inProcess = await RunInProcessAsync(engine, "bench_inproc", workers, tasks);

Console.WriteLine("| path | round trips/s | poll p50 ms | poll p99 ms | update p50 ms | update p99 ms |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
Print("HTTP (local server)", overHttp);
Print("in-process engine", inProcess);
Console.WriteLine();
Console.WriteLine($"HTTP / in-process throughput: {overHttp.RoundTripsPerSecond / inProcess.RoundTripsPerSecond:0.00}");
Console.WriteLine("A round trip is one poll that returned a task plus its COMPLETED update; latencies are as the client sees them.");
return 0;

static void Print(string name, Result r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {name} | {r.RoundTripsPerSecond:0} | {Percentile(r.Polls, 50):0.00} | {Percentile(r.Polls, 99):0.00} | {Percentile(r.Updates, 50):0.00} | {Percentile(r.Updates, 99):0.00} |"));

static async Task StartAsync(IConductorApi api, string type, int count)
{
    for (var i = 0; i < count; i++) await api.StartWorkflowAsync("wf_" + type, new Dictionary<string, object?> { ["i"] = (long)i });
}

static Task<Result> RunHttpAsync(HttpClient http, string type, int workers, int count) => RunAsync(workers, count,
    async w =>
    {
        using var poll = await http.GetAsync($"tasks/poll/{type}?workerid=bench-{w}");
        return poll.StatusCode == HttpStatusCode.NoContent ? null : ConductorJson.Deserialize<ConductorTask>(await poll.Content.ReadAsStringAsync());
    },
    async (w, task) =>
    {
        using var update = await http.PostAsync("tasks", new StringContent(ConductorJson.Serialize(Completed(task, w)), Encoding.UTF8, "application/json"));
        update.EnsureSuccessStatusCode();
    });

static Task<Result> RunInProcessAsync(IConductorApi api, string type, int workers, int count) => RunAsync(workers, count,
    w => api.PollAsync(type, "bench-" + w),
    (w, task) => api.UpdateTaskAsync(Completed(task, w)));

static TaskResult Completed(ConductorTask task, int worker) => new(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED)
{
    WorkerId = "bench-" + worker,
    OutputData = new() { ["ok"] = true },
};

// N concurrent workers, each polling one task and completing it, until `count` tasks are done; times every call.
static async Task<Result> RunAsync(int workers, int count, Func<int, Task<ConductorTask?>> poll, Func<int, ConductorTask, Task> update)
{
    var remaining = count;
    var polls = new List<double>[workers];
    var updates = new List<double>[workers];
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
    {
        polls[w] = new List<double>();
        updates[w] = new List<double>();
        await Task.Yield();
        while (Volatile.Read(ref remaining) > 0)
        {
            var started = Stopwatch.GetTimestamp();
            var task = await poll(w);
            polls[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (task is null) continue;
            started = Stopwatch.GetTimestamp();
            await update(w, task);
            updates[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Interlocked.Decrement(ref remaining);
        }
    }));
    return new Result(count / watch.Elapsed.TotalSeconds, polls.SelectMany(p => p).ToArray(), updates.SelectMany(u => u).ToArray());
}

static double Percentile(double[] values, int percentile)
{
    if (values.Length == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    var index = (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1;
    return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) && value > 0 ? value : fallback;
}

internal sealed record Result(double RoundTripsPerSecond, double[] Polls, double[] Updates);
