using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>Orkes-style key/secret auth on the local server, and the client's token flow against it.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private const string KeyId = "test-key";
    private const string KeySecret = "test-secret-value";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ServerFixture _server;

    public AuthTests() => _server = new ServerFixture(new LocalConductorServerOptions
    {
        AuthKeyId = KeyId,
        AuthKeySecret = KeySecret,
        TokenLifetime = TimeSpan.FromMinutes(5),
        TimeProvider = _clock,
    });

    public ValueTask InitializeAsync() => _server.InitializeAsync();
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_without_a_valid_token_get_401_and_health_stays_open()
    {
        using var noToken = await _server.Http.GetAsync("metadata/taskdefs", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("INVALID_TOKEN", JsonDocument.Parse(await noToken.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, "metadata/taskdefs");
        request.Headers.Add("X-Authorization", "made-up");
        using var madeUp = await _server.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, madeUp.StatusCode);

        using var health = await _server.Http.GetAsync("health", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var wrongSecret = await _server.Http.PostAsync("token", ServerFixture.Json($$"""{"keyId":"{{KeyId}}","keySecret":"nope"}"""), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.DoesNotContain(KeySecret, await wrongSecret.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_client_mints_a_token_and_re_mints_transparently_when_it_expires()
    {
        using var api = _server.NewClient(o => { o.KeyId = KeyId; o.KeySecret = KeySecret; });
        await api.RegisterTaskDefsAsync([new TaskDef("auth_task")], Ct);
        Assert.Equal("auth_task", (await api.GetTaskDefAsync("auth_task", Ct)).Name);

        // Find the token the client holds by minting one the same way, then age every token past its lifetime.
        using var mint = await _server.Http.PostAsync("token", ServerFixture.Json($$"""{"keyId":"{{KeyId}}","keySecret":"{{KeySecret}}"}"""), Ct);
        var token = JsonDocument.Parse(await mint.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("token").GetString();
        _clock.Advance(TimeSpan.FromMinutes(10));

        using var expired = new HttpRequestMessage(HttpMethod.Get, "metadata/taskdefs/auth_task");
        expired.Headers.Add("X-Authorization", token);
        using var expiredResponse = await _server.Http.SendAsync(expired, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, expiredResponse.StatusCode);
        Assert.Contains("EXPIRED_TOKEN", await expiredResponse.Content.ReadAsStringAsync(Ct));

        // The client's own token expired too (its proactive refresh is 45 min away): it gets EXPIRED_TOKEN, re-mints once, replays.
        Assert.Equal("auth_task", (await api.GetTaskDefAsync("auth_task", Ct)).Name);
    }

    [Fact]
    public async Task Wrong_credentials_surface_as_an_unauthorized_error_without_the_secret()
    {
        using var api = _server.NewClient(o => { o.KeyId = KeyId; o.KeySecret = "wrong-secret-value"; });
        var error = await Assert.ThrowsAsync<ConductorException>(() => api.GetTaskDefsAsync(Ct));
        Assert.Equal(ConductorErrorKind.Unauthorized, error.Kind);
        Assert.DoesNotContain("wrong-secret-value", error.ToString());
    }
}
