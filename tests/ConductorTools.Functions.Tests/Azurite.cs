using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Queues;
using ConductorTools.Storage;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// Azurite's queue service (npm package <c>azurite</c>, pinned in azurite/package.json and package-lock.json), installed
/// with <c>npm ci</c> on first use and started on a free loopback port with a throwaway folder; stopped with the test
/// assembly. Follows the JS SDK tests' policy: skipped, with the reason, only when node or npm is not on PATH.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account and key (public, documented; not a secret).</summary>
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Azurite? _shared;

    private readonly Process _process;
    private readonly string _location;
    private readonly Task<string> _output;

    private Azurite(Process process, string location, int port, Task<string> output)
    {
        _process = process;
        _location = location;
        _output = output;
        Port = port;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};QueueEndpoint=http://127.0.0.1:{port}/{Account};";
    }

    public int Port { get; }

    /// <summary>The storage connection string of this Azurite (what AzureWebJobsStorage would hold).</summary>
    public string ConnectionString { get; }

    public QueueServiceClient Service() => new(ConnectionString, StorageFanOutQueue.Options());

    /// <summary>A queue with a fresh name, so tests sharing the emulator do not see each other's messages.</summary>
    public StorageFanOutQueue NewQueue(string prefix = "t") => StorageFanOutQueue.For(Service(), $"{prefix}-{Guid.NewGuid():N}");

    /// <summary>The assembly's Azurite, started on first use (and stopped when the test process ends).</summary>
    public static async Task<Azurite> SharedAsync(CancellationToken cancellationToken)
    {
        var node = RepositoryPaths.OnPath("node");
        var npm = RepositoryPaths.OnPath("npm");
        Assert.SkipWhen(node is null || npm is null, "node and npm are not on PATH, so Azurite (the storage emulator) cannot run here.");
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_shared is { _process.HasExited: false }) return _shared;
            _shared = await StartAsync(node!, npm!, cancellationToken);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => _shared?.Stop();
            return _shared;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The folder holding package.json / package-lock.json (and node_modules once installed).</summary>
    public static string PackageDirectory => RepositoryPaths.Combine("tests", "ConductorTools.Functions.Tests", "azurite");

    private static string MainScript => Path.Combine(PackageDirectory, "node_modules", "azurite", "dist", "src", "queue", "main.js");

    /// <summary>Runs <c>npm ci</c> unless Azurite is installed. A lock file keeps two test processes (this one, the Pester suite) from installing at once.</summary>
    public static async Task EnsureInstalledAsync(string npm, CancellationToken cancellationToken)
    {
        var lockPath = Path.Combine(PackageDirectory, ".install.lock");
        FileStream? held = null;
        var waited = Stopwatch.StartNew();
        while (held is null)
        {
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(500, cancellationToken);
            }
        }
        await using (held)
        {
            if (File.Exists(MainScript)) return;
            var (code, output) = await ChildProcess.RunAsync(npm, ["ci", "--no-audit", "--no-fund"], PackageDirectory, TimeSpan.FromMinutes(5), cancellationToken);
            Assert.True(code == 0 && File.Exists(MainScript), $"npm ci failed in {PackageDirectory} (exit {code}):\n{output}");
        }
    }

    private static async Task<Azurite> StartAsync(string node, string npm, CancellationToken cancellationToken)
    {
        await EnsureInstalledAsync(npm, cancellationToken);
        var location = Path.Combine(Path.GetTempPath(), "ct-azurite-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(location);
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { MainScript, "--queueHost", "127.0.0.1", "--queuePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--location", location, "--skipApiVersionCheck", "--silent", "--loose" })
                start.ArgumentList.Add(arg);
            var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var output = Task.WhenAll(stdout, stderr).ContinueWith(t => string.Join("\n", t.Result), TaskScheduler.Default);
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                if (await ListensAsync(port)) return new Azurite(process, location, port, output);
                await Task.Delay(100, cancellationToken);
            }
            var exited = process.HasExited;
            if (!exited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (attempt >= 3)
                Assert.Fail($"Azurite did not listen on 127.0.0.1:{port} within 30 s (exited: {exited}):\n{await output}");
        }
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Stop()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_location, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>What Azurite printed (for failure messages).</summary>
    public Task<string> OutputAsync() => _output;
}
