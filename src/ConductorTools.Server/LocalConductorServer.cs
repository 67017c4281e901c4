using ConductorTools.Api;
using ConductorTools.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConductorTools.Server;

/// <summary>
/// The embedded engine served over the conductor-oss REST API on Kestrel. Start one with <see cref="StartAsync"/>;
/// point any Conductor client at <see cref="ApiUrl"/>. Disposing stops it gracefully (in-flight requests finish) and
/// closes the database.
/// </summary>
public sealed class LocalConductorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmbeddedConductor _engine;
    private int _disposed;

    private LocalConductorServer(WebApplication app, EmbeddedConductor engine, Uri baseAddress, string database, bool authEnabled)
    {
        _app = app;
        _engine = engine;
        BaseAddress = baseAddress;
        Database = database;
        AuthEnabled = authEnabled;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8080/</c> (the real port when 0 was asked for).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The URL Conductor clients are configured with: <see cref="BaseAddress"/> plus <c>api/</c>.</summary>
    public Uri ApiUrl => new(BaseAddress, "api/");

    /// <summary>The database file, or <c>:memory:</c>.</summary>
    public string Database { get; }

    public bool AuthEnabled { get; }

    /// <summary>Whether any address the server listens on is reachable from other machines (0.0.0.0, a LAN address, ...).</summary>
    public bool ListensBeyondLoopback => !_app.Urls.All(BrowserGuard.IsLoopbackUrl);

    /// <summary>The engine behind the API, for in-process inspection (tests, hosts).</summary>
    public IConductorApi Engine => _engine;

    /// <summary>Opens the engine and starts listening. Fails with a clear message when the address is taken or invalid.</summary>
    public static async Task<LocalConductorServer> StartAsync(LocalConductorServerOptions options, CancellationToken cancellationToken = default)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var database = string.IsNullOrEmpty(options.DatabasePath) ? EmbeddedConductorOptions.DefaultDatabasePath : options.DatabasePath!;
        CreatePrivately(database);
        var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
        {
            DatabasePath = database,
            TimeProvider = options.TimeProvider,
            SweepInterval = options.SweepInterval,
            BusyTimeout = options.DatabaseBusyTimeout,
            LoggerFactory = loggerFactory,
        });
        WebApplication? app = null;
        try
        {
            app = Build(options, engine, loggerFactory);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Urls.FirstOrDefault()
                ?? throw new InvalidOperationException($"The server started but reports no address for '{options.Urls}'.");
            return new LocalConductorServer(app, engine, new Uri(address.TrimEnd('/') + "/"), database, options.AuthEnabled);
        }
        catch (IOException ex)
        {
            await DisposeQuietlyAsync(app, engine).ConfigureAwait(false);
            throw new InvalidOperationException(
                $"Cannot listen on {options.Urls}: {ex.Message}. Another process may be using the port; pass a different --urls " +
                "(e.g. http://127.0.0.1:8081).", ex);
        }
        catch
        {
            await DisposeQuietlyAsync(app, engine).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new database file is created readable by its owner only (0600; SQLite gives its -wal and -shm files
    /// the same mode): workflow inputs and outputs may hold personal data.</summary>
    private static void CreatePrivately(string database)
    {
        if (database == EmbeddedConductorOptions.InMemory || OperatingSystem.IsWindows()) return;
        var path = Path.GetFullPath(database);
        if (File.Exists(path)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
        }
    }

    private static WebApplication Build(LocalConductorServerOptions options, EmbeddedConductor engine, ILoggerFactory loggerFactory)
    {
        // The empty builder reads no appsettings or environment: the server is configured by its options alone.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodySize;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddLogging();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(15));

        var app = builder.Build();
        var log = loggerFactory.CreateLogger("ConductorTools.Server");
        app.UseMiddleware<RequestLogging>(loggerFactory.CreateLogger("ConductorTools.Server.Requests"), options.LogRequests);
        app.UseMiddleware<ErrorResponses>(log);
        app.UseMiddleware<BrowserGuard>(options.LoopbackOnly, options.AllowedHosts);
        if (options.AuthEnabled)
        {
            app.UseMiddleware<TokenAuth>(options.AuthKeyId!, options.AuthKeySecret!, options.TokenLifetime, options.TimeProvider);
        }
        app.UseRouting();
        app.MapConductorApi(engine);
        return app;
    }

    /// <summary>Completes when the server has been stopped.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops accepting connections, lets in-flight requests finish, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await DisposeQuietlyAsync(_app, _engine).ConfigureAwait(false);
        }
    }

    private static async Task DisposeQuietlyAsync(WebApplication? app, EmbeddedConductor engine)
    {
        if (app is not null)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
        await engine.DisposeAsync().ConfigureAwait(false);
    }
}
