// Worker runtime against a Conductor server over HTTP: the `server`, `memory` and `idle` modes (see bench/README.md).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Server;
using ConductorTools.Workers;

namespace ConductorTools.Bench.Workers;

internal static class ServerBench
{
    public static bool IsMode(string arg) => arg is "server" or "memory" or "idle" or "serve";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new BenchArgs(args);
        switch (args[0])
        {
            case "serve":
                return await ServeAsync(options);
            case "server":
                await using (var server = await BenchServer.StartAsync(options, spawnByDefault: false))
                {
                    return await ThroughputAndLatencyAsync(server, options);
                }
            case "memory":
                // An in-process server's store grows with every workflow; by default the server runs in a child process so the
                // working set is the worker's own.
                await using (var server = await BenchServer.StartAsync(options, spawnByDefault: true))
                {
                    return await MemoryAsync(server, options);
                }
            default:
                await using (var server = await BenchServer.StartAsync(options, spawnByDefault: false))
                {
                    return await IdleAsync(server, options);
                }
        }
    }

    // ------------------------------------------------------------------ server: throughput, ceiling, latency, JS SDK

    private static async Task<int> ThroughputAndLatencyAsync(BenchServer server, BenchArgs a)
    {
        var tasks = a.Int("--tasks", 5000);
        var workers = a.Int("--workers", 10);
        var rounds = a.Int("--rounds", 5);
        var latencyTasks = a.Int("--latency-tasks", 1000);
        var rate = a.Int("--rate", 200);
        var jsPollInterval = a.Int("--js-poll-interval", 100);
        Header($"server mode: {tasks} one-task workflows per run, {workers} no-op workers (slots), {rounds} rounds; latency: {latencyTasks} workflows started at {rate}/s", server);

        using var api = Client(server);
        var js = a.Has("--no-js") ? null : await JsSdk.FindAsync();
        if (js is null && !a.Has("--no-js")) Console.WriteLine("JavaScript SDK: skipped (" + JsSdk.Why + ")");

        // Warm-up (JIT tiers, connections, engine), not reported.
        for (var i = 0; i < 2; i++)
        {
            await MeasureThroughputAsync(server, api, "runner", Math.Min(2000, tasks), (t, n) => RunRunnerAsync(server, t, n, workers));
            await MeasureThroughputAsync(server, api, "raw", Math.Min(2000, tasks), (t, n) => RunRawAsync(server, t, n, workers));
        }

        var results = new Dictionary<string, List<Throughput>> { ["runner"] = [], ["raw"] = [], ["js"] = [] };
        Console.WriteLine();
        Console.WriteLine("| round | mode | tasks | run s | tasks/s | CPU % of a core | CPU ms/task |" + (server.IsChild ? " server CPU ms/task |" : ""));
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|" + (server.IsChild ? "---:|" : ""));
        for (var round = 1; round <= rounds; round++)
        {
            var order = round % 2 == 1 ? new[] { "raw", "runner", "js" } : new[] { "runner", "raw", "js" };
            foreach (var mode in order)
            {
                Throughput r;
                switch (mode)
                {
                    case "runner":
                        r = await MeasureThroughputAsync(server, api, mode, tasks, (t, n) => RunRunnerAsync(server, t, n, workers));
                        break;
                    case "raw":
                        r = await MeasureThroughputAsync(server, api, mode, tasks, (t, n) => RunRawAsync(server, t, n, workers));
                        break;
                    default:
                        if (js is null) continue;
                        r = await js.ThroughputAsync(server, api, tasks, workers, jsPollInterval);
                        break;
                }
                results[mode].Add(r);
                Console.WriteLine(Inv($"| {round} | {Label(mode)} | {tasks} | {r.Seconds:F2} | {r.Rate:F0} | {r.CpuPercent:F0} | {r.CpuMsPerTask:F3} |") +
                    (server.IsChild ? Inv($" {r.ServerCpuMsPerTask:F3} |") : ""));
            }
        }
        var runnerRate = Median(results["runner"].Select(r => r.Rate));
        var rawRate = Median(results["raw"].Select(r => r.Rate));
        Console.WriteLine();
        Console.WriteLine(Inv($"median tasks/s: WorkerRunner {runnerRate:F0}, raw loop {rawRate:F0}") +
            (results["js"].Count > 0 ? Inv($", JS SDK TaskHandler {Median(results["js"].Select(r => r.Rate)):F0}") : ""));
        Console.WriteLine(Inv($"ratio WorkerRunner / raw loop: {runnerRate / rawRate:F2} (target >= 0.8)"));
        if (results["js"].Count > 0) Console.WriteLine(Inv($"ratio WorkerRunner / JS SDK: {runnerRate / Median(results["js"].Select(r => r.Rate)):F2}"));
        Console.WriteLine(Inv($"median CPU ms/task (this process{(server.IsChild ? "" : ", server included")}): WorkerRunner {Median(results["runner"].Select(r => r.CpuMsPerTask)):F3}, raw {Median(results["raw"].Select(r => r.CpuMsPerTask)):F3}") +
            (results["js"].Count > 0 ? Inv($", JS SDK (node process) {Median(results["js"].Select(r => r.CpuMsPerTask)):F3}") : ""));

        // Latency: workflows started one by one at a steady rate while the workers wait on their long polls.
        Console.WriteLine();
        Console.WriteLine("| mode | workflows | rate/s | schedule->start p50 ms | p99 ms | start call->handler p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var latencyModes = new List<(string Mode, Func<Task<Latency>> Run)>
        {
            ("runner", () => MeasureLatencyAsync(server, api, "runner", latencyTasks, rate, (t, log, stop) => RunRunnerUntilAsync(server, t, workers, log, stop))),
            ("raw", () => MeasureLatencyAsync(server, api, "raw", latencyTasks, rate, (t, log, stop) => RunRawUntilAsync(server, t, workers, log, stop))),
        };
        if (js is not null) latencyModes.Add(("js", () => js.LatencyAsync(server, api, latencyTasks, rate, workers, jsPollInterval)));
        foreach (var (mode, run) in latencyModes)
        {
            var l = await run();
            Console.WriteLine(Inv($"| {Label(mode)} | {latencyTasks} | {rate} | {Percentile(l.ServerMs, 50):F1} | {Percentile(l.ServerMs, 99):F1} | {Percentile(l.ClientMs, 50):F2} | {Percentile(l.ClientMs, 99):F2} |"));
        }
        Console.WriteLine("schedule->start: task startTime - scheduledTime as the server recorded them (ms resolution); start call->handler: from just " +
            "before the start request was sent to the handler's first line (wall clock, includes the start round trip).");
        return 0;
    }

    private static string Label(string mode) => mode switch
    {
        "runner" => "WorkerRunner",
        "raw" => "raw poll/update-v2 loop",
        _ => "JS SDK TaskHandler",
    };

    private static async Task<Throughput> MeasureThroughputAsync(BenchServer server, HttpConductorApi api, string mode, int count, Func<string, int, Task> run)
    {
        var type = await RegisterAsync(api, mode);
        await StartBacklogAsync(api, type, count);
        var cpu = CpuMeter.Start(server);
        var clock = Stopwatch.StartNew();
        await run(type, count);
        clock.Stop();
        var (self, child) = cpu.Stop();
        await VerifyCompletedAsync(api, type, count);
        return new Throughput(count, clock.Elapsed.TotalSeconds, self, child);
    }

    private static WorkerOptions NoOpOptions(int workers, string id) => new()
    {
        Concurrency = workers,
        WorkerId = id,
    };

    private static Task<TaskResult> NoOp(ConductorTask task, CancellationToken _) =>
        Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?> { ["ok"] = true }));

    private static async Task RunRunnerAsync(BenchServer server, string type, int count, int workers)
    {
        using var api = Client(server);
        var runner = new WorkerRunner(api, [new WorkerDefinition(type, NoOp, NoOpOptions(workers, "bench-runner"))],
            new WorkerRunnerOptions { ApplyEnvironment = false });
        var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = count });
        if (summary.Completed != count || summary.PollErrors != 0 || summary.UpdateFailures != 0)
        {
            throw new InvalidOperationException("runner: " + summary);
        }
    }

    /// <summary>
    /// The ceiling: what the runtime does on the wire (batch poll for one task, then update-v2 chaining) with nothing else —
    /// no slots, lease timers, events, metrics or outbox; <paramref name="workers"/> plain loops on one client.
    /// </summary>
    private static async Task RunRawAsync(BenchServer server, string type, int count, int workers)
    {
        using var api = Client(server);
        var budget = count;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var id = "bench-raw-" + w;
            while (Interlocked.Decrement(ref budget) >= 0)
            {
                var polled = await api.BatchPollAsync(type, 1, TimeSpan.FromMilliseconds(100), id);
                if (polled.Count == 0)
                {
                    Interlocked.Increment(ref budget);
                    continue;
                }
                var task = polled[0];
                while (task is not null)
                {
                    var result = await NoOp(task, default);
                    result.WorkerId = id;
                    if (Interlocked.Decrement(ref budget) >= 0)
                    {
                        task = await api.UpdateTaskV2Async(result);
                        if (task is null) Interlocked.Increment(ref budget);
                    }
                    else
                    {
                        await api.UpdateTaskAsync(result);
                        task = null;
                    }
                }
            }
        })));
    }

    private static async Task<Latency> MeasureLatencyAsync(BenchServer server, HttpConductorApi api, string mode, int count, int rate,
        Func<string, ConcurrentBag<double>, CancellationToken, Task> runUntil)
    {
        var type = await RegisterAsync(api, mode + "_lat");
        var clientMs = new ConcurrentBag<double>();
        using var stop = new CancellationTokenSource();
        var workers = runUntil(type, clientMs, stop.Token);
        await Task.Delay(1000); // the workers settle into their long polls
        var ids = await StartPacedAsync(api, type, count, rate);
        await WaitUntilAsync(() => clientMs.Count >= count, TimeSpan.FromSeconds(60), $"{mode}: {count} latency tasks");
        stop.Cancel();
        await workers;
        await VerifyCompletedAsync(api, type, count);
        return new Latency(await ServerLatenciesAsync(api, ids), clientMs.ToArray());
    }

    private static TaskHandler Timed(ConcurrentBag<double> log) => (task, ct) =>
    {
        if (task.InputData is { } input && input.TryGetValue("t0us", out var t0) && t0 is not null)
        {
            log.Add((UnixMicros() - Convert.ToInt64(t0.ToString(), CultureInfo.InvariantCulture)) / 1000.0);
        }
        return NoOp(task, ct);
    };

    private static async Task RunRunnerUntilAsync(BenchServer server, string type, int workers, ConcurrentBag<double> log, CancellationToken stop)
    {
        using var api = Client(server);
        var runner = new WorkerRunner(api, [new WorkerDefinition(type, Timed(log), NoOpOptions(workers, "bench-runner"))],
            new WorkerRunnerOptions { ApplyEnvironment = false });
        await runner.RunAsync(stop);
    }

    private static async Task RunRawUntilAsync(BenchServer server, string type, int workers, ConcurrentBag<double> log, CancellationToken stop)
    {
        using var api = Client(server);
        var handler = Timed(log);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var id = "bench-raw-" + w;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    // The same server-side wait as the runner's default long poll.
                    var polled = await api.BatchPollAsync(type, 1, TimeSpan.FromSeconds(1), id, null, stop);
                    var task = polled.Count > 0 ? polled[0] : null;
                    while (task is not null)
                    {
                        var result = await handler(task, stop);
                        result.WorkerId = id;
                        task = await api.UpdateTaskV2Async(result);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        })));
    }

    // ------------------------------------------------------------------ memory

    private static async Task<int> MemoryAsync(BenchServer server, BenchArgs a)
    {
        var count = a.Int("--tasks", 100_000);
        var workers = a.Int("--workers", 10);
        var first = Math.Min(10_000, Math.Max(1, count / 10));
        Header($"memory mode: {count} tasks through one WorkerRunner ({workers} slots), fed with a bounded backlog; working set after {first} and after {count}", server);

        using var api = Client(server);
        var type = await RegisterAsync(api, "memory");
        var done = 0L;
        TaskHandler handler = (task, ct) =>
        {
            Interlocked.Increment(ref done);
            return NoOp(task, ct);
        };
        using var workerApi = Client(server);
        var runner = new WorkerRunner(workerApi, [new WorkerDefinition(type, handler, NoOpOptions(workers, "bench-memory"))],
            new WorkerRunnerOptions { ApplyEnvironment = false });
        var clock = Stopwatch.StartNew();
        var run = runner.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = count });
        var feed = FeedAsync(api, type, count);

        var checkpoints = Enumerable.Range(1, 10).Select(i => (long)count * i / 10).Append(first).Distinct().Order().ToList();
        var samples = new List<(long Tasks, double Seconds, double WorkingSetMb, double HeapMb)>();
        Console.WriteLine();
        Console.WriteLine("| tasks | s | working set MB | managed heap after full GC MB |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (var checkpoint in checkpoints)
        {
            while (Interlocked.Read(ref done) < checkpoint && !run.IsCompleted) await Task.Delay(20);
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var ws = process.WorkingSet64 / 1048576.0;
            var heap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
            samples.Add((checkpoint, clock.Elapsed.TotalSeconds, ws, heap));
            Console.WriteLine(Inv($"| {checkpoint} | {clock.Elapsed.TotalSeconds:F1} | {ws:F1} | {heap:F1} |"));
        }
        var summary = await run;
        await feed;
        if (summary.Completed != count) throw new InvalidOperationException("runner: " + summary);
        var atFirst = samples.First(s => s.Tasks == first);
        var atEnd = samples.Last();
        Console.WriteLine();
        Console.WriteLine(Inv($"working set after {first}: {atFirst.WorkingSetMb:F1} MB, after {count}: {atEnd.WorkingSetMb:F1} MB, ratio {atEnd.WorkingSetMb / atFirst.WorkingSetMb:F3} (target <= 1.10); ") +
            Inv($"managed heap {atFirst.HeapMb:F1} -> {atEnd.HeapMb:F1} MB; {count / clock.Elapsed.TotalSeconds:F0} tasks/s overall; runner: {summary}"));
        return 0;
    }

    /// <summary>Starts <paramref name="count"/> workflows, keeping between 500 and 2,000 queued so the store's queue stays small.</summary>
    private static async Task FeedAsync(HttpConductorApi api, string type, int count)
    {
        var started = 0;
        while (started < count)
        {
            var queued = await api.GetQueueSizeAsync(type);
            if (queued > 500)
            {
                await Task.Delay(10);
                continue;
            }
            var batch = Math.Min(1500, count - started);
            await StartBacklogAsync(api, type, batch);
            started += batch;
        }
    }

    // ------------------------------------------------------------------ idle

    private static async Task<int> IdleAsync(BenchServer server, BenchArgs a)
    {
        var seconds = a.Int("--seconds", 60);
        var workers = a.Int("--workers", 10);
        var types = a.Int("--types", 1);
        var settle = a.Int("--settle", 3);
        Header($"idle mode: {types} task type(s) x {workers} slots polling empty queues for {seconds} s (after {settle} s to settle)", server);
        var counter = new CountingHandler(new SocketsHttpHandler { MaxConnectionsPerServer = 256 });
        using var api = new HttpConductorApi(new ConductorClientOptions { ServerUrl = server.ApiUrl }, counter);
        var definitions = new List<WorkerDefinition>();
        for (var i = 0; i < types; i++)
        {
            definitions.Add(new WorkerDefinition(await RegisterAsync(api, "idle" + i), NoOp, NoOpOptions(workers, "bench-idle")));
        }
        var runner = new WorkerRunner(api, definitions, new WorkerRunnerOptions { ApplyEnvironment = false });
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(settle));
        var window = TimeSpan.FromSeconds(Math.Min(a.Int("--window", 10), seconds));
        Console.WriteLine();
        Console.WriteLine("| window end s | this process % of a core |" + (server.IsChild ? " server process % of a core |" : "") + " polls/s |");
        Console.WriteLine("|---:|---:|" + (server.IsChild ? "---:|" : "") + "---:|");
        var requestsBefore = counter.Requests;
        var total = CpuMeter.Start(server);
        var clock = Stopwatch.StartNew();
        var windows = new List<double>();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(100))
        {
            var cpu = CpuMeter.Start(server, collect: false);
            var requests = counter.Requests;
            var started = clock.Elapsed;
            var next = TimeSpan.FromSeconds(seconds) - clock.Elapsed < window ? TimeSpan.FromSeconds(seconds) - clock.Elapsed : window;
            await Task.Delay(next);
            var (self, child) = cpu.Stop();
            var wallWindow = (clock.Elapsed - started).TotalSeconds;
            windows.Add(self.TotalMilliseconds / (wallWindow * 10));
            Console.WriteLine(Inv($"| {clock.Elapsed.TotalSeconds:F0} | {windows[^1]:F3} |") + (server.IsChild ? Inv($" {child.TotalMilliseconds / (wallWindow * 10):F3} |") : "") +
                Inv($" {(counter.Requests - requests) / wallWindow:F2} |"));
        }
        var (selfTotal, childTotal) = total.Stop();
        var wall = clock.Elapsed.TotalSeconds;
        var polls = counter.Requests - requestsBefore;
        stop.Cancel();
        var summary = await run;
        var lastHalf = windows.Skip(windows.Count / 2).ToArray();
        Console.WriteLine();
        Console.WriteLine(Inv($"idle over {wall:F1} s: this process {selfTotal.TotalMilliseconds / (wall * 10):F3} % of one core ({selfTotal.TotalMilliseconds:F0} ms CPU), ") +
            Inv($"median of the last {lastHalf.Length} windows {Median(lastHalf):F3} %") +
            (server.IsChild ? Inv($"; server process {childTotal.TotalMilliseconds / (wall * 10):F3} %") : server.IsExternal ? "" : " (the in-process server's share included)") +
            Inv($"; {polls / wall:F2} polls/s; poll errors {summary.PollErrors}; target <= 0.5 % of a core"));
        return 0;
    }

    // ------------------------------------------------------------------ serve (the child process of --spawn)

    private static async Task<int> ServeAsync(BenchArgs a)
    {
        await using var server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DatabasePath = a.Value("--db") ?? ":memory:",
        });
        Console.WriteLine("LISTENING " + server.ApiUrl);
        // Runs until the parent closes our standard input.
        while (await Console.In.ReadLineAsync() is not null)
        {
        }
        return 0;
    }

    // ------------------------------------------------------------------ helpers

    private static void Header(string what, BenchServer server)
    {
#if DEBUG
        Console.WriteLine("warning: Debug build; run with -c Release for meaningful figures");
#endif
        Console.WriteLine($"Worker runtime over HTTP: {what}");
        Console.WriteLine($"server: {server.Description}; {Environment.ProcessorCount} CPUs, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    }

    internal static HttpConductorApi Client(BenchServer server) => new(new ConductorClientOptions { ServerUrl = server.ApiUrl });

    private static int _types;

    internal static async Task<string> RegisterAsync(IConductorApi api, string mode)
    {
        var type = Inv($"bench_{mode}_{Environment.ProcessId}_{Interlocked.Increment(ref _types)}");
        await api.RegisterTaskDefsAsync([new TaskDef(type)
        {
            RetryCount = 0,
            ResponseTimeoutSeconds = 300,
            TimeoutSeconds = 0,
            OwnerEmail = "bench@example.com",
        }]);
        await api.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "wf_" + type,
            OwnerEmail = "bench@example.com",
            Tasks = [new WorkflowTask
            {
                Name = type,
                TaskReferenceName = "only",
                InputParameters = new Dictionary<string, object?> { ["t0us"] = "${workflow.input.t0us}" },
            }],
        }, overwrite: true);
        return type;
    }

    /// <summary>Starts <paramref name="count"/> workflows over HTTP with 4 concurrent callers.</summary>
    internal static async Task StartBacklogAsync(IConductorApi api, string type, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                await api.StartWorkflowAsync("wf_" + type, new Dictionary<string, object?>());
            }
        })));
    }

    /// <summary>Starts workflows one at a time at <paramref name="rate"/> per second, each stamped with the wall-clock time
    /// just before its start request.</summary>
    internal static async Task<List<string>> StartPacedAsync(IConductorApi api, string type, int count, int rate)
    {
        var ids = new List<string>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1)) await Task.Delay(due);
            ids.Add(await api.StartWorkflowAsync("wf_" + type, new Dictionary<string, object?> { ["t0us"] = UnixMicros() }));
        }
        return ids;
    }

    internal static async Task<double[]> ServerLatenciesAsync(IConductorApi api, IEnumerable<string> ids)
    {
        var values = new List<double>();
        foreach (var id in ids)
        {
            var workflow = await api.GetWorkflowAsync(id, includeTasks: true);
            foreach (var task in workflow.Tasks) values.Add(task.StartTime - task.ScheduledTime);
        }
        return values.ToArray();
    }

    internal static async Task VerifyCompletedAsync(IConductorApi api, string type, int count)
    {
        long hits = 0;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            hits = (await api.SearchWorkflowsAsync(new SearchRequest { Query = $"workflowType = 'wf_{type}' AND status = COMPLETED", Size = 1 })).TotalHits;
            if (hits == count) return;
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"{type}: {hits} of {count} workflows completed");
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(10);
        }
    }

    internal static long UnixMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    internal static double Median(IEnumerable<double> values) => Percentile(values.ToArray(), 50);

    internal static double Percentile(double[] values, double percentile)
    {
        if (values.Length == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var index = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    internal static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
