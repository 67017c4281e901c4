using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Core;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Http;

/// <summary>Shared plumbing for auth handlers: requests must be re-sendable for a replay after a token refresh.</summary>
public abstract class ReplayingAuthHandler : DelegatingHandler
{
    protected ReplayingAuthHandler(HttpMessageHandler inner) : base(inner) { }

    internal static async Task<HttpRequestMessage> CloneAsync(HttpRequestMessage request)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var header in request.Headers)
        {
            clone.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            var content = new ByteArrayContent(bytes);
            foreach (var header in request.Content.Headers)
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            clone.Content = content;
        }
        return clone;
    }

    internal static async Task<string> PeekBodyAsync(HttpResponseMessage response)
    {
        if (response.Content is null) return "";
        await response.Content.LoadIntoBufferAsync().ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// Orkes key/secret auth: mints a token from <c>POST /api/token</c>, sends it as <c>X-Authorization</c>, refreshes it
/// proactively, mints once and replays once on EXPIRED_TOKEN/INVALID_TOKEN, and treats a 404 from <c>/token</c> as
/// "this server has no auth" (conductor-oss), as the official SDKs do.
/// </summary>
public sealed class OrkesTokenHandler : ReplayingAuthHandler
{
    private readonly Uri _tokenUrl;
    private readonly string _keyId;
    private readonly string _keySecret;
    private readonly TimeSpan _refreshInterval;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _mintLock = new(1, 1);
    private string? _token;
    private DateTimeOffset _mintedAt;
    private bool _authDisabled;
    private int _consecutiveFailures;
    private DateTimeOffset _retryMintAfter;
    private ConductorException? _lastMintError;

    public OrkesTokenHandler(HttpMessageHandler inner, Uri apiRoot, string keyId, string keySecret, TimeSpan refreshInterval, TimeProvider? time = null)
        : base(inner)
    {
        _tokenUrl = new Uri(apiRoot, "token");
        _keyId = keyId;
        _keySecret = keySecret;
        _refreshInterval = refreshInterval;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True once the server answered 404 on /token: it has no auth, so no header is sent.</summary>
    public bool AuthDisabled => _authDisabled;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await GetTokenAsync(forceRefresh: false, staleToken: null, cancellationToken).ConfigureAwait(false);
        if (token is null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        var replay = await CloneAsync(request).ConfigureAwait(false);
        request.Headers.Remove("X-Authorization");
        request.Headers.TryAddWithoutValidation("X-Authorization", token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
        {
            replay.Dispose();
            return response;
        }
        var body = await PeekBodyAsync(response).ConfigureAwait(false);
        if (body.IndexOf("EXPIRED_TOKEN", StringComparison.Ordinal) < 0 && body.IndexOf("INVALID_TOKEN", StringComparison.Ordinal) < 0)
        {
            replay.Dispose();
            return response;
        }
        response.Dispose();
        var fresh = await GetTokenAsync(forceRefresh: true, staleToken: token, cancellationToken).ConfigureAwait(false);
        replay.Headers.Remove("X-Authorization");
        if (fresh is not null)
        {
            replay.Headers.TryAddWithoutValidation("X-Authorization", fresh);
        }
        return await base.SendAsync(replay, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> GetTokenAsync(bool forceRefresh, string? staleToken, CancellationToken cancellationToken)
    {
        if (_authDisabled) return null;
        var now = _time.GetUtcNow();
        if (!forceRefresh && _token is not null && now - _mintedAt < _refreshInterval) return _token;

        await _mintLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Single flight: another caller may have refreshed while we waited.
            now = _time.GetUtcNow();
            if (_authDisabled) return null;
            if (_token is not null && _token != staleToken && now - _mintedAt < _refreshInterval) return _token;
            if (_lastMintError is not null && now < _retryMintAfter) throw _lastMintError;
            return await MintAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mintLock.Release();
        }
    }

    private async Task<string?> MintAsync(CancellationToken cancellationToken)
    {
        var payload = ConductorJson.Serialize(new Dictionary<string, string> { ["keyId"] = _keyId, ["keySecret"] = _keySecret });
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenUrl)
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw RememberFailure(new ConductorException(
                $"Cannot reach Conductor at {_tokenUrl} to obtain an access token: {ex.Message}. Is the server running? Check the server URL.",
                ConductorErrorKind.Transport, null, ex) { Retryable = true, Request = "POST " + _tokenUrl });
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                _authDisabled = true; // conductor-oss: no /token endpoint, no auth
                return null;
            }
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var kind = status is 401 or 403 or 400 ? ConductorErrorKind.Unauthorized : ConductorException.KindFor(status);
                throw RememberFailure(new ConductorException(
                    $"Conductor at {_tokenUrl} refused to issue a token for key id '{_keyId}' ({status} {response.ReasonPhrase}). " +
                    "Check the key id and secret (CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET).",
                    kind, status) { Retryable = status >= 500, Request = "POST " + _tokenUrl });
            }
            string? token = null;
            try
            {
                var map = ConductorJson.Deserialize<Dictionary<string, object?>>(body);
                token = map is not null && map.TryGetValue("token", out var t) ? t as string : null;
            }
            catch (System.Text.Json.JsonException)
            {
                // handled below
            }
            if (string.IsNullOrEmpty(token))
            {
                throw RememberFailure(new ConductorException(
                    $"Conductor at {_tokenUrl} answered without a token. Is this URL a Conductor server?",
                    ConductorErrorKind.Protocol, (int)response.StatusCode) { Request = "POST " + _tokenUrl });
            }
            _token = token;
            _mintedAt = _time.GetUtcNow();
            _consecutiveFailures = 0;
            _lastMintError = null;
            return token;
        }
    }

    private ConductorException RememberFailure(ConductorException error)
    {
        // Failed mints back off 2^n seconds (capped at a minute) so a bad secret does not hammer the server.
        _consecutiveFailures++;
        _retryMintAfter = _time.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, _consecutiveFailures - 1)));
        _lastMintError = error;
        return error;
    }
}

