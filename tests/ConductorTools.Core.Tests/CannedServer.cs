using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Core.Tests;

/// <summary>A real Kestrel server on a free loopback port whose answers a test scripts, recording every request.
/// Used for the cases the project's own server cannot produce (auth failures, outages, old servers).</summary>
public sealed class CannedServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Recorded(string Method, string Path, string Query, string Body, IHeaderDictionary Headers);

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    public Func<HttpContext, string, Task> Handler { get; set; } = (ctx, _) => { ctx.Response.StatusCode = 404; return Task.CompletedTask; };

    public Uri ApiUrl { get; private set; } = null!;

    private CannedServer(WebApplication app) => _app = app;

    public static async Task<CannedServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new CannedServer(app);
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            server.Requests.Enqueue(new Recorded(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "", body,
                new HeaderDictionary(ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value))));
            await server.Handler(ctx, body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.ApiUrl = new Uri(address.TrimEnd('/') + "/api/");
        return server;
    }

    public static Task Json(HttpContext ctx, int status, string json)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(json);
    }

    public static Task Text(HttpContext ctx, string text)
    {
        ctx.Response.ContentType = "text/plain";
        return ctx.Response.WriteAsync(text);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
