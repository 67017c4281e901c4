using ConductorTools.Engine;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Server;

/// <summary>How to run a <see cref="LocalConductorServer"/>.</summary>
public sealed class LocalConductorServerOptions
{
    /// <summary>The address the server listens on (the <c>--urls</c> form, ';'-separated); loopback only by default.
    /// Port 0 picks a free port (tests); <see cref="LocalConductorServer.BaseAddress"/> then tells which.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The SQLite file of the embedded engine; <see cref="EmbeddedConductorOptions.InMemory"/> for a throwaway store;
    /// null for <see cref="EmbeddedConductorOptions.DefaultDatabasePath"/>.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Orkes-style key id. With <see cref="AuthKeySecret"/> it turns auth on: <c>POST /api/token</c> issues tokens and
    /// every other <c>/api</c> request needs one in <c>X-Authorization</c>. Off (as in conductor-oss) when either is empty.</summary>
    public string? AuthKeyId { get; set; }

    /// <summary>The secret that goes with <see cref="AuthKeyId"/>. Never logged.</summary>
    public string? AuthKeySecret { get; set; }

    /// <summary>How long an issued token stays valid; expired tokens get 401 <c>EXPIRED_TOKEN</c> as on Orkes.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodySize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Log per-request lines (method, path, status, elapsed) at Information instead of Debug.</summary>
    public bool LogRequests { get; set; }

    /// <summary>Where logs go; null logs nothing (tests). The command line passes a console logger.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The engine's clock (tests inject a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How often the engine's sweeper runs timers (WAIT, retries, timeouts).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a request waits for the database while another process holds its lock, before it answers 503
    /// (<see cref="EmbeddedConductorOptions.BusyTimeout"/>).</summary>
    public TimeSpan DatabaseBusyTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Extra names accepted in the <c>Host</c> header when the server listens on loopback only (it accepts
    /// localhost, 127.x.x.x and [::1]; others are refused so that DNS rebinding cannot reach it from a web page).</summary>
    public IReadOnlyCollection<string> AllowedHosts { get; set; } = Array.Empty<string>();

    /// <summary>Whether every address in <see cref="Urls"/> is loopback.</summary>
    internal bool LoopbackOnly => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(BrowserGuard.IsLoopbackUrl);

    internal bool AuthEnabled => !string.IsNullOrEmpty(AuthKeyId) && !string.IsNullOrEmpty(AuthKeySecret);
}
