// Fan-out throughput (issue 18): tasks that take --task-ms each, worked by M simulated Functions instances through the
// fan-out (the dispatcher on a 1 s timer puts work messages on an Azurite queue; each instance does what the Functions host
// does with the queue function: take a message, run one bounded cycle through Core's FunctionCycleRunner, delete it), for
// each M in one run, against the local server (in process, in-memory engine, HTTP on loopback). Reports tasks/s per M and
// the ratio to M × the single-instance figure (target ≥ 0.8), then the cost of an idle period: dispatches with no backlog
// (Conductor calls, queue operations, messages, cycles started).
// Usage: dotnet run -c Release --project bench/ConductorTools.Bench.FanOut -- [--instances 1,2,4,8] [--task-ms 100]
//          [--concurrency 2] [--window 12] [--cycle 10] [--idle-dispatches 10] [--storage CONNECTION_STRING]
// Without --storage it starts Azurite from tests/ConductorTools.Functions.Tests/azurite (npm ci there first if needed).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Azure.Storage.Queues;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Server;
using ConductorTools.Storage;
using ConductorTools.Workers;

var options = ParseArgs(args);
var instancesList = options.GetValueOrDefault("instances", "1,2,4,8").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
var taskMs = int.Parse(options.GetValueOrDefault("task-ms", "100"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "2"), CultureInfo.InvariantCulture);
var window = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("window", "12"), CultureInfo.InvariantCulture));
var cycleSeconds = int.Parse(options.GetValueOrDefault("cycle", "10"), CultureInfo.InvariantCulture);
var idleDispatches = int.Parse(options.GetValueOrDefault("idle-dispatches", "10"), CultureInfo.InvariantCulture);
const string TaskType = "fan_bench";

#if DEBUG
Console.WriteLine("warning: Debug build; run with -c Release for meaningful figures");
#endif
using var azurite = options.TryGetValue("storage", out var given) ? null : await AzuriteProcess.StartAsync();
var storage = given ?? azurite!.ConnectionString;
var service = new QueueServiceClient(storage, StorageFanOutQueue.Options());
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Fan-out benchmark: {taskMs} ms tasks, concurrency {concurrency} per cycle, {cycleSeconds} s invocations (1 s margin, 1 s drain), " +
    $"{window.TotalSeconds:0} s measured per M, dispatcher every 1 s, {Environment.ProcessorCount} CPUs, local server in process, Azurite queue"));
Console.WriteLine($"{"M",3} {"tasks",7} {"tasks/s",9} {"per inst",9} {"vs M×1",7} {"cycles",7} {"msgs",6}");

double? single = null;
var rows = new List<string>();
foreach (var m in instancesList)
{
    var (completed, rate, cycles, messages) = await MeasureAsync(m);
    single ??= m == 1 ? rate : null;
    var ratio = single is { } s ? rate / (m * s) : double.NaN;
    var line = string.Create(CultureInfo.InvariantCulture, $"{m,3} {completed,7} {rate,9:0.0} {rate / m,9:0.0} {ratio,7:0.00} {cycles,7} {messages,6}");
    Console.WriteLine(line);
    rows.Add(line);
}

// The idle period: no backlog; what each dispatch costs, and whether any cycle starts.
{
    await using var server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = ":memory:" });
    using var http = new HttpConductorApi(new ConductorClientOptions { ServerUrl = server.ApiUrl });
    await http.RegisterTaskDefsAsync([new TaskDef(TaskType)]);
    var (api, calls) = CountingApi.Wrap(http);
    var settings = Settings(server.ApiUrl, "idle-" + Guid.NewGuid().ToString("N")[..12], cycleSeconds, concurrency, 8);
    var cycles = new FunctionCycleRunner(settings, api, [Worker(taskMs, new Counter())], null);
    var queueOps = 0;
    var dispatcher = new FanOutDispatcher(cycles, name => new CountingQueue(StorageFanOutQueue.For(service, name), () => Interlocked.Increment(ref queueOps)));
    var sent = 0;
    for (var i = 0; i < idleDispatches; i++)
        sent += (await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, TimeSpan.FromSeconds(1))).Sent.Count;
    // An instance watching the queue meanwhile: no message, so no cycle.
    var queue = StorageFanOutQueue.For(service, settings.FanOutQueueFor(ConductorHostSettings.DefaultGroup));
    var consumer = new FanOutQueueConsumer(queue, TimeSpan.FromSeconds(60));
    var started = 0;
    for (var i = 0; i < 5; i++)
        await consumer.RunOnceAsync((_, _) => { started++; return Task.CompletedTask; });
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"idle: {idleDispatches} dispatches with no backlog: {calls.Values.Sum()} Conductor call(s) ({string.Join(", ", calls.Select(c => $"{c.Key} {c.Value}"))}), " +
        $"{(double)calls.Values.Sum() / idleDispatches:0.##} per dispatch; {queueOps} queue operation(s); {sent} message(s) sent; {started} cycle(s) started"));
}
return 0;

