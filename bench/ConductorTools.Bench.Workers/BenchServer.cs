using System.Diagnostics;
using ConductorTools.Http;
using ConductorTools.Server;

namespace ConductorTools.Bench.Workers;

/// <summary>The server the bench talks to: a given URL, a LocalConductorServer in this process, or one in a child process.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private LocalConductorServer? _inProcess;
    private Process? _child;

    private BenchServer(Uri apiUrl, string description)
    {
        ApiUrl = apiUrl;
        Description = description;
    }

    public Uri ApiUrl { get; }
    public string Description { get; }
    public bool IsChild => _child is not null;
    public bool IsExternal => _child is null && _inProcess is null;

    public TimeSpan ChildCpu()
    {
        if (_child is null) return TimeSpan.Zero;
        _child.Refresh();
        return _child.TotalProcessorTime;
    }

    public static async Task<BenchServer> StartAsync(BenchArgs a, bool spawnByDefault)
    {
        if (a.Value("--url") is { } url)
        {
            return new BenchServer(ConductorClientOptions.NormalizeServerUrl(url), url);
        }
        if (a.Has("--spawn") || (spawnByDefault && !a.Has("--in-process")))
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(BenchServer).Assembly.Location);
            start.ArgumentList.Add("serve");
            var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line is null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                child.Kill();
                throw new InvalidOperationException("the server process did not start: " + line);
            }
            var apiUrl = new Uri(line["LISTENING ".Length..]);
            return new BenchServer(apiUrl, $"LocalConductorServer (in-memory) in a child process (pid {child.Id}) at {apiUrl}") { _child = child };
        }
        var server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = ":memory:" });
        return new BenchServer(server.ApiUrl, $"LocalConductorServer (in-memory) in this process at {server.ApiUrl}; process CPU includes the server's")
        {
            _inProcess = server,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_inProcess is not null) await _inProcess.DisposeAsync();
        if (_child is not null)
        {
            _child.StandardInput.Close();
            if (!_child.WaitForExit(10_000)) _child.Kill();
            _child.Dispose();
        }
    }
}
