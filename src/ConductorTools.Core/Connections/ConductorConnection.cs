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
        _api = api ?? throw new ArgumentNullException(nameof(api));
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

    private readonly IConductorApi _api;
    private int _disposed;

    /// <summary>The API; throws <see cref="ObjectDisposedException"/> with what to do once the connection is closed.</summary>
    public IConductorApi Api => IsClosed
        ? throw new ObjectDisposedException(nameof(ConductorConnection),
            $"The connection to {Target} was closed (Disconnect-Conductor). Connect again with Connect-Conductor, or leave out -Connection to use the session's connection.")
        : _api;

    /// <summary>Whether <see cref="Dispose"/> closed it.</summary>
    public bool IsClosed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Whether the connection was handed to a user (Connect-Conductor -PassThru, Get-ConductorConnection):
    /// such a connection stays open until the user closes it, even after the session moves to another.</summary>
    public bool IsHeld { get; private set; }

    /// <summary>Marks the connection as held by a user and returns it.</summary>
    public ConductorConnection Hold()
    {
        IsHeld = true;
        return this;
    }

    public ConductorConnectionKind Kind { get; }

    /// <summary>The server URL, or the embedded engine's database path.</summary>
    public string Target { get; }

    /// <summary>How requests authenticate (no secrets).</summary>
    public string Auth { get; }

    public DateTimeOffset ConnectedAt { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) (_api as IDisposable)?.Dispose();
    }

    /// <summary>
    /// Proves a server connection with a cheap call (one task definition lookup; "not found" and "forbidden" both prove
    /// the server answers and the credentials are accepted). <paramref name="timeout"/> bounds the whole probe, retries
    /// included; a probe that runs out of time throws a <see cref="ConductorException"/> of kind Timeout saying what
    /// happened; <paramref name="cancellationToken"/> (Ctrl+C) cancels it.
    /// </summary>
    public async Task ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (Kind == ConductorConnectionKind.Embedded) return;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await Api.GetTaskDefAsync(ProbeTaskName, deadline.Token).ConfigureAwait(false);
        }
        catch (ConductorException ex) when (ex.Kind is ConductorErrorKind.NotFound or ConductorErrorKind.Forbidden)
        {
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && (ex is OperationCanceledException || ex is ConductorException { Kind: ConductorErrorKind.Timeout }))
        {
            throw new ConductorException(
                $"{Target} did not answer within {timeout.TotalSeconds:0.#} s. Check that the URL is Conductor's API (e.g. http://localhost:8080/api) and that the server is up, or give Connect-Conductor a longer -Timeout.",
                ConductorErrorKind.Timeout, null, ex) { Retryable = true, Request = "GET " + Target + "metadata/taskdefs/" + ProbeTaskName };
        }
    }

    /// <summary>The task definition name the probe looks up (no server has it).</summary>
    public const string ProbeTaskName = "__conductortools_connection_probe__";

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
    private string? _pendingWarning;

    public ConnectionResolver(Func<ConductorConnection> openEmbeddedDefault, Func<string, string?>? getVariable = null)
    {
        _openEmbeddedDefault = openEmbeddedDefault ?? throw new ArgumentNullException(nameof(openEmbeddedDefault));
        _getVariable = getVariable ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>The session's current connection, set by Connect-Conductor.</summary>
    public ConductorConnection? Current { get; set; }

    /// <summary>The connection commands would use now, without opening one: the session's, else a default already opened.</summary>
    public ConductorConnection? Peek() => Current ?? _fallback;

    /// <summary>
    /// Makes <paramref name="connection"/> the session's connection. The previous one is closed only when nobody else can
    /// be using it: an embedded engine never handed to the user. A server connection or a held one stays open (a worker
    /// loop in a thread job, a saved -PassThru object), until the user disconnects it.
    /// </summary>
    /// <returns>The previous connection, if it was closed.</returns>
    public ConductorConnection? Replace(ConductorConnection connection)
    {
        var previous = Current;
        Current = connection ?? throw new ArgumentNullException(nameof(connection));
        if (previous is null || ReferenceEquals(previous, connection) || previous.IsHeld || previous.Kind != ConductorConnectionKind.Embedded) return null;
        previous.Dispose();
        return previous;
    }

    /// <summary>What the not-connected note says, or null when the session is connected or no default was opened yet.</summary>
    public string? DefaultNote { get; private set; }

    /// <summary>
    /// Resolves a connection; <paramref name="notice"/> receives a one-time note when a default is chosen. A default chosen
    /// without a <paramref name="notice"/> (tab completion) keeps its note for the first caller that has one, so the user
    /// still reads it once.
    /// </summary>
    /// <remarks>
    /// A caller that passes a <paramref name="notice"/> here keeps what it gets for a long run (Invoke-WorkerLoop resolves
    /// once and polls with it), so the session's connection it gets is held: a later Connect-Conductor does not close it
    /// under a worker loop running in a thread job.
    /// </remarks>
    public ConductorConnection Resolve(ConductorConnection? explicitConnection, Action<string>? notice = null)
    {
        var connection = Resolve(explicitConnection, notice, warning: null);
        return notice is not null && ReferenceEquals(connection, Current) ? connection.Hold() : connection;
    }

    /// <summary>
    /// Like <see cref="Resolve(ConductorConnection?, Action{string}?)"/>, with a <paramref name="warning"/> channel: the
    /// not-connected note goes there once per session, whether or not a caller with only a <paramref name="notice"/>
    /// (which gets it once as a notice) came first.
    /// </summary>
    public ConductorConnection Resolve(ConductorConnection? explicitConnection, Action<string>? notice, Action<string>? warning)
    {
        if (explicitConnection is not null) return explicitConnection;
        if (Current is { } current) return current;
        string? note;
        string? verboseNote = null;
        ConductorConnection fallback;
        lock (_gate)
        {
            if (_fallback is null)
            {
                var url = _getVariable(ConductorClientOptions.ServerUrlVariable);
                if (!string.IsNullOrWhiteSpace(url))
                {
                    _fallback = ConductorConnection.ToServer(ConductorClientOptions.FromEnvironment(_getVariable));
                    DefaultNote = $"Not connected: using the Conductor server in {ConductorClientOptions.ServerUrlVariable} ({_fallback.Target}). Run Connect-Conductor to choose a connection.";
                }
                else
                {
                    _fallback = _openEmbeddedDefault();
                    DefaultNote = $"Not connected: using the embedded Conductor engine with the database {_fallback.Target}. Run Connect-Conductor <server URL> to use a server, or Connect-Conductor -Embedded to use the embedded engine without this warning.";
                }
                _pendingNotice = _pendingWarning = DefaultNote;
            }
            fallback = _fallback;
            if (warning is not null)
            {
                note = _pendingWarning;
                _pendingWarning = null;
            }
            else
            {
                note = null;
                if (notice is not null)
                {
                    verboseNote = _pendingNotice;
                    _pendingNotice = null;
                }
            }
        }
        if (note is not null) warning!(note);
        else if (verboseNote is not null) notice?.Invoke(verboseNote);
        return fallback;
    }
}
