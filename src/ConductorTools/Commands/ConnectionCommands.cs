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
    public SecureString? AccessToken { get; set; }

    /// <summary><para type="description">A script block that returns an access token (string, SecureString, or an object with
    /// Token and ExpiresOn, as Get-AzAccessToken returns); called again before the token expires.</para></summary>
    [Parameter(ParameterSetName = TokenSet)]
    public ScriptBlock? TokenProvider { get; set; }

    /// <summary><para type="description">Use the embedded engine in this process instead of a server.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = EmbeddedSet)]
    public SwitchParameter Embedded { get; set; }

    /// <summary><para type="description">The embedded engine's SQLite database file (default: in your local data folder);
    /// ':memory:' keeps nothing after the session.</para></summary>
    [Parameter(ParameterSetName = EmbeddedSet)]
    public string? DatabasePath { get; set; }

    /// <summary><para type="description">Output the connection.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        ConductorConnection connection;
        try
        {
            connection = Open();
            // Proves the connection now rather than at the first command.
            connection.Api.GetTaskDefsAsync().GetAwaiter().GetResult();
        }
        catch (Api.ConductorException ex)
        {
            ThrowTerminatingError(ConductorCmdlet.ToErrorRecord(ex, ServerUrl));
            return;
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "ConductorTools.InvalidServerUrl", ErrorCategory.InvalidArgument, ServerUrl));
            return;
        }
        ConductorCmdlet.Connections.Current?.Dispose();
        ConductorCmdlet.Connections.Current = connection;
        WriteVerbose($"Connected to {connection.Kind} {connection.Target} (auth: {connection.Auth}).");
        if (PassThru) WriteObject(connection);
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
            var provider = TokenProvider;
            // The provider runs on whatever thread needs a token, so it runs in a fresh runspace-free invocation.
            options.AccessTokenProvider = _ => new ValueTask<AccessToken>(CallTokenProvider(provider));
        }
        return ConductorConnection.ToServer(options);
    }

    private static AccessToken CallTokenProvider(ScriptBlock provider)
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
/// <para type="description">Later commands fall back to CONDUCTOR_SERVER_URL or the embedded engine.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "Conductor")]
[OutputType(typeof(void))]
public sealed class DisconnectConductorCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
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
/// <para type="description">Returns the connection set by Connect-Conductor, or the default the commands would use.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ConductorConnection")]
[OutputType(typeof(ConductorConnection))]
public sealed class GetConductorConnectionCommand : PSCmdlet
{
    protected override void EndProcessing() => WriteObject(ConductorCmdlet.Connections.Resolve(null, WriteVerbose));
}