async Task<(int Completed, double Rate, int Cycles, int Messages)> MeasureAsync(int instances)
{
    await using var server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = ":memory:" });
    using var http = new HttpConductorApi(new ConductorClientOptions { ServerUrl = server.ApiUrl });
    await http.RegisterTaskDefsAsync([new TaskDef(TaskType) { RetryCount = 2, ResponseTimeoutSeconds = 30 }]);
    await http.RegisterWorkflowDefAsync(new WorkflowDef { Name = TaskType + "_flow", Tasks = [new WorkflowTask { Name = TaskType, TaskReferenceName = "t" }] }, overwrite: true);

    // A backlog larger than M instances can finish in the window, so every instance stays busy throughout.
    var perInstance = concurrency * 1000.0 / taskMs;
    var workflows = (int)(instances * perInstance * window.TotalSeconds * 1.5) + 50;
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
    {
        while (Interlocked.Increment(ref next) < workflows)
            await http.StartWorkflowAsync(TaskType + "_flow", new Dictionary<string, object?>());
    })));

    var settings = Settings(server.ApiUrl, $"bench-m{instances}-" + Guid.NewGuid().ToString("N")[..10], cycleSeconds, concurrency, instances);
    var queueName = settings.FanOutQueueFor(ConductorHostSettings.DefaultGroup);
    var done = new Counter();
    var measuring = false;
    using var dispatcherApi = new HttpConductorApi(new ConductorClientOptions { ServerUrl = server.ApiUrl });
    var dispatcher = new FanOutDispatcher(new FunctionCycleRunner(settings, dispatcherApi, [Worker(taskMs, done)], null), name => StorageFanOutQueue.For(service, name));
    using var stop = new CancellationTokenSource();
    var cyclesRun = 0;
    var messages = 0;
    var instanceTasks = Enumerable.Range(0, instances).Select(_ => Task.Run(async () =>
    {
        // Each instance: its own client and cycle runner, as its own process would have.
        using var api = new HttpConductorApi(new ConductorClientOptions { ServerUrl = server.ApiUrl });
        var cycles = new FunctionCycleRunner(settings, api, [Worker(taskMs, done, () => measuring)], null);
        var consumer = new FanOutQueueConsumer(StorageFanOutQueue.For(service, queueName), FanOutDispatch.ReceiveVisibility(TimeSpan.FromSeconds(cycleSeconds)));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var delivery = await consumer.RunOnceAsync(async (text, token) =>
                {
                    await cycles.RunForMessageAsync(text, ConductorHostSettings.DefaultGroup, stop.Token);
                    Interlocked.Increment(ref cyclesRun);
                });
                if (delivery == FanOutDelivery.None) await Task.Delay(100, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    })).ToList();
    var dispatching = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            messages += (await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, TimeSpan.FromSeconds(1))).Sent.Count;
            try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { }
        }
    });

    // Warm-up: the first cycles start (first dispatch, first receive, first polls); then the measured window.
    while (Volatile.Read(ref done.Value) < instances * concurrency * 4) await Task.Delay(20);
    measuring = true;
    var clock = Stopwatch.StartNew();
    await Task.Delay(window);
    measuring = false;
    var completed = Volatile.Read(ref done.Counted);
    var seconds = clock.Elapsed.TotalSeconds;
    await stop.CancelAsync();
    await Task.WhenAll(instanceTasks.Append(dispatching));
    return (completed, completed / seconds, cyclesRun, messages);
}

