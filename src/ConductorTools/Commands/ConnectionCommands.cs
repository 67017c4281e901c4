using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using Azure.Core;
using ConductorTools.Connections;
using ConductorTools.Engine;
using ConductorTools.Http;

namespace ConductorTools.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Connects the session to a Conductor server or to the embedded engine.</para>
/// <para type="description">Later ConductorTools commands use this connection unless given -Connection. With no
/// parameters, CONDUCTOR_SERVER_URL, CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET are read; with none of them set,
/// the embedded engine is used.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "Conductor", DefaultParameterSetName = ServerSet)]
[OutputType(typeof(ConductorConnection))]
public sealed class ConnectConductorCommand : PSCmdlet
{
    private const string ServerSet = "Server";
    private const string KeySet = "Key";
    private const string TokenSet = "Token";
    private const string EmbeddedSet = "Embedded";

    /// <summary><para type="description">The server's URL, e.g. http://localhost:8080/api (/api is added when missing).</para></summary>
    [Parameter(Position = 0, ParameterSetName = ServerSet)]
    [Parameter(Position = 0, Mandatory = true, ParameterSetName = KeySet)]
    [Parameter(Position = 0, Mandatory = true, ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public string? ServerUrl { get; set; }

    /// <summary><para type="description">Orkes application key: the user name is the key id, the password the secret.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary><para type="description">A bearer access token for servers behind an Entra-protected gateway.</para></summary>
    [Parameter(ParameterSetName = TokenSet)]
    [SecureStringTransformation]
    public SecureString? AccessToken { get; set; }

    /// <summary><para type="description">A script block that returns an access token (string, SecureString, or an object with
    /// Token and ExpiresOn, as Get-AzAccessToken returns); called again before the token expires, in a runspace of its
    /// own.</para></summary>
    [Parameter(ParameterSetName = TokenSet)]
    public ScriptBlock? TokenProvider { get; set; }

    /// <summary><para type="description">Use the embedded engine in this process instead of a server.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = EmbeddedSet)]
    public SwitchParameter Embedded { get; set; }

    /// <summary><para type="description">The embedded engine's SQLite database file (default: in your local data folder);
    /// ':memory:' keeps nothing after the session.</para></summary>
    [Parameter(ParameterSetName = EmbeddedSet)]
    public string? DatabasePath { get; set; }

    /// <summary><para type="description">How long each request to the server may take, and how long Connect-Conductor waits
    /// for the server to answer its connection test. Ctrl+C stops the wait.</para></summary>
    [Parameter(ParameterSetName = ServerSet)]
    [Parameter(ParameterSetName = KeySet)]
    [Parameter(ParameterSetName = TokenSet)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><para type="description">Output the connection. A connection you hold stays open when the session connects
    /// elsewhere, until you close it with Disconnect-Conductor -Connection.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly CancellationTokenSource _stopping = new();

    protected override void StopProcessing() => _stopping.Cancel();

    protected override void EndProcessing()
    {
        ConductorConnection connection;
        try
        {
            if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"-Timeout must be positive; got {Timeout}.");
            connection = Open();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "ConductorTools.InvalidServerUrl", ErrorCategory.InvalidArgument, ServerUrl));
            return;
        }
        try
        {
            // Proves the connection now rather than at the first command, with one cheap call.
            WriteVerbose($"Testing the connection to {connection.Target} (at most {Timeout.TotalSeconds:0.#} s).");
            connection.ProbeAsync(Timeout, _stopping.Token).GetAwaiter().GetResult();
        }
        catch (Api.ConductorException ex)
        {
            connection.Dispose();
            ThrowTerminatingError(ConductorCmdlet.ToErrorRecord(ex, connection.Target));
            return;
        }
        catch (OperationCanceledException)
        {
            connection.Dispose();
            throw new PipelineStoppedException();
        }
        ConductorCmdlet.Connections.Replace(connection);
        WriteVerbose($"Connected to {connection.Kind} {connection.Target} (auth: {connection.Auth}).");
        if (PassThru) WriteObject(connection.Hold());
    }

