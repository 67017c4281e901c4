using System.CommandLine;
using System.Runtime.InteropServices;
using ConductorTools.Engine;
using ConductorTools.Server;
using Microsoft.Extensions.Logging;

// conductortools-server: the embedded engine behind the conductor-oss REST API, for SDKs, the module and tests.
var urls = new Option<string>("--urls")
{
    Description = "Address to listen on. Loopback only by default; use http://0.0.0.0:8080 to accept other machines (turn auth on then).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CONDUCTORTOOLS_SERVER_URLS") ?? "http://127.0.0.1:8080",
};
var database = new Option<string?>("--db")
{
    Description = $"SQLite database file, or :memory: for a throwaway store. Default: {EmbeddedConductorOptions.DefaultDatabasePath}",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CONDUCTORTOOLS_SERVER_DB"),
};
var authKeyId = new Option<string?>("--auth-key-id")
{
    Description = "Turn on Orkes-style auth with this key id (POST /api/token issues tokens; X-Authorization required). Env: CONDUCTORTOOLS_SERVER_AUTH_KEY_ID.",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CONDUCTORTOOLS_SERVER_AUTH_KEY_ID"),
};
var authKeySecret = new Option<string?>("--auth-key-secret")
{
    Description = "The key secret for --auth-key-id. Prefer the environment variable CONDUCTORTOOLS_SERVER_AUTH_KEY_SECRET (command lines are visible to other users).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CONDUCTORTOOLS_SERVER_AUTH_KEY_SECRET"),
};
var tokenMinutes = new Option<int>("--token-lifetime-minutes")
{
    Description = "How long issued tokens stay valid.",
    DefaultValueFactory = _ => 60,
};
var allowedHosts = new Option<string[]>("--allowed-hosts")
{
    Description = "Extra host names accepted in the Host header when listening on loopback only (localhost, 127.0.0.1 and [::1] always are). Env: CONDUCTORTOOLS_SERVER_ALLOWED_HOSTS (';'-separated).",
    AllowMultipleArgumentsPerToken = true,
    DefaultValueFactory = _ => (Environment.GetEnvironmentVariable("CONDUCTORTOOLS_SERVER_ALLOWED_HOSTS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
};
var verbose = new Option<bool>("--verbose", "-v") { Description = "Log every request (method, path, status, time) and engine activity." };

var root = new RootCommand("Local Conductor-compatible server: the ConductorTools embedded engine behind the conductor-oss REST API.")
{
    urls, database, authKeyId, authKeySecret, tokenMinutes, allowedHosts, verbose,
};
root.SetAction(async (parse, _) =>
{
    var keyId = parse.GetValue(authKeyId);
    var keySecret = parse.GetValue(authKeySecret);
    if (string.IsNullOrEmpty(keyId) != string.IsNullOrEmpty(keySecret))
    {
        Console.Error.WriteLine("Auth needs both a key id and a key secret (--auth-key-id and CONDUCTORTOOLS_SERVER_AUTH_KEY_SECRET); only one was given.");
        return 2;
    }
    if (parse.GetValue(tokenMinutes) < 1)
    {
        Console.Error.WriteLine("--token-lifetime-minutes must be at least 1.");
        return 2;
    }
    var isVerbose = parse.GetValue(verbose);
    using var loggerFactory = LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; })
        .SetMinimumLevel(isVerbose ? LogLevel.Information : LogLevel.Warning)
        // ASP.NET Core's own per-request lines (with full query strings) stay out: --verbose is one line per request, path only.
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));

    using var stop = new CancellationTokenSource();
    // Ctrl+C and SIGTERM stop the server gracefully: in-flight requests finish, then the database closes.
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    LocalConductorServer server;
    try
    {
        server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions
        {
            Urls = parse.GetValue(urls)!,
            DatabasePath = parse.GetValue(database),
            AuthKeyId = keyId,
            AuthKeySecret = keySecret,
            TokenLifetime = TimeSpan.FromMinutes(parse.GetValue(tokenMinutes)),
            LogRequests = isVerbose,
            AllowedHosts = parse.GetValue(allowedHosts) ?? [],
            LoggerFactory = loggerFactory,
        });
    }
    catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
        or ConductorTools.Api.ConductorException)
    {
        // One line that says what and what to do (a damaged database names its file); no stack trace.
        Console.Error.WriteLine("conductortools-server could not start: " + ex.Message);
        return 1;
    }

    await using (server)
    {
        Console.WriteLine("ConductorTools local Conductor server");
        Console.WriteLine($"  API:      {server.ApiUrl}");
        Console.WriteLine($"  Database: {server.Database}");
        Console.WriteLine(server.AuthEnabled
            ? $"  Auth:     on (key id '{keyId}'; POST /api/token, then X-Authorization)"
            : "  Auth:     off (any local client may call the API)");
        if (!server.AuthEnabled && server.ListensBeyondLoopback)
        {
            Console.WriteLine("  Warning:  listening beyond loopback with auth off: anyone who can reach this port controls the server.");
        }
        Console.WriteLine("Press Ctrl+C to stop.");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Stopping: finishing in-flight requests, then closing the database...");
        }
    }
    Console.WriteLine("Stopped.");
    return 0;
});
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
