using System.Net.Http.Headers;
using System.Text;
using ConductorTools.Http;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>A real local server on a free loopback port with an in-memory engine, and clients for it.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly LocalConductorServerOptions _options;

    public ServerFixture() : this(new LocalConductorServerOptions()) { }

    internal ServerFixture(LocalConductorServerOptions options)
    {
        _options = options;
        _options.Urls = "http://127.0.0.1:0";
        _options.DatabasePath ??= ":memory:";
    }

    public LocalConductorServer Server { get; private set; } = null!;

    /// <summary>A plain HTTP client rooted at the API (<c>.../api/</c>) for protocol-level assertions.</summary>
    public HttpClient Http { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await LocalConductorServer.StartAsync(_options);
        Http = new HttpClient { BaseAddress = Server.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>The ConductorTools REST client pointed at this server.</summary>
    public HttpConductorApi NewClient(Action<ConductorClientOptions>? configure = null)
    {
        var options = new ConductorClientOptions { ServerUrl = Server.ApiUrl };
        configure?.Invoke(options);
        return new HttpConductorApi(options);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json<T>(T value) => Json(ConductorJson.Serialize(value));

    /// <summary>Registers the shared one-task workflow (<see cref="OneTaskWorkflow"/>) on this server; returns its name.</summary>
    public Task<string> OneTaskWorkflowAsync(string taskType, int retryCount = 0) => OneTaskWorkflow.RegisterAsync(Server.Engine, taskType, retryCount);

    public static MediaTypeHeaderValue? ContentType(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
