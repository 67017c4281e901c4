using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Reliability;

/// <summary>What the proxy does to one request.</summary>
public enum Fault
{
    /// <summary>Forwarded and answered normally.</summary>
    None,
    /// <summary>Answered 500/502/503/504 by the proxy; the server never sees the request.</summary>
    ServerError,
    /// <summary>The client connection is aborted before forwarding; the server never sees the request.</summary>
    ResetBeforeForward,
    /// <summary>Forwarded after a pause (and answered after another), otherwise normal.</summary>
    Delay,
    /// <summary>Forwarded, applied by the server, then the client connection is aborted before any byte of the answer.</summary>
    DropAfterForward,
    /// <summary>Forwarded, applied by the server, then the status line, headers and part of the body are sent and the
    /// connection is aborted (the client sees a truncated response).</summary>
    AbortMidResponse,
}

/// <summary>Which faults to inject and how often (each a probability per request; together at most 1).</summary>
public sealed class FaultPlan
{
    public int Seed { get; init; } = 20261127;
    public double ServerError { get; init; }
    public double ResetBeforeForward { get; init; }
    public double Delay { get; init; }
    public double DropAfterForward { get; init; }
    public double AbortMidResponse { get; init; }
    /// <summary>Longest injected pause (each side of the forward), drawn uniformly from 1 ms up to this.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>No faults: a plain forwarding proxy.</summary>
    public static FaultPlan None { get; } = new();
}

