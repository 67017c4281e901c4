using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine;

/// <summary>How to open an <see cref="EmbeddedConductor"/>.</summary>
public sealed class EmbeddedConductorOptions
{
    /// <summary>The value of <see cref="DatabasePath"/> that keeps everything in memory (tests; nothing survives disposal).</summary>
    public const string InMemory = ":memory:";

    /// <summary>
    /// The SQLite file holding definitions and executions; <see cref="InMemory"/> for a throwaway store; null means
    /// <see cref="DefaultDatabasePath"/>. The directory is created when missing.
    /// </summary>
    public string? DatabasePath { get; set; }

    /// <summary>The clock for timestamps, delays, timeouts and WAIT tasks (inject a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How often the background sweeper re-evaluates workflows whose timers are due.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether <see cref="EmbeddedConductor.Open"/> starts the background sweeper. Tests turn it off and call
    /// <see cref="EmbeddedConductor.SweepAsync"/> after moving their clock.</summary>
    public bool StartSweeper { get; set; } = true;

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How long an operation waits for the database when another process holds its write lock, before it fails
    /// with a retryable 503 naming the file (while the lock stays held, later operations wait only briefly).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// <c>conductortools/conductor.db</c> in the user's local application data directory
    /// (<c>%LOCALAPPDATA%</c> on Windows, <c>~/.local/share</c> on Linux, <c>~/Library/Application Support</c> on macOS).
    /// </summary>
    public static string DefaultDatabasePath
    {
        get
        {
            var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            }
            return Path.Combine(root, "conductortools", "conductor.db");
        }
    }
}