    private ConductorConnection Open()
    {
        if (Embedded)
        {
            var path = string.IsNullOrEmpty(DatabasePath) ? EmbeddedConductorOptions.DefaultDatabasePath : GetUnresolvedProviderPathFromPSPath(DatabasePath);
            if (DatabasePath == EmbeddedConductorOptions.InMemory) path = EmbeddedConductorOptions.InMemory;
            return new ConductorConnection(EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path }),
                ConductorConnectionKind.Embedded, path, "none");
        }
        var options = ServerUrl is null ? ConductorClientOptions.FromEnvironment() : new ConductorClientOptions { ServerUrl = ConductorClientOptions.NormalizeServerUrl(ServerUrl) };
        if (options.ServerUrl is null)
        {
            throw new ArgumentException("No server URL: give -ServerUrl, set CONDUCTOR_SERVER_URL, or use -Embedded for the embedded engine.");
        }
        options.Timeout = Timeout;
        if (Credential is not null)
        {
            options.KeyId = Credential.UserName;
            options.KeySecret = Credential.GetNetworkCredential().Password;
        }
        else if (AccessToken is not null)
        {
            var token = Plain(AccessToken);
            options.AccessTokenProvider = _ => new ValueTask<AccessToken>(new AccessToken(token, DateTimeOffset.MaxValue));
        }
        else if (TokenProvider is not null)
        {
            // The provider runs on whatever thread needs a token: in a runspace of its own, never the session's.
            var provider = new TokenProviderRunspace(TokenProvider, SessionState.LanguageMode);
            options.AccessTokenProvider = _ => new ValueTask<AccessToken>(CallTokenProvider(provider));
        }
        return ConductorConnection.ToServer(options);
    }

    private static AccessToken CallTokenProvider(TokenProviderRunspace provider)
    {
        var output = provider.Invoke();
        var value = output.Count > 0 ? output[output.Count - 1]?.BaseObject : null;
        switch (value)
        {
            case string s: return new AccessToken(s, DateTimeOffset.UtcNow.AddMinutes(5));
            case SecureString secure: return new AccessToken(Plain(secure), DateTimeOffset.UtcNow.AddMinutes(5));
        }
        var pso = PSObject.AsPSObject(value);
        var token = pso.Properties["Token"]?.Value;
        var text = token is SecureString st ? Plain(st) : token as string;
        if (string.IsNullOrEmpty(text)) throw new InvalidOperationException("The token provider returned no token (a string, SecureString, or an object with a Token property).");
        var expires = pso.Properties["ExpiresOn"]?.Value is DateTimeOffset dto ? dto : DateTimeOffset.UtcNow.AddMinutes(5);
        return new AccessToken(text!, expires);
    }

    private static string Plain(SecureString secure)
    {
        var pointer = IntPtr.Zero;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
            return Marshal.PtrToStringUni(pointer) ?? "";
        }
        finally
        {
            if (pointer != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}

/// <summary>
/// <para type="synopsis">Disconnects the session from Conductor.</para>
/// <para type="description">Closes the session's connection (or the one given with -Connection); later commands fall back
/// to CONDUCTOR_SERVER_URL or the embedded engine.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "Conductor")]
[OutputType(typeof(void))]
public sealed class DisconnectConductorCommand : PSCmdlet
{
    /// <summary><para type="description">A connection to close (from Connect-Conductor -PassThru or Get-ConductorConnection);
    /// default: the session's connection.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public ConductorConnection? Connection { get; set; }

    protected override void ProcessRecord()
    {
        if (Connection is null) return;
        if (ReferenceEquals(Connection, ConductorCmdlet.Connections.Current)) ConductorCmdlet.Connections.Current = null;
        Connection.Dispose();
        WriteVerbose($"Disconnected from {Connection.Target}.");
    }

    protected override void EndProcessing()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Connection)) || MyInvocation.ExpectingInput) return;
        var current = ConductorCmdlet.Connections.Current;
        if (current is null)
        {
            WriteVerbose("Not connected.");
            return;
        }
        ConductorCmdlet.Connections.Current = null;
        current.Dispose();
        WriteVerbose($"Disconnected from {current.Target}.");
    }
}

/// <summary>
/// <para type="synopsis">Gets the session's Conductor connection.</para>
/// <para type="description">Returns the connection set by Connect-Conductor, or the default the commands are using. It only
/// reports: when the session is not connected and no command has used a default yet, it says what commands would use and
/// returns nothing.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ConductorConnection")]
[OutputType(typeof(ConductorConnection))]
public sealed class GetConductorConnectionCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        if (ConductorCmdlet.Connections.Peek() is { } connection)
        {
            if (ConductorCmdlet.Connections.Current is null) WriteVerbose(ConductorCmdlet.Connections.DefaultNote ?? "Not connected.");
            WriteObject(connection.Hold());
            return;
        }
        var url = Environment.GetEnvironmentVariable(ConductorClientOptions.ServerUrlVariable);
        WriteWarning(string.IsNullOrWhiteSpace(url)
            ? $"Not connected. Commands will use the embedded Conductor engine with the database {EmbeddedConductorOptions.DefaultDatabasePath}; run Connect-Conductor <server URL> to use a server."
            : $"Not connected. Commands will use the Conductor server in {ConductorClientOptions.ServerUrlVariable} ({url}); run Connect-Conductor to choose a connection.");
    }
}

/// <summary>Lets a parameter typed SecureString take a plain string too (it is converted; prefer a SecureString in scripts).</summary>
internal sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is not string text) return value;
        var secure = new SecureString();
        foreach (var c in text) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }
}
