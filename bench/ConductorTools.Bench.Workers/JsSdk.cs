using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConductorTools.Http;

namespace ConductorTools.Bench.Workers;

/// <summary>The official JavaScript SDK's TaskHandler run by bench/js/taskhandler-bench.cjs under node.</summary>
internal sealed class JsSdk
{
    private readonly string _node;
    private readonly string _script;

    private JsSdk(string node, string script)
    {
        _node = node;
        _script = script;
    }

    public static string Why { get; private set; } = "";

    public static async Task<JsSdk?> FindAsync()
    {
        var root = RepoRoot();
        var node = OnPath("node");
        var npm = OnPath("npm");
        if (root is null || node is null)
        {
            Why = root is null ? "repository root not found" : "node is not on PATH";
            return null;
        }
        var sdkDir = Path.Combine(root, "tests", "ConductorTools.Server.Tests", "js");
        if (!Directory.Exists(Path.Combine(sdkDir, "node_modules", "@io-orkes", "conductor-javascript")))
        {
            if (npm is null)
            {
                Why = "npm is not on PATH to install the SDK";
                return null;
            }
            using var install = Process.Start(new ProcessStartInfo(npm, "ci") { WorkingDirectory = sdkDir, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = install.StandardOutput.ReadToEndAsync();
            var errors = install.StandardError.ReadToEndAsync();
            await install.WaitForExitAsync();
            if (install.ExitCode != 0)
            {
                Why = $"npm ci failed in {sdkDir}: {await output}{await errors}";
                return null;
            }
        }
        var version = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(sdkDir, "node_modules", "@io-orkes", "conductor-javascript", "package.json")))
            .RootElement.GetProperty("version").GetString();
        Console.WriteLine($"JavaScript SDK: @io-orkes/conductor-javascript {version} under node {await NodeVersionAsync(node)}");
        return new JsSdk(node, Path.Combine(root, "bench", "js", "taskhandler-bench.cjs"));
    }

    public async Task<Throughput> ThroughputAsync(BenchServer server, HttpConductorApi api, int count, int workers, int pollInterval)
    {
        var type = await RegisterJsAsync(api);
        await ServerBench.StartBacklogAsync(api, type, count);
        var serverCpu = server.ChildCpu();
        var (result, _) = await RunAsync(server, type, count, workers, pollInterval, onReady: null);
        await ServerBench.VerifyCompletedAsync(api, type, count);
        return new Throughput(count, result.GetProperty("wallMs").GetDouble() / 1000, TimeSpan.FromMilliseconds(result.GetProperty("cpuMs").GetDouble()),
            server.ChildCpu() - serverCpu);
    }

    public async Task<Latency> LatencyAsync(BenchServer server, HttpConductorApi api, int count, int rate, int workers, int pollInterval)
    {
        var type = await RegisterJsAsync(api);
        List<string>? ids = null;
        var (result, _) = await RunAsync(server, type, count, workers, pollInterval, onReady: async () =>
        {
            await Task.Delay(1000);
            ids = await ServerBench.StartPacedAsync(api, type, count, rate);
        });
        await ServerBench.VerifyCompletedAsync(api, type, count);
        var client = result.GetProperty("latenciesUs").EnumerateArray().Select(e => e.GetDouble() / 1000).ToArray();
        return new Latency(await ServerBench.ServerLatenciesAsync(api, ids!), client);
    }

    private static Task<string> RegisterJsAsync(HttpConductorApi api) => ServerBench.RegisterAsync(api, "js");

    private async Task<(JsonElement Result, string Output)> RunAsync(BenchServer server, string type, int count, int workers, int pollInterval, Func<Task>? onReady)
    {
        var start = new ProcessStartInfo(_node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { _script, server.ApiUrl.ToString(), type,
                     count.ToString(CultureInfo.InvariantCulture), workers.ToString(CultureInfo.InvariantCulture), pollInterval.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string? resultLine = null;
        Task? producer = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "READY" && onReady is not null) producer = onReady();
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) resultLine = line["RESULT ".Length..];
        }
        await process.WaitForExitAsync();
        if (producer is not null) await producer;
        if (process.ExitCode != 0 || resultLine is null)
        {
            throw new InvalidOperationException($"the JS SDK bench failed ({process.ExitCode}): {await errors}");
        }
        var result = JsonDocument.Parse(resultLine).RootElement.Clone();
        if (result.GetProperty("failures").GetInt32() != 0) Console.WriteLine($"warning: the JS SDK reported {result.GetProperty("failures")} poll/update failures");
        return (result, await errors);
    }

    private static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConductorTools.slnx"))) return dir.FullName;
        }
        return null;
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static async Task<string> NodeVersionAsync(string node)
    {
        using var process = Process.Start(new ProcessStartInfo(node, "--version") { RedirectStandardOutput = true })!;
        var version = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        return version;
    }
}