static WorkerDefinition Worker(int taskMs, Counter done, Func<bool>? measuring = null) => new(TaskType, async (task, ct) =>
{
    await Task.Delay(taskMs, ct);
    Interlocked.Increment(ref done.Value);
    if (measuring?.Invoke() == true) Interlocked.Increment(ref done.Counted);
    return TaskResults.Complete(task, null);
});

static ConductorHostSettings Settings(Uri server, string queue, int cycleSeconds, int concurrency, int maxCycles) => ConductorHostSettings.Bind(k => k switch
{
    ConductorHostSettings.ServerUrlKey => server.AbsoluteUri,
    ConductorHostSettings.PollScheduleKey => "*/1 * * * * *",
    ConductorHostSettings.FunctionTimeoutKey => TimeSpan.FromSeconds(cycleSeconds).ToString(),
    ConductorHostSettings.SafetyMarginKey => "00:00:01",
    ConductorHostSettings.DrainTimeoutKey => "00:00:01",
    ConductorHostSettings.ConcurrencyKey => concurrency.ToString(CultureInfo.InvariantCulture),
    ConductorHostSettings.DispatchModeKey => "FanOut",
    ConductorHostSettings.FanOutQueueKey => queue,
    ConductorHostSettings.FanOutMaxCyclesKey => maxCycles.ToString(CultureInfo.InvariantCulture),
    _ => null,
});

static Dictionary<string, string> ParseArgs(string[] args)
{
    var map = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
        map[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
    }
    return map;
}

internal sealed class Counter
{
    public int Value;
    public int Counted;
}

/// <summary>Counts the Conductor calls the dispatcher makes.</summary>
internal class CountingApi : DispatchProxy
{
    private IConductorApi _inner = null!;
    private ConcurrentDictionary<string, int> _calls = null!;

    public static (IConductorApi Api, ConcurrentDictionary<string, int> Calls) Wrap(IConductorApi inner)
    {
        var api = Create<IConductorApi, CountingApi>();
        var counting = (CountingApi)(object)api;
        counting._inner = inner;
        counting._calls = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        return (api, counting._calls);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        _calls.AddOrUpdate(targetMethod!.Name, 1, (_, n) => n + 1);
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}

/// <summary>Counts the queue operations the dispatcher makes.</summary>
internal sealed class CountingQueue(IFanOutQueue inner, Action counted) : IFanOutQueue
{
    public string Name => inner.Name;

    public Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default)
    {
        counted();
        return inner.GetApproximateMessageCountAsync(cancellationToken);
    }

    public Task SendAsync(string message, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        counted();
        return inner.SendAsync(message, timeToLive, cancellationToken);
    }
}

/// <summary>Azurite's queue service from the tests' pinned copy, on a free loopback port with a throwaway folder.</summary>
internal sealed class AzuriteProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _location;

    private AzuriteProcess(Process process, string location, int port)
    {
        _process = process;
        _location = location;
        // Azurite's well-known development account key (public, documented; not a secret).
        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public static async Task<AzuriteProcess> StartAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ConductorTools.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var package = Path.Combine(root, "tests", "ConductorTools.Functions.Tests", "azurite");
        var main = Path.Combine(package, "node_modules", "azurite", "dist", "src", "queue", "main.js");
        if (!File.Exists(main))
        {
            using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = package })!;
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0 || !File.Exists(main)) throw new InvalidOperationException($"npm ci failed in {package}");
        }
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var location = Path.Combine(Path.GetTempPath(), "ct-azurite-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(location);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { main, "--queueHost", "127.0.0.1", "--queuePort", port.ToString(CultureInfo.InvariantCulture), "--location", location, "--skipApiVersionCheck", "--silent", "--loose" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return new AzuriteProcess(process, location, port);
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"Azurite did not listen on {port}");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        _process.Dispose();
        try { Directory.Delete(_location, recursive: true); } catch (IOException) { }
    }
}
