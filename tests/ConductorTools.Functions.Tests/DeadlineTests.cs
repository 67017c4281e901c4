using ConductorTools.Hosting;

namespace ConductorTools.Functions.Tests;

public class DeadlineTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static ConductorHostSettings Settings(params (string Key, string Value)[] extra) => TestSettings.Bind(extra);

    [Theory]
    [InlineData(null, HostingPlan.Unknown)]
    [InlineData("Dynamic", HostingPlan.Consumption)]
    [InlineData("FlexConsumption", HostingPlan.FlexConsumption)]
    [InlineData("ElasticPremium", HostingPlan.Premium)]
    [InlineData("PremiumV3", HostingPlan.Dedicated)]
    public void Plan_comes_from_WEBSITE_SKU(string? sku, HostingPlan plan) =>
        Assert.Equal(plan, FunctionTimeout.PlanFromSku(sku));

    [Fact]
    public void Plan_defaults_apply_when_host_json_sets_no_timeout()
    {
        var consumption = CycleDeadline.Compute(Start, Settings((ConductorHostSettings.WebsiteSkuKey, "Dynamic")), hostJsonTimeout: null);
        Assert.Equal(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(30), consumption.Budget);
        var flex = CycleDeadline.Compute(Start, Settings((ConductorHostSettings.WebsiteSkuKey, "FlexConsumption")), hostJsonTimeout: null);
        Assert.Equal(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(30), flex.Budget);
        Assert.Equal(Start + flex.Budget, flex.Deadline);
    }

    [Fact]
    public void Host_json_timeout_less_the_margin_is_the_deadline()
    {
        var timeout = FunctionTimeout.FromHostJson("""
            {
              // comments are allowed in host.json
              "version": "2.0",
              "functionTimeout": "00:10:00",
            }
            """);
        Assert.Equal(TimeSpan.FromMinutes(10), timeout!.Value);
        var d = CycleDeadline.Compute(Start, Settings((ConductorHostSettings.SafetyMarginKey, "00:01:00")), timeout);
        Assert.Equal(Start + TimeSpan.FromMinutes(9), d.Deadline);
        Assert.Equal(Start + TimeSpan.FromMinutes(8), d.PollUntil); // default drain timeout: 60 s
        Assert.Contains("host.json functionTimeout", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_timeout_setting_overrides_host_json_and_a_max_cycle_caps_it()
    {
        var s = Settings((ConductorHostSettings.FunctionTimeoutKey, "00:20:00"), (ConductorHostSettings.MaxCycleDurationKey, "00:05:00"));
        var d = CycleDeadline.Compute(Start, s, FunctionTimeout.FromHostJson("""{"functionTimeout":"00:10:00"}"""));
        Assert.Equal(TimeSpan.FromMinutes(20), d.Timeout.Value);
        Assert.Equal(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(30), d.Budget);
    }

    [Fact]
    public void Unbounded_timeout_uses_the_max_cycle_or_thirty_minutes()
    {
        var unbounded = FunctionTimeout.FromHostJson("""{"functionTimeout":"-1"}""");
        Assert.True(unbounded!.IsUnbounded);
        var flex = Settings((ConductorHostSettings.WebsiteSkuKey, "FlexConsumption"));
        Assert.Equal(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(30), CycleDeadline.Compute(Start, flex, unbounded).Budget);
        var capped = Settings((ConductorHostSettings.WebsiteSkuKey, "FlexConsumption"), (ConductorHostSettings.MaxCycleDurationKey, "01:00:00"));
        Assert.Equal(TimeSpan.FromMinutes(60) - TimeSpan.FromSeconds(30), CycleDeadline.Compute(Start, capped, unbounded).Budget);
    }

    [Fact]
    public void Consumption_rejects_timeouts_the_host_rejects()
    {
        var consumption = Settings((ConductorHostSettings.WebsiteSkuKey, "Dynamic"));
        var e = Assert.Throws<ConductorSettingsException>(() =>
            CycleDeadline.Compute(Start, consumption, FunctionTimeout.FromHostJson("""{"functionTimeout":"00:15:00"}""")));
        Assert.Contains("Consumption plan allows at most 00:10:00", e.Message, StringComparison.Ordinal);
        Assert.Throws<ConductorSettingsException>(() =>
            CycleDeadline.Compute(Start, consumption, FunctionTimeout.FromHostJson("""{"functionTimeout":"-1"}""")));
    }

    [Fact]
    public void A_margin_that_leaves_no_time_is_an_error()
    {
        var s = Settings((ConductorHostSettings.SafetyMarginKey, "00:05:00"), (ConductorHostSettings.WebsiteSkuKey, "Dynamic"));
        var e = Assert.Throws<ConductorSettingsException>(() => CycleDeadline.Compute(Start, s, null));
        Assert.Contains("CONDUCTOR_SAFETY_MARGIN 00:05:00 leaves no time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drain_timeout_as_long_as_the_cycle_is_an_error()
    {
        var s = Settings((ConductorHostSettings.DrainTimeoutKey, "00:04:30"), (ConductorHostSettings.WebsiteSkuKey, "Dynamic"));
        var e = Assert.Throws<ConductorSettingsException>(() => CycleDeadline.Compute(Start, s, null));
        Assert.Contains("CONDUCTOR_DRAIN_TIMEOUT 00:04:30 is as long as the whole cycle", e.Message, StringComparison.Ordinal);
        var ok = CycleDeadline.Compute(Start, Settings((ConductorHostSettings.DrainTimeoutKey, "00:00:10")), null);
        Assert.Equal(ok.Deadline - TimeSpan.FromSeconds(10), ok.PollUntil);
    }

    [Theory]
    [InlineData("""{"functionTimeout":"ten minutes"}""", "functionTimeout 'ten minutes' is not a timeout")]
    [InlineData("""{"functionTimeout":"00:00:00"}""", "is not a timeout")]
    [InlineData("{ not json", "is not valid JSON")]
    public void Bad_host_json_is_explained(string json, string expected)
    {
        var e = Assert.Throws<ConductorSettingsException>(() => FunctionTimeout.FromHostJson(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_json_without_timeout_and_missing_file_give_null()
    {
        Assert.Null(FunctionTimeout.FromHostJson("""{"version":"2.0"}"""));
        Assert.Null(FunctionTimeout.FromHostJsonFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "host.json")));
    }

    [Fact]
    public void The_shipped_host_json_files_parse_and_fit_every_plan()
    {
        var root = RepositoryPaths.Root;
        foreach (var path in new[] { Path.Combine(root, "functions", "host.json"), Path.Combine(root, "functions", "powershell", "host.json") })
        {
            var timeout = FunctionTimeout.FromHostJsonFile(path);
            Assert.NotNull(timeout);
            // Valid even on Consumption, the strictest plan.
            var d = CycleDeadline.Compute(Start, Settings((ConductorHostSettings.WebsiteSkuKey, "Dynamic")), timeout);
            Assert.True(d.Budget > TimeSpan.FromMinutes(1), path);
        }
    }

}
