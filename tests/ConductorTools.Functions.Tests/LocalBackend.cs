using ConductorTools.Api;
using ConductorTools.Http;
using ConductorTools.Server;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// What the cycle and fan-out tests run against: the local Conductor server (in-memory engine, free loopback port), the
/// REST client a Functions app would use, that client behind a <see cref="FaultyApi"/> (so a test can make calls fail as
/// a broken server does, or count them), and a logger factory whose records the test reads.
/// </summary>
internal sealed class LocalBackend : IAsyncDisposable
{
    private LocalBackend(LocalConductorServer server, HttpConductorApi http, LogLevel minimumLevel)
    {
        Server = server;
        Http = http;
        (Client, Faults) = FaultyApi.Wrap(http);
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(minimumLevel));
    }

    public LocalConductorServer Server { get; }

    /// <summary>The plain REST client (no injected faults).</summary>
    public HttpConductorApi Http { get; }

    /// <summary><see cref="Http"/> behind <see cref="Faults"/>.</summary>
    public IConductorApi Client { get; }

    public FaultyApi Faults { get; }

    public ListLoggerProvider Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; }

    public static async Task<LocalBackend> StartAsync(LogLevel minimumLevel = LogLevel.Information)
    {
        var server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = ":memory:" });
        return new LocalBackend(server, new HttpConductorApi(new ConductorClientOptions { ServerUrl = server.ApiUrl }), minimumLevel);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        LoggerFactory.Dispose();
    }
}
