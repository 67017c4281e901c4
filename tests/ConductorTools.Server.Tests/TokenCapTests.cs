using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace ConductorTools.Server.Tests;

/// <summary>The token store is bounded: past <see cref="TokenAuth.MaxTokens"/> live tokens, the ones expiring soonest go.</summary>
public sealed class TokenCapTests
{
    private const string KeyId = "cap-key";
    private const string KeySecret = "cap-secret";

    [Fact]
    public async Task Minting_past_the_cap_forgets_the_token_that_expires_first_and_keeps_the_rest()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var passed = 0;
        var auth = new TokenAuth(_ => { passed++; return Task.CompletedTask; }, KeyId, KeySecret, TimeSpan.FromHours(1), clock);

        var tokens = new List<string>();
        for (var i = 0; i <= TokenAuth.MaxTokens; i++)
        {
            tokens.Add(await MintAsync(auth));
            clock.Advance(TimeSpan.FromMilliseconds(1)); // each token expires a little later than the one before
        }

        Assert.Equal(401, await CallAsync(auth, tokens[0]));   // the oldest made room for the newest
        Assert.Equal(200, await CallAsync(auth, tokens[1]));
        Assert.Equal(200, await CallAsync(auth, tokens[^1]));
        Assert.Equal(2, passed);
    }

    private static async Task<string> MintAsync(TokenAuth auth)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/api/token";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes($"{{\"keyId\":\"{KeyId}\",\"keySecret\":\"{KeySecret}\"}}"));
        var body = new MemoryStream();
        context.Response.Body = body;
        await auth.InvokeAsync(context);
        Assert.Equal(200, context.Response.StatusCode);
        return JsonDocument.Parse(body.ToArray()).RootElement.GetProperty("token").GetString()!;
    }

    private static async Task<int> CallAsync(TokenAuth auth, string token)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/api/metadata/taskdefs";
        context.Request.Headers["X-Authorization"] = token;
        context.Response.Body = new MemoryStream();
        await auth.InvokeAsync(context);
        return context.Response.StatusCode;
    }
}
