using Azure.Core;

namespace ConductorTools.Http;

/// <summary>How to reach and authenticate to a Conductor server (conductor-oss or Orkes).</summary>
public sealed class ConductorClientOptions
{
    public const string ServerUrlVariable = "CONDUCTOR_SERVER_URL";
    public const string AuthKeyVariable = "CONDUCTOR_AUTH_KEY";
    public const string AuthSecretVariable = "CONDUCTOR_AUTH_SECRET";

    private Uri? _serverUrl;

    /// <summary>
    /// The server's API root, e.g. <c>http://localhost:8080/api</c>. A URL without the <c>/api</c> segment gets it added,
    /// as the official SDKs expect the API root.
    /// </summary>
    public Uri? ServerUrl
    {
        get => _serverUrl;
        set => _serverUrl = value is null ? null : NormalizeServerUrl(value.OriginalString);
    }

    /// <summary>Orkes application key id (with <see cref="KeySecret"/>): tokens are minted from <c>POST /api/token</c>.</summary>
    public string? KeyId { get; set; }

    /// <summary>Orkes application key secret. Never printed.</summary>
    public string? KeySecret { get; set; }

    /// <summary>An Entra ID credential (Azure.Identity) for servers behind an Entra-protected gateway; sent as a Bearer token.</summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>Scopes requested from <see cref="Credential"/>, e.g. <c>api://conductor/.default</c>.</summary>
    public IList<string> CredentialScopes { get; set; } = new List<string>();

    /// <summary>Any other source of an access token (e.g. a PowerShell script block calling Get-AzAccessToken); sent as Bearer.</summary>
    public Func<CancellationToken, ValueTask<AccessToken>>? AccessTokenProvider { get; set; }

    /// <summary>How long an Orkes token is reused before a proactive refresh (the SDKs use 45 minutes).</summary>
    public TimeSpan TokenRefreshInterval { get; set; } = TimeSpan.FromMinutes(45);

    /// <summary>Per-request timeout (a long poll adds its own wait on top).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts for idempotent requests (GET/PUT/DELETE) that fail transiently; 1 disables retries.</summary>
    public int MaxTransientAttempts { get; set; } = 3;

    /// <summary>First retry delay; later ones double, with jitter.</summary>
    public TimeSpan TransientRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public string UserAgent { get; set; } = "ConductorTools/" + typeof(ConductorClientOptions).Assembly.GetName().Version;

    /// <summary>Whether Orkes key/secret auth is configured.</summary>
    public bool HasKeyAuth => !string.IsNullOrEmpty(KeyId) && !string.IsNullOrEmpty(KeySecret);

    /// <summary>Options from <c>CONDUCTOR_SERVER_URL</c>, <c>CONDUCTOR_AUTH_KEY</c> and <c>CONDUCTOR_AUTH_SECRET</c>.</summary>
    public static ConductorClientOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var url = getVariable(ServerUrlVariable);
        return new ConductorClientOptions
        {
            ServerUrl = string.IsNullOrWhiteSpace(url) ? null : NormalizeServerUrl(url!),
            KeyId = NullIfEmpty(getVariable(AuthKeyVariable)),
            KeySecret = NullIfEmpty(getVariable(AuthSecretVariable)),
        };
    }

    /// <summary>Parses and normalises a server URL, with an error that names it and shows the expected form.</summary>
    public static Uri NormalizeServerUrl(string url)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException(
                $"'{url}' is not a valid Conductor server URL. Use an absolute http(s) URL such as http://localhost:8080/api.",
                nameof(url));
        }
        var path = uri.AbsolutePath.TrimEnd('/');
        if (!path.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
        {
            path += "/api";
        }
        return new UriBuilder(uri) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }

    public override string ToString()
    {
        var auth = HasKeyAuth ? $"key {KeyId}" : Credential is not null ? "Entra ID" : AccessTokenProvider is not null ? "access token" : "none";
        return $"{ServerUrl} (auth: {auth})";
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