/// <summary>
/// A fault-injecting HTTP/1.1 reverse proxy on loopback (Kestrel in front, one pooled <see cref="HttpClient"/> to the
/// target): every request is forwarded unchanged unless the plan, drawn from a seeded <see cref="Random"/>, picks a fault
/// for it. Counts what it did per fault and per kind of request. Faults can be switched off at run time.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length", "Expect",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Uri _target;
    private readonly FaultPlan _plan;
    private readonly Random _random;
    private readonly object _counterLock = new();
    private readonly Dictionary<(string Route, Fault Fault), long> _counts = new();
    private readonly Dictionary<string, long> _lostPayloads = new(StringComparer.Ordinal);

    private FaultProxy(WebApplication app, HttpClient upstream, Uri target, FaultPlan plan)
    {
        _app = app;
        _upstream = upstream;
        _target = target;
        _plan = plan;
        _random = new Random(plan.Seed);
    }

    /// <summary>Where the proxy listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The API root to give Conductor clients: <see cref="BaseAddress"/> plus <c>api/</c>.</summary>
    public Uri ApiUrl => new(BaseAddress, "api/");

    /// <summary>While false every request is forwarded untouched (and counted as <see cref="Fault.None"/>).</summary>
    public bool FaultsEnabled { get; set; } = true;

    /// <summary>Starts a proxy on a free loopback port forwarding to <paramref name="target"/> (the server's base address).</summary>
    public static async Task<FaultProxy> StartAsync(Uri target, FaultPlan plan, CancellationToken cancellationToken = default)
    {
        var total = plan.ServerError + plan.ResetBeforeForward + plan.Delay + plan.DropAfterForward + plan.AbortMidResponse;
        if (total > 1) throw new ArgumentException($"The fault probabilities add up to {total}; they must be at most 1.", nameof(plan));

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddLogging(l => l.ClearProviders());
        var upstream = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 512,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var app = builder.Build();
        var proxy = new FaultProxy(app, upstream, target, plan);
        app.Run(proxy.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        proxy.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return proxy;
    }

    /// <summary>How many requests of a route (<c>poll</c>, <c>update</c>, <c>update-v2</c>, <c>token</c>, <c>other</c>) got a fault.</summary>
    public long Count(string route, Fault fault)
    {
        lock (_counterLock) return _counts.TryGetValue((route, fault), out var n) ? n : 0;
    }

    /// <summary>Requests that got <paramref name="fault"/>, over every route.</summary>
    public long Count(Fault fault)
    {
        lock (_counterLock) return _counts.Where(kv => kv.Key.Fault == fault).Sum(kv => kv.Value);
    }

    /// <summary>Answers lost after the server applied the request that handed out work: a poll answer with tasks, an
    /// update-v2 answer with the next task. Conductor has acked those tasks; only their response timeout brings them back.</summary>
    public long LostTaskAnswers(string route)
    {
        lock (_counterLock) return _lostPayloads.TryGetValue(route, out var n) ? n : 0;
    }

    private static bool CarriesWork(string route, HttpStatusCode status, byte[] body) =>
        status == HttpStatusCode.OK && route is "poll" or "update-v2" && body.Length > 2;

    public long TotalRequests
    {
        get { lock (_counterLock) return _counts.Values.Sum(); }
    }

    /// <summary>One line per route with the count of each fault, for test output.</summary>
    public string Describe()
    {
        lock (_counterLock)
        {
            return string.Join(Environment.NewLine, _counts.GroupBy(kv => kv.Key.Route).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
                $"{g.Key,-10} " + string.Join(", ", g.OrderBy(kv => kv.Key.Fault).Select(kv => $"{kv.Key.Fault} {kv.Value}")) +
                (_lostPayloads.TryGetValue(g.Key, out var lost) ? $"; lost answers that handed out tasks {lost}" : "")));
        }
    }

    private static string RouteOf(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        if (path.Contains("/tasks/poll", StringComparison.Ordinal)) return "poll";
        if (path.EndsWith("/tasks/update-v2", StringComparison.Ordinal)) return "update-v2";
        if (HttpMethods.IsPost(request.Method) && path.EndsWith("/api/tasks", StringComparison.Ordinal)) return "update";
        if (path.EndsWith("/api/token", StringComparison.Ordinal)) return "token";
        return "other";
    }

    private (Fault Fault, double Draw, double Draw2) Decide()
    {
        if (!FaultsEnabled) return (Fault.None, 0, 0);
        double roll, a, b;
        lock (_random)
        {
            roll = _random.NextDouble();
            a = _random.NextDouble();
            b = _random.NextDouble();
        }
        var p = _plan;
        var edge = p.ServerError;
        if (roll < edge) return (Fault.ServerError, a, b);
        if (roll < (edge += p.ResetBeforeForward)) return (Fault.ResetBeforeForward, a, b);
        if (roll < (edge += p.Delay)) return (Fault.Delay, a, b);
        if (roll < (edge += p.DropAfterForward)) return (Fault.DropAfterForward, a, b);
        if (roll < (edge += p.AbortMidResponse)) return (Fault.AbortMidResponse, a, b);
        return (Fault.None, a, b);
    }

    private TimeSpan DelayFor(double draw) =>
        TimeSpan.FromMilliseconds(1 + draw * Math.Max(0, _plan.MaxDelay.TotalMilliseconds - 1));

    private async Task HandleAsync(HttpContext context)
    {
        var (fault, a, b) = Decide();
        var route = RouteOf(context.Request);
        lock (_counterLock)
        {
            _counts[(route, fault)] = _counts.TryGetValue((route, fault), out var n) ? n + 1 : 1;
        }
        var aborted = context.RequestAborted;
        try
        {
            switch (fault)
            {
                case Fault.ServerError:
                    context.Response.StatusCode = (int)(a * 4) switch { 0 => 500, 1 => 502, 2 => 503, _ => 504 };
                    context.Response.ContentType = "text/plain";
                    await context.Response.WriteAsync("injected by the fault proxy", aborted).ConfigureAwait(false);
                    return;
                case Fault.ResetBeforeForward:
                    context.Abort();
                    return;
                case Fault.Delay:
                    await Task.Delay(DelayFor(a), aborted).ConfigureAwait(false);
                    break;
            }

            using var request = await CopyRequestAsync(context.Request, aborted).ConfigureAwait(false);
            using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseContentRead, aborted).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(aborted).ConfigureAwait(false);

            if ((fault is Fault.DropAfterForward or Fault.AbortMidResponse) && CarriesWork(route, response.StatusCode, body))
            {
                lock (_counterLock) _lostPayloads[route] = _lostPayloads.TryGetValue(route, out var n) ? n + 1 : 1;
            }
            if (fault == Fault.DropAfterForward || (fault == Fault.AbortMidResponse && body.Length == 0))
            {
                // The server has applied the request; the client never learns the outcome.
                context.Abort();
                return;
            }
            if (fault == Fault.Delay)
            {
                await Task.Delay(DelayFor(b), aborted).ConfigureAwait(false);
            }

            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(header.Key)) context.Response.Headers[header.Key] = header.Value.ToArray();
            }
            context.Response.ContentLength = body.Length;
            if (fault == Fault.AbortMidResponse)
            {
                var part = Math.Max(0, Math.Min(body.Length - 1, (int)(body.Length * b)));
                await context.Response.Body.WriteAsync(body.AsMemory(0, part), aborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                context.Abort();
                return;
            }
            await context.Response.Body.WriteAsync(body, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away (its own timeout or cancellation); nothing to answer.
        }
        catch (HttpRequestException ex)
        {
            // The target is down: answer as a gateway would.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 502;
                await context.Response.WriteAsync("fault proxy: target unreachable: " + ex.Message, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                context.Abort();
            }
        }
    }

    private async Task<HttpRequestMessage> CopyRequestAsync(HttpRequest incoming, CancellationToken cancellationToken)
    {
        var url = new Uri(_target, incoming.Path.Value + incoming.QueryString.Value);
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), url) { Version = HttpVersion.Version11 };
        byte[]? body = null;
        if (incoming.ContentLength is > 0 || incoming.Headers.ContainsKey("Transfer-Encoding"))
        {
            using var buffer = new MemoryStream();
            await incoming.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            body = buffer.ToArray();
        }
        if (body is not null) request.Content = new ByteArrayContent(body);
        foreach (var header in incoming.Headers)
        {
            if (HopByHop.Contains(header.Key)) continue;
            if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()) && request.Content is not null)
            {
                request.Content.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }
        }
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
    }
}
