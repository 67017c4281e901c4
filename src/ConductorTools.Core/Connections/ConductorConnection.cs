using ConductorTools.Api;
using ConductorTools.Http;

namespace ConductorTools.Connections;

/// <summary>How a connection reaches Conductor.</summary>
public enum ConductorConnectionKind
{
    /// <summary>The embedded engine in this process (SQLite file or memory).</summary>
    Embedded,
    /// <summary>A Conductor server over its REST API.</summary>
    Server,
}

/// <summary>
/// A connection the module and scripts hold: the <see cref="IConductorApi"/> plus what to show about it. Never shows a secret.
/// </summary>
public sealed class ConductorConnection : IDisposable
{
    public ConductorConnection(IConductorApi api, ConductorConnectionKind kind, string target, string auth)
    {
        Api = api ?? throw new ArgumentNullException(nameof(api));
        Kind = kind;
        Target = target;
        Auth = auth;
        ConnectedAt = DateTimeOffset.Now;
    }

    /// <summary>A connection to a server from client options (Orkes key/secret, Entra credential or token provider).</summary>
    public static ConductorConnection ToServer(ConductorClientOptions options)
    {
        var api = new HttpConductorApi(options);
        var auth = options.HasKeyAuth ? $"Orkes key {options.KeyId}"
            : options.Credential is not null ? "Entra ID credential"
            : options.AccessTokenProvider is not null ? "access token" : "none";
        return new ConductorConnection(api, ConductorConnectionKind.Server, api.ServerUrl.ToString(), auth);
    }

    public IConductorApi Api { get; }

    public ConductorConnectionKind Kind { get; }

    /// <summary>The server URL, or the embedded engine's database path.</summary>
    public string Target { get; }

    /// <summary>How requests authenticate (no secrets).</summary>
    public string Auth { get; }

    public DateTimeOffset ConnectedAt { get; }

    public void Dispose() => (Api as IDisposable)?.Dispose();

    public override string ToString() => $"{Kind} {Target}";
}

/// <summary>
/// Which connection a command uses: the one it was given, else the session's (Connect-Conductor), else a server named by
/// CONDUCTOR_SERVER_URL (with CONDUCTOR_AUTH_KEY/SECRET), else the embedded engine: the embedded default.
/// </summary>
public sealed class ConnectionResolver
{
    private readonly Func<ConductorConnection> _openEmbeddedDefault;
    private readonly Func<string, string?> _getVariable;
    private readonly object _gate = new();
    private ConductorConnection? _fallback;
    private string? _pendingNotice;

    public ConnectionResolver(Func<ConductorConnection> openEmbeddedDefault, Func<string, string?>? getVariable = null)
    {
        _openEmbeddedDefault = openEmbeddedDefault ?? throw new ArgumentNullException(nameof(openEmbeddedDefault));
        _getVariable = getVariable ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>The session's current connection, set by Connect-Conductor.</summary>
    public ConductorConnection? Current { get; set; }

    /// <summary>
    /// Resolves a connection; <paramref name="notice"/> receives a one-time note when a default is chosen. A default chosen
    /// without a <paramref name="notice"/> (tab completion) keeps its note for the first caller that has one, so the user
    /// still reads it once.
    /// </summary>
    public ConductorConnection Resolve(ConductorConnection? explicitConnection, Action<string>? notice = null)
    {
        if (explicitConnection is not null) return explicitConnection;
        if (Current is { } current) return current;
        string? note;
        ConductorConnection fallback;
        lock (_gate)
        {
            if (_fallback is null)
            {
                var url = _getVariable(ConductorClientOptions.ServerUrlVariable);
                if (!string.IsNullOrWhiteSpace(url))
                {
                    _fallback = ConductorConnection.ToServer(ConductorClientOptions.FromEnvironment(_getVariable));
                    _pendingNotice = $"Not connected: using the Conductor server in {ConductorClientOptions.ServerUrlVariable} ({_fallback.Target}).";
                }
                else
                {
                    _fallback = _openEmbeddedDefault();
                    _pendingNotice = $"Not connected: using the embedded Conductor engine ({_fallback.Target}). Run Connect-Conductor to use a server.";
                }
            }
            fallback = _fallback;
            note = notice is null ? null : _pendingNotice;
            if (note is not null) _pendingNotice = null;
        }
        if (note is not null) notice!(note);
        return fallback;
    }
}
