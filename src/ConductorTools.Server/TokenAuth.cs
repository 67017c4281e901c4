using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConductorTools.Model;
using Microsoft.AspNetCore.Http;

namespace ConductorTools.Server;

/// <summary>
/// Orkes-style auth, so clients' auth flows can be exercised locally: <c>POST /api/token</c> with
/// <c>{"keyId","keySecret"}</c> issues an opaque token; every other <c>/api</c> request must carry it in
/// <c>X-Authorization</c>, else 401 with <c>INVALID_TOKEN</c> or <c>EXPIRED_TOKEN</c> (what SDKs re-mint on).
/// Health stays open, as load balancers probe it. Wrong credentials are throttled per client address: after
/// <see cref="FreeFailures"/> failures, each further one closes <c>/api/token</c> to that address for twice as long as the
/// last (1 s, 2 s, 4 s ... at most <see cref="MaxBlock"/>), answered 429 with <c>Retry-After</c>; a success or
/// <see cref="ForgetAfter"/> without failures clears it. Live tokens are capped at <see cref="MaxTokens"/> (the ones
/// expiring soonest go first).
/// </summary>
internal sealed class TokenAuth
{
    private readonly RequestDelegate _next;
    private readonly byte[] _keyId;
    private readonly byte[] _keySecret;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);

    internal const int FreeFailures = 5;
    internal static readonly TimeSpan MaxBlock = TimeSpan.FromSeconds(60);
    internal static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(15);
    internal const int MaxTokens = 10_000;
    private const int MaxClients = 10_000;

    /// <summary>Failed token requests per client address (guarded by itself).</summary>
    private readonly Dictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    private sealed class Failures
    {
        public int Count;
        public DateTimeOffset Last;
        public DateTimeOffset BlockedUntil;
    }

    public TokenAuth(RequestDelegate next, string keyId, string keySecret, TimeSpan lifetime, TimeProvider time)
    {
        _next = next;
        _keyId = Encoding.UTF8.GetBytes(keyId);
        _keySecret = Encoding.UTF8.GetBytes(keySecret);
        _lifetime = lifetime;
        _time = time;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.Equals("/api/token", StringComparison.OrdinalIgnoreCase))
        {
            await IssueTokenAsync(context);
            return;
        }
        if (!path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.Equals("/api/health", StringComparison.OrdinalIgnoreCase))
        {
            await _next(context);
            return;
        }
        var token = context.Request.Headers["X-Authorization"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            await RejectAsync(context, "INVALID_TOKEN",
                "This server requires a token in the X-Authorization header. Obtain one from POST /api/token with your key id and secret.");
            return;
        }
        if (!_tokens.TryGetValue(token, out var expires))
        {
            await RejectAsync(context, "INVALID_TOKEN", "The X-Authorization token is not one this server issued. Obtain a new one from POST /api/token.");
            return;
        }
        if (_time.GetUtcNow() >= expires)
        {
            _tokens.TryRemove(token, out _);
            await RejectAsync(context, "EXPIRED_TOKEN", "The X-Authorization token has expired. Obtain a new one from POST /api/token.");
            return;
        }
        await _next(context);
    }

    private async Task IssueTokenAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await ErrorResponses.WriteAsync(context, new ErrorResponse { Status = 405, Message = "Use POST /api/token with {\"keyId\",\"keySecret\"}." });
            return;
        }
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        var now = _time.GetUtcNow();
        if (BlockedFor(client, now) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            await ErrorResponses.WriteAsync(context, new ErrorResponse
            {
                Status = 429, Retryable = true,
                Message = $"Too many failed token requests from this address; retry in {seconds} s with the right key id and secret.",
            }, ("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return;
        }
        TokenRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<TokenRequest>(context.Request.Body, TokenJson, context.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }
        if (request is null || string.IsNullOrEmpty(request.KeyId) || string.IsNullOrEmpty(request.KeySecret))
        {
            await ErrorResponses.WriteAsync(context, new ErrorResponse { Status = 400, Message = "POST /api/token needs a JSON body {\"keyId\": \"...\", \"keySecret\": \"...\"}." });
            return;
        }
        // Constant-time comparison of both parts, so timing does not reveal how much of a guess was right.
        var idOk = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.KeyId), _keyId);
        var secretOk = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.KeySecret), _keySecret);
        if (!(idOk & secretOk))
        {
            RecordFailure(client, now);
            await ErrorResponses.WriteAsync(context, new ErrorResponse { Status = 401, Code = "INVALID_CREDENTIALS", Message = "Invalid key id or secret." });
            return;
        }
        lock (_failures)
        {
            _failures.Remove(client);
        }
        foreach (var stale in _tokens.Where(t => t.Value <= now).Select(t => t.Key).ToList())
        {
            _tokens.TryRemove(stale, out _);
        }
        if (_tokens.Count >= MaxTokens)
        {
            foreach (var oldest in _tokens.OrderBy(t => t.Value).Take(_tokens.Count - MaxTokens + 1).Select(t => t.Key).ToList())
            {
                _tokens.TryRemove(oldest, out _);
            }
        }
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _tokens[token] = now + _lifetime;
        await context.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["token"] = token }, ConductorJson.Options, "application/json", context.RequestAborted);
    }

    /// <summary>How long <paramref name="client"/> must still wait before asking for a token again, or null.</summary>
    private TimeSpan? BlockedFor(string client, DateTimeOffset now)
    {
        lock (_failures)
        {
            return _failures.TryGetValue(client, out var failures) && failures.BlockedUntil > now ? failures.BlockedUntil - now : null;
        }
    }

    private void RecordFailure(string client, DateTimeOffset now)
    {
        lock (_failures)
        {
            if (!_failures.TryGetValue(client, out var failures))
            {
                if (_failures.Count >= MaxClients)
                {
                    foreach (var stale in _failures.Where(f => f.Value.BlockedUntil <= now).Select(f => f.Key).ToList())
                    {
                        _failures.Remove(stale);
                    }
                }
                failures = new Failures();
                _failures[client] = failures;
            }
            if (now - failures.Last > ForgetAfter)
            {
                failures.Count = 0;
            }
            failures.Count++;
            failures.Last = now;
            if (failures.Count > FreeFailures)
            {
                var seconds = Math.Min(MaxBlock.TotalSeconds, Math.Pow(2, Math.Min(30, failures.Count - FreeFailures - 1)));
                failures.BlockedUntil = now + TimeSpan.FromSeconds(seconds);
            }
        }
    }

    private static Task RejectAsync(HttpContext context, string error, string message)
    {
        context.Response.StatusCode = 401;
        var body = new Dictionary<string, object?> { ["status"] = 401, ["error"] = error, ["message"] = message };
        return context.Response.WriteAsJsonAsync(body, ConductorJson.Options, "application/json", context.RequestAborted);
    }

    private static readonly JsonSerializerOptions TokenJson = new() { PropertyNameCaseInsensitive = true };

    private sealed class TokenRequest
    {
        public string? KeyId { get; set; }
        public string? KeySecret { get; set; }
    }
}
