using Azure.Identity;
using ConductorTools.Functions;
using ConductorTools.Hosting;
using ConductorTools.Model;

namespace ConductorTools.Functions.Tests;

/// <summary>The Functions app's own code, compiled in from functions/ (the app builds only where its packages restore).</summary>
public class ShellTests
{
    private static ConductorHostSettings Settings(params (string Key, string Value)[] extra) => TestSettings.Bind(extra);

    [Fact]
    public void Credential_follows_the_auth_mode()
    {
        Assert.Null(ConductorCredentials.Create(Settings()));
        Assert.Null(ConductorCredentials.Create(Settings((ConductorHostSettings.AuthKeyKey, "k"), (ConductorHostSettings.AuthSecretKey, "s"))));
        Assert.IsType<ManagedIdentityCredential>(ConductorCredentials.Create(Settings((ConductorHostSettings.AuthScopeKey, "api://x/.default"))));
        Assert.IsType<ManagedIdentityCredential>(ConductorCredentials.Create(Settings(
            (ConductorHostSettings.AuthScopeKey, "api://x/.default"), (ConductorHostSettings.ManagedIdentityClientIdKey, "00000000-0000-0000-0000-000000000002"))));
        Assert.IsType<DefaultAzureCredential>(ConductorCredentials.Create(Settings(
            (ConductorHostSettings.AuthModeKey, "DefaultAzureCredential"), (ConductorHostSettings.AuthScopeKey, "api://x/.default"))));
    }

    [Fact]
    public void Client_options_carry_the_selected_auth()
    {
        var none = Settings().ToClientOptions();
        Assert.Equal(new Uri("http://127.0.0.1:8080/api/"), none.ServerUrl);
        Assert.False(none.HasKeyAuth);
        Assert.Null(none.Credential);

        var orkes = Settings((ConductorHostSettings.AuthKeyKey, "k"), (ConductorHostSettings.AuthSecretKey, "s3cr3t"));
        var keyOptions = orkes.ToClientOptions(ConductorCredentials.Create(orkes));
        Assert.True(keyOptions.HasKeyAuth);
        Assert.Equal("k", keyOptions.KeyId);
        Assert.DoesNotContain("s3cr3t", keyOptions.ToString(), StringComparison.Ordinal);

        var mi = Settings((ConductorHostSettings.AuthScopeKey, "api://gateway/.default"));
        var miOptions = mi.ToClientOptions(ConductorCredentials.Create(mi));
        Assert.IsType<ManagedIdentityCredential>(miOptions.Credential);
        Assert.Equal(["api://gateway/.default"], miOptions.CredentialScopes);
        Assert.False(miOptions.HasKeyAuth);

        var missing = Assert.Throws<ArgumentException>(() => mi.ToClientOptions());
        Assert.Contains("needs a TokenCredential", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => orkes.ToClientOptions(new DefaultAzureCredential()));
    }

    [Fact]
    public async Task Sample_worker_greets_and_fails_terminally_without_a_name()
    {
        var task = new ConductorTask { TaskId = "t1", WorkflowInstanceId = "w1", TaskType = "greet", InputData = new() { ["name"] = "Ada" } };
        var ok = await SampleWorkers.GreetAsync(task, CancellationToken.None);
        Assert.Equal(TaskResultStatus.COMPLETED, ok.Status);
        Assert.Equal("Hello, Ada!", ok.OutputData!["greeting"]);
        Assert.Equal("t1", ok.TaskId);

        var bad = await SampleWorkers.GreetAsync(new ConductorTask { TaskId = "t2", WorkflowInstanceId = "w1", InputData = new() }, CancellationToken.None);
        Assert.Equal(TaskResultStatus.FAILED_WITH_TERMINAL_ERROR, bad.Status);
        Assert.Equal("Input 'name' is required.", bad.ReasonForIncompletion);
    }

    [Fact]
    public void Shipped_settings_examples_bind()
    {
        var root = RepositoryPaths.Root;
        foreach (var path in new[] { Path.Combine(root, "functions", "local.settings.json.example"), Path.Combine(root, "functions", "powershell", "local.settings.json.example") })
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var values = doc.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
            var settings = ConductorHostSettings.Bind(k => values.TryGetValue(k, out var v) ? v : null);
            Assert.Equal(ConductorAuthMode.None, settings.AuthMode);
            Assert.Equal("0 */1 * * * *", settings.PollSchedule);
            Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        }
    }
}
