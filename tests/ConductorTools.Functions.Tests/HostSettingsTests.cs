using ConductorTools.Hosting;

namespace ConductorTools.Functions.Tests;

public class HostSettingsTests
{
    private static Dictionary<string, string?> Minimal() => new()
    {
        [ConductorHostSettings.ServerUrlKey] = "http://127.0.0.1:8080/api",
        [ConductorHostSettings.PollScheduleKey] = "0 */1 * * * *",
    };

    private static ConductorHostSettings Bind(Dictionary<string, string?> values) =>
        ConductorHostSettings.Bind(k => values.TryGetValue(k, out var v) ? v : null);

    private static ConductorSettingsException BindFails(Dictionary<string, string?> values) =>
        Assert.Throws<ConductorSettingsException>(() => Bind(values));

    [Fact]
    public void Minimal_settings_bind_with_defaults()
    {
        var s = Bind(Minimal());
        Assert.Equal(new Uri("http://127.0.0.1:8080/api"), s.ServerUrl);
        Assert.Equal(ConductorAuthMode.None, s.AuthMode);
        Assert.Equal(TimeSpan.FromSeconds(30), s.SafetyMargin);
        Assert.Null(s.DefaultConcurrency);
        Assert.Null(s.ConcurrencyFor("any")); // the worker's own options decide
        Assert.Equal(HostingPlan.Unknown, s.HostingPlan);
        Assert.Null(s.FunctionTimeoutOverride);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var e = BindFails(new()
        {
            [ConductorHostSettings.ServerUrlKey] = "not a url",
            [ConductorHostSettings.SafetyMarginKey] = "soon",
            [ConductorHostSettings.ConcurrencyKey] = "0",
            [ConductorHostSettings.TaskConcurrencyKey] = "send_email=many",
        });
        Assert.Equal(5, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.StartsWith("CONDUCTOR_SERVER_URL 'not a url'", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("CONDUCTOR_POLL_SCHEDULE is not set", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("CONDUCTOR_SAFETY_MARGIN 'soon'", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("CONDUCTOR_CONCURRENCY '0'", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("'send_email=many' is not taskType=number", StringComparison.Ordinal));
        Assert.Contains("  - CONDUCTOR_SERVER_URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_and_secret_infer_Orkes_auth_and_the_secret_never_shows()
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthKeyKey] = "key-id-1";
        values[ConductorHostSettings.AuthSecretKey] = "s3cr3t-value";
        var s = Bind(values);
        Assert.Equal(ConductorAuthMode.OrkesKey, s.AuthMode);
        Assert.Equal("key-id-1", s.KeyId);
        Assert.Equal("s3cr3t-value", s.KeySecret);
        Assert.Contains("key id key-id-1", s.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", s.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Orkes_auth_without_a_secret_says_what_is_missing_without_echoing_values()
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthModeKey] = "OrkesKey";
        values[ConductorHostSettings.AuthKeyKey] = "key-id-1";
        var e = BindFails(values);
        var problem = Assert.Single(e.Problems);
        Assert.StartsWith("CONDUCTOR_AUTH_SECRET is not set", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Unresolved_Key_Vault_reference_is_explained_and_not_echoed()
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthKeyKey] = "key-id-1";
        values[ConductorHostSettings.AuthSecretKey] = "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/conductor-secret/)";
        var e = BindFails(values);
        var problem = Assert.Single(e.Problems);
        Assert.Contains("Key Vault reference that the platform did not resolve", problem, StringComparison.Ordinal);
        Assert.Contains("Key Vault Secrets User", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("kv-x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scope_infers_managed_identity_and_user_assigned_client_id_is_kept()
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthScopeKey] = "api://conductor-gateway/.default";
        values[ConductorHostSettings.ManagedIdentityClientIdKey] = "00000000-0000-0000-0000-000000000001";
        var s = Bind(values);
        Assert.Equal(ConductorAuthMode.ManagedIdentity, s.AuthMode);
        Assert.Equal("api://conductor-gateway/.default", s.Scope);
        Assert.Equal("00000000-0000-0000-0000-000000000001", s.ManagedIdentityClientId);
        Assert.Null(s.KeySecret);
    }

    [Theory]
    [InlineData("DefaultAzureCredential", ConductorAuthMode.DefaultAzureCredential)]
    [InlineData("managed-identity", ConductorAuthMode.ManagedIdentity)]
    [InlineData("none", ConductorAuthMode.None)]
    public void Explicit_auth_mode_is_case_and_dash_insensitive(string text, ConductorAuthMode expected)
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthModeKey] = text;
        if (expected != ConductorAuthMode.None) values[ConductorHostSettings.AuthScopeKey] = "api://x/.default";
        Assert.Equal(expected, Bind(values).AuthMode);
    }

    [Fact]
    public void Token_auth_without_scope_and_with_leftover_keys_lists_both_problems()
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthModeKey] = "ManagedIdentity";
        values[ConductorHostSettings.AuthKeyKey] = "k";
        var e = BindFails(values);
        Assert.Equal(2, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.StartsWith("CONDUCTOR_AUTH_SCOPE is not set", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("CONDUCTOR_AUTH_MODE is ManagedIdentity", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_auth_mode_names_the_choices()
    {
        var values = Minimal();
        values[ConductorHostSettings.AuthModeKey] = "password";
        var problem = Assert.Single(BindFails(values).Problems);
        Assert.Contains("None, OrkesKey, ManagedIdentity or DefaultAzureCredential", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 */5 * * * *")]
    [InlineData("*/30 * * * *")]
    [InlineData("00:01:00")]
    public void Valid_schedules_bind(string schedule)
    {
        var values = Minimal();
        values[ConductorHostSettings.PollScheduleKey] = schedule;
        Assert.Equal(schedule, Bind(values).PollSchedule);
    }

    [Theory]
    [InlineData("every minute")]
    [InlineData("* * *")]
    public void Invalid_schedules_are_explained(string schedule)
    {
        var values = Minimal();
        values[ConductorHostSettings.PollScheduleKey] = schedule;
        var problem = Assert.Single(BindFails(values).Problems);
        Assert.Contains("neither an NCRONTAB expression", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrency_and_groups_bind_and_select_task_types()
    {
        var values = Minimal();
        values[ConductorHostSettings.ConcurrencyKey] = "6";
        values[ConductorHostSettings.TaskConcurrencyKey] = "send_email=8; resize_image=2";
        values[ConductorHostSettings.TaskGroupsKey] = "media=resize_image,transcode";
        var s = Bind(values);
        Assert.Equal(8, s.ConcurrencyFor("send_email"));
        Assert.Equal(2, s.ConcurrencyFor("resize_image"));
        Assert.Equal(6, s.ConcurrencyFor("notify"));

        string[] registered = ["send_email", "notify", "resize_image", "transcode"];
        Assert.Equal(["resize_image", "transcode"], s.TaskTypesFor("media", registered));
        Assert.Equal(["send_email", "notify"], s.TaskTypesFor(ConductorHostSettings.DefaultGroup, registered));
    }

    [Fact]
    public void Groups_naming_unregistered_or_duplicate_task_types_are_rejected()
    {
        var values = Minimal();
        values[ConductorHostSettings.TaskGroupsKey] = "a=x,y;b=y";
        var dup = Assert.Single(BindFails(values).Problems);
        Assert.Contains("task type 'y' in groups 'a' and 'b'", dup, StringComparison.Ordinal);

        values[ConductorHostSettings.TaskGroupsKey] = "a=x";
        values[ConductorHostSettings.TaskConcurrencyKey] = "z=3";
        var s = Bind(values);
        var e = Assert.Throws<ConductorSettingsException>(() => s.TaskTypesFor("a", ["x_registered"]));
        Assert.Equal(2, e.Problems.Count);
        Assert.Contains(e.Problems, p => p.Contains("task type 'x' in group 'a' but no worker is registered for it (registered: x_registered)", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("concurrency for task type 'z'", StringComparison.Ordinal));

        var unknown = Assert.Throws<ConductorSettingsException>(() => Bind(Minimal()).TaskTypesFor("nope", ["x"]));
        Assert.Contains("Task group 'nope' is not defined", Assert.Single(unknown.Problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ConductorWorkers", "default")]
    [InlineData("ConductorWorkers_media", "media")]
    [InlineData("conductorworkers_Mail", "Mail")]
    [InlineData("ConductorWorkers_", "default")]
    [InlineData("Nightly", "default")]
    public void A_timer_function_works_on_the_group_its_name_gives(string functionName, string group) =>
        Assert.Equal(group, FunctionCycleRunner.GroupForFunction(functionName));
}
