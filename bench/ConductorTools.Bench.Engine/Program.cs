// Engine throughput: a 3-task SIMPLE workflow driven by an in-process poll/complete loop on a file database.
// Usage: dotnet run -c Release --project bench/ConductorTools.Bench.Engine -- [sizes] [workers]
//   sizes   comma-separated workflow counts, default 1000,10000,100000 (each on a fresh database file)
//   workers concurrent poll/complete loops, default 4
using System.Diagnostics;
using System.Globalization;
using ConductorTools.Engine;
using ConductorTools.Model;

var sizes = (args.Length > 0 ? args[0] : "1000,10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var workers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
string[] taskNames = ["bench_a", "bench_b", "bench_c"];

Console.WriteLine($"Engine benchmark: 3-task SIMPLE workflow, {workers} in-process workers, file database (WAL), {Environment.ProcessorCount} CPUs");
Console.WriteLine($"{"workflows",10} {"start/s",10} {"tasks",10} {"run s",8} {"tasks/s",10} {"vs first",9} {"db MB",8}");
double? baseline = null;
foreach (var size in sizes)
{
    var directory = Path.Combine(Path.GetTempPath(), "ct-bench-" + Guid.NewGuid().ToString("N"));
    var path = Path.Combine(directory, "bench.db");
    try
    {
        await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, StartSweeper = false });
        await engine.RegisterTaskDefsAsync(taskNames.Select(n => new TaskDef(n) { RetryCount = 0 }).ToList());
        await engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "bench",
            Tasks = taskNames.Select(n => new WorkflowTask { Name = n, TaskReferenceName = n }).ToList(),
        }, overwrite: true);

        var startClock = Stopwatch.StartNew();
        for (var i = 0; i < size; i++)
        {
            await engine.StartWorkflowAsync("bench", new Dictionary<string, object?> { ["i"] = (long)i });
        }
        startClock.Stop();

        var expected = size * taskNames.Length;
        var done = 0;
        var runClock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var worker = "bench-" + w;
            while (Volatile.Read(ref done) < expected)
            {
                var any = false;
                foreach (var name in taskNames)
                {
                    var batch = await engine.BatchPollAsync(name, 16, TimeSpan.Zero, worker);
                    foreach (var task in batch)
                    {
                        any = true;
                        await engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED)
                        {
                            OutputData = new Dictionary<string, object?> { ["by"] = worker },
                        });
                        Interlocked.Increment(ref done);
                    }
                }
                if (!any)
                {
                    await Task.Yield();
                }
            }
        })).ToArray();
        await Task.WhenAll(loops);
        runClock.Stop();

        var completed = await engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'bench' AND status = COMPLETED", Size = 1 });
        if (completed.TotalHits != size)
        {
            throw new InvalidOperationException($"Only {completed.TotalHits} of {size} workflows completed.");
        }
        var megabytes = Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length) / 1024.0 / 1024.0;
        var rate = expected / runClock.Elapsed.TotalSeconds;
        baseline ??= rate;
        // "vs first": throughput relative to the smallest run; 1.00 all the way down means total time grows linearly.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{size,10} {size / startClock.Elapsed.TotalSeconds,10:F0} {expected,10} {runClock.Elapsed.TotalSeconds,8:F1} {rate,10:F0} {rate / baseline.Value,9:F2} {megabytes,8:F1}"));
    }
    finally
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
