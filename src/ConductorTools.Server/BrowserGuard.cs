using System.Net;
using ConductorTools.Model;
using Microsoft.AspNetCore.Http;

namespace ConductorTools.Server;

/// <summary>
/// Keeps web pages the user visits from driving the server (the default one runs with auth off on loopback):
/// <list type="bullet">
/// <item>a request body must be <c>application/json</c> (a browser sends <c>text/plain</c>, form and multipart bodies
/// cross-origin without asking; JSON needs a CORS preflight, which this server never grants: it sends no CORS headers).
/// The task log endpoint, whose body is plain text, is the one exception. Anything else gets 415, as conductor-oss's
/// Spring endpoints answer.</item>
/// <item>when every address the server listens on is loopback, the <c>Host</c> header must name a loopback host
/// (<c>localhost</c>, <c>127.x.x.x</c>, <c>[::1]</c>) or one of <see cref="LocalConductorServerOptions.AllowedHosts"/>, so
/// that DNS rebinding (a hostile name resolving to 127.0.0.1) cannot read answers; others get 400.</item>
/// </list>
/// </summary>
internal sealed class BrowserGuard(RequestDelegate next, bool checkHost, IReadOnlyCollection<string> allowedHosts)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (checkHost && !IsAllowedHost(request.Host.Host, allowedHosts))
        {
            await ErrorResponses.WriteAsync(context, new ErrorResponse
            {
                Status = 400,
                Message = $"Host '{request.Host.Value}' is not allowed: this server listens on loopback only and answers requests for localhost, "
                    + "127.0.0.1 or [::1] (add other names with --allowed-hosts).",
            });
            return;
        }
        if (HasBody(request) && !IsJson(request.ContentType) && !IsTaskLog(request))
        {
            await ErrorResponses.WriteAsync(context, new ErrorResponse
            {
                Status = 415,
                Message = $"Content-Type '{request.ContentType ?? "(none)"}' is not supported; send the body as application/json "
                    + "(e.g. curl -H 'Content-Type: application/json').",
            });
            return;
        }
        await next(context);
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.ContainsKey("Transfer-Encoding"));

    internal static bool IsJson(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return false;
        var media = contentType.Split(';')[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsTaskLog(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.StartsWithSegments("/api/tasks", StringComparison.OrdinalIgnoreCase)
        && request.Path.Value!.EndsWith("/log", StringComparison.OrdinalIgnoreCase);

    internal static bool IsAllowedHost(string host, IReadOnlyCollection<string> allowedHosts)
    {
        if (string.IsNullOrEmpty(host)) return false;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)) return true;
        return allowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Whether a <c>--urls</c> entry binds loopback only (localhost, 127.x, [::1]); 0.0.0.0, *, + and names do not.</summary>
    internal static bool IsLoopbackUrl(string url)
    {
        var text = url.Trim();
        var start = text.IndexOf("://", StringComparison.Ordinal);
        if (start < 0) return false;
        var rest = text[(start + 3)..];
        var end = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
        var host = end <= 0 ? rest : rest[..end];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }
}