/// <summary>
/// Bearer auth from an Azure.Core <see cref="TokenCredential"/> or a token-provider delegate: the token is cached,
/// refreshed five minutes before it expires, and refreshed once with a replay on a 401.
/// </summary>
public sealed class BearerTokenHandler : ReplayingAuthHandler
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly Func<CancellationToken, ValueTask<AccessToken>> _getToken;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private AccessToken? _cached;

    public BearerTokenHandler(HttpMessageHandler inner, Func<CancellationToken, ValueTask<AccessToken>> getToken, TimeProvider? time = null)
        : base(inner)
    {
        _getToken = getToken;
        _time = time ?? TimeProvider.System;
    }

    public static Func<CancellationToken, ValueTask<AccessToken>> FromCredential(TokenCredential credential, IEnumerable<string> scopes)
    {
        var context = new TokenRequestContext(scopes.ToArray());
        return ct => credential.GetTokenAsync(context, ct);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await GetAsync(force: false, cancellationToken).ConfigureAwait(false);
        var replay = await CloneAsync(request).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            replay.Dispose();
            return response;
        }
        response.Dispose();
        var fresh = await GetAsync(force: true, cancellationToken).ConfigureAwait(false);
        replay.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
        return await base.SendAsync(replay, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> GetAsync(bool force, CancellationToken cancellationToken)
    {
        var cached = _cached;
        if (!force && cached is { } c && c.ExpiresOn - RefreshMargin > _time.GetUtcNow()) return c.Token;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!force && _cached is { } again && again.ExpiresOn - RefreshMargin > _time.GetUtcNow()) return again.Token;
            AccessToken token;
            try
            {
                token = await _getToken(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ConductorException(
                    $"Could not obtain an access token for Conductor: {ex.Message}. Check the identity and scope configured for the connection.",
                    ConductorErrorKind.Unauthorized, null, ex);
            }
            _cached = token;
            return token.Token;
        }
        finally
        {
            _lock.Release();
        }
    }
}
