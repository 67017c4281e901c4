// Worker runtime throughput: N one-task workflows completed by WorkerRunner (batch poll for the free slots + update-v2
// chaining) versus a naive official-SDK-style loop (poll one task, execute, POST the update, repeat), same concurrency,
// same no-op handler, each run on a fresh in-memory embedded engine, in one process.
// Usage: dotnet run -c Release --project bench/ConductorTools.Bench.Workers -- [workflows] [concurrency] [rounds] [latency-ms]
//   workflows   one-task workflows per run, default 2000
//   concurrency runner slots = naive loops, default 10
//   rounds      measured rounds (modes alternate in each round; medians are reported), default 5
//   latency-ms  simulated network round trip added to every API call (both modes), default 0 (in-process calls)
// Over HTTP against a server (ServerBench.cs; see bench/README.md):
//   ... -- server [--url URL | --spawn] [--tasks 5000] [--workers 10] [--rounds 5] [--latency-tasks 1000] [--rate 200] [--js-poll-interval 100] [--no-js]
//   ... -- memory [--url URL | --in-process] [--tasks 100000] [--workers 10]
//   ... -- idle [--url URL | --spawn] [--seconds 60] [--settle 3] [--window 10] [--workers 10] [--types 1]
using System.Diagnostics;
using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Bench.Workers;
using ConductorTools.Engine;
using ConductorTools.Model;
using ConductorTools.Workers;

if (args.Length > 0 && ServerBench.IsMode(args[0]))
{
    return await ServerBench.RunAsync(args);
}

var workflows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
var latency = TimeSpan.FromMilliseconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 0);
const string TaskType = "bench_noop";
var pollTimeout = TimeSpan.FromMilliseconds(100);

#if DEBUG
Console.WriteLine("warning: Debug build; run with -c Release for meaningful figures");
#endif
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Worker runtime benchmark: {workflows} one-task workflows, concurrency {concurrency}, {rounds} rounds, in-memory embedded engine, " +
    $"{(latency > TimeSpan.Zero ? $"{latency.TotalMilliseconds} ms added per API call" : "in-process calls")}, {Environment.ProcessorCount} CPUs"));

// The handler both modes run: a no-op that completes the task.
static Task<TaskResult> Handler(ConductorTask task, CancellationToken cancellationToken) =>
    Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?> { ["ok"] = true }));

// Warm-up (JIT tiers, SQLite), not reported.
for (var i = 0; i < 2; i++)
{
    await MeasureAsync("runner", Math.Min(1000, workflows), RunRunnerAsync);
    await MeasureAsync("naive", Math.Min(1000, workflows), RunNaiveAsync);
}

var results = new Dictionary<string, List<(double Rate, double CpuMsPerTask)>> { ["runner"] = [], ["naive"] = [] };
Console.WriteLine($"{"round",5} {"mode",-8} {"tasks",7} {"run s",7} {"tasks/s",9} {"CPU ms/task",12}");
for (var round = 1; round <= rounds; round++)
{
    // Alternate which mode goes first so drift in the machine's load does not favour one.
    var order = round % 2 == 1 ? new[] { "naive", "runner" } : new[] { "runner", "naive" };
    foreach (var mode in order)
    {
        var (seconds, cpu) = await MeasureAsync(mode, workflows, mode == "runner" ? RunRunnerAsync : RunNaiveAsync);
        var rate = workflows / seconds;
        var cpuPerTask = cpu.TotalMilliseconds / workflows;
        results[mode].Add((rate, cpuPerTask));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{round,5} {mode,-8} {workflows,7} {seconds,7:F2} {rate,9:F0} {cpuPerTask,12:F3}"));
    }
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.OrderBy(v => v).ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

var runnerRate = Median(results["runner"].Select(r => r.Rate));
var naiveRate = Median(results["naive"].Select(r => r.Rate));
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"median WorkerRunner (batch poll + update-v2): {runnerRate,8:F0} tasks/s, {Median(results["runner"].Select(r => r.CpuMsPerTask)):F3} CPU ms/task"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"median naive SDK-style loop (poll 1 + POST):  {naiveRate,8:F0} tasks/s, {Median(results["naive"].Select(r => r.CpuMsPerTask)):F3} CPU ms/task"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio runner / naive: {runnerRate / naiveRate:F2}x"));
return 0;

// Opens a fresh engine with `count` queued workflows, times `run` until every task is completed, checks every workflow
// completed, and returns the wall time and the process CPU time it took.
async Task<(double Seconds, TimeSpan Cpu)> MeasureAsync(string mode, int count, Func<IConductorApi, int, Task> run)
{
    await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
    {
        DatabasePath = EmbeddedConductorOptions.InMemory,
        StartSweeper = false,
    });
    await engine.RegisterTaskDefsAsync([new TaskDef(TaskType) { RetryCount = 0 }]);
    await engine.RegisterWorkflowDefAsync(new WorkflowDef
    {
        Name = "bench_workers",
        Tasks = [new WorkflowTask { Name = TaskType, TaskReferenceName = "t1" }],
    }, overwrite: true);
    for (var i = 0; i < count; i++)
    {
        await engine.StartWorkflowAsync("bench_workers", new Dictionary<string, object?> { ["i"] = (long)i });
    }

    IConductorApi api = latency > TimeSpan.Zero ? LatencyApi.Wrap(engine, latency) : engine;
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    await run(api, count);
    clock.Stop();
    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuBefore;

    var completed = await engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'bench_workers' AND status = COMPLETED", Size = 1 });
    if (completed.TotalHits != count)
    {
        throw new InvalidOperationException($"{mode}: only {completed.TotalHits} of {count} workflows completed.");
    }
    return (clock.Elapsed.TotalSeconds, cpu);
}

// The runtime: one worker with `concurrency` slots, batch polls for the free slots, update-v2 chaining; returns once
// it has taken `count` tasks and delivered their results.
async Task RunRunnerAsync(IConductorApi api, int count)
{
    var options = new WorkerOptions
    {
        Concurrency = concurrency,
        LongPollTimeout = pollTimeout,
        PollInterval = TimeSpan.FromMilliseconds(100),
        WorkerId = "bench-runner",
    };
    var runner = new WorkerRunner(api, [new WorkerDefinition(TaskType, Handler, options)],
        new WorkerRunnerOptions { UseUpdateV2 = true, ApplyEnvironment = false });
    var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { MaxTasks = count });
    if (summary.Completed != count || summary.PollErrors != 0 || summary.UpdateFailures != 0)
    {
        throw new InvalidOperationException($"runner: {summary}");
    }
}

// What the official SDKs' simplest loop does: `concurrency` independent loops, each polling for one task (server-side
// wait as the runner's), executing it, POSTing the result with a plain update, and repeating.
async Task RunNaiveAsync(IConductorApi api, int count)
{
    var done = 0;
    using var finished = new CancellationTokenSource();
    var loops = Enumerable.Range(0, concurrency).Select(n => Task.Run(async () =>
    {
        var workerId = "bench-naive-" + n;
        try
        {
            while (!finished.IsCancellationRequested)
            {
                var tasks = await api.BatchPollAsync(TaskType, 1, pollTimeout, workerId, null, finished.Token);
                if (tasks.Count == 0) continue;
                var result = await Handler(tasks[0], finished.Token);
                result.WorkerId = workerId;
                await api.UpdateTaskAsync(result);
                if (Interlocked.Increment(ref done) == count) finished.Cancel();
            }
        }
        catch (OperationCanceledException) when (finished.IsCancellationRequested)
        {
        }
    })).ToArray();
    await Task.WhenAll(loops);
}
