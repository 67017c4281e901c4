using System.Diagnostics;

namespace ConductorTools.Server.Tests;

/// <summary>
/// The official Conductor JavaScript SDK (@io-orkes/conductor-javascript, pinned in js/package.json) run against the
/// server: a real third-party client. Where it and conductor-oss disagree with the server, the server is wrong.
/// Installs the package with npm on first run; skipped (with the reason) only when node or npm is absent.
/// </summary>
public sealed class JsSdkTests
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_official_js_sdk_runs_its_workers_and_operations_against_the_server()
    {
        await using var server = new ServerFixture();
        await server.InitializeAsync();
        var (exitCode, output) = await RunSdkAsync(server.Server.ApiUrl.ToString());
        Assert.True(exitCode == 0 && output.Contains("JS SDK OK"), "the JS SDK script failed:\n" + output);
    }

    [Fact]
    public async Task The_official_js_sdk_authenticates_with_key_and_secret()
    {
        await using var server = new ServerFixture(new LocalConductorServerOptions { AuthKeyId = "js-key", AuthKeySecret = "js-secret" });
        await server.InitializeAsync();
        var (exitCode, output) = await RunSdkAsync(server.Server.ApiUrl.ToString(), "js-key", "js-secret");
        Assert.True(exitCode == 0 && output.Contains("JS SDK OK"), "the JS SDK script failed with auth on:\n" + output);
    }

    private async Task<(int ExitCode, string Output)> RunSdkAsync(params string[] args)
    {
        var node = RepositoryPaths.OnPath("node");
        var npm = RepositoryPaths.OnPath("npm");
        Assert.SkipWhen(node is null || npm is null, "node and npm are not on PATH, so the official JavaScript SDK cannot run here.");
        var js = Path.Combine(RepositoryPaths.Root, "tests", "ConductorTools.Server.Tests", "js");
        await InstallLock.WaitAsync(Ct);
        try
        {
            if (!Directory.Exists(Path.Combine(js, "node_modules", "@io-orkes", "conductor-javascript")))
            {
                var (code, output) = await ChildProcess.RunAsync(npm!, ["ci"], js, TimeSpan.FromMinutes(5), Ct);
                Assert.True(code == 0, "npm ci failed in " + js + ":\n" + output);
            }
        }
        finally
        {
            InstallLock.Release();
        }
        return await ChildProcess.RunAsync(node!, ["sdk-compat.cjs", .. args], js, TimeSpan.FromMinutes(2), Ct);
    }
}
