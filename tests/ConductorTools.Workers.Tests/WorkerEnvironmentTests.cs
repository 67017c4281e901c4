namespace ConductorTools.Workers.Tests;

/// <summary>Worker settings from the environment with the official SDKs' names and precedence.</summary>
public class WorkerEnvironmentTests
{
    private static WorkerOptions Apply(string taskType, Dictionary<string, string> env, WorkerOptions? options = null)
    {
        options ??= new WorkerOptions();
        WorkerEnvironment.Apply(options, taskType, n => env.TryGetValue(n, out var v) ? v : null);
        return options;
    }

    public static TheoryData<int> Levels => new() { 0, 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Levels))]
    public void Worker_specific_beats_all_and_dotted_beats_upper_case_and_any_of_them_beats_code(int highestSet)
    {
        string[] precedence =
        [
            "conductor.worker.charge.domain",
            "CONDUCTOR_WORKER_CHARGE_DOMAIN",
            "conductor.worker.all.domain",
            "CONDUCTOR_WORKER_ALL_DOMAIN",
        ];
        // Set this level and every lower one, each to its own name: the highest set must win.
        var env = precedence.Skip(highestSet).ToDictionary(n => n, n => n);

        var options = Apply("charge", env, new WorkerOptions { Domain = "from-code" });

        Assert.Equal(highestSet < precedence.Length ? precedence[highestSet] : "from-code", options.Domain);
    }

    [Fact]
    public void Every_property_is_read_with_its_sdk_name()
    {
        var options = Apply("charge", new()
        {
            ["CONDUCTOR_WORKER_CHARGE_POLL_INTERVAL"] = "250",
            ["CONDUCTOR_WORKER_CHARGE_DOMAIN"] = "blue",
            ["CONDUCTOR_WORKER_CHARGE_WORKER_ID"] = "pod-7",
            ["CONDUCTOR_WORKER_CHARGE_THREAD_COUNT"] = "6",
            ["CONDUCTOR_WORKER_CHARGE_POLL_TIMEOUT"] = "900",
            ["CONDUCTOR_WORKER_CHARGE_LEASE_EXTEND_ENABLED"] = "false",
            ["CONDUCTOR_WORKER_CHARGE_PAUSED"] = "true",
        });

        Assert.Equal(TimeSpan.FromMilliseconds(250), options.PollInterval);
        Assert.Equal("blue", options.Domain);
        Assert.Equal("pod-7", options.WorkerId);
        Assert.Equal(6, options.Concurrency);
        Assert.Equal(TimeSpan.FromMilliseconds(900), options.LongPollTimeout);
        Assert.False(options.LeaseExtendEnabled);
        Assert.True(options.Paused);
    }

    [Fact]
    public void Dotted_names_match_in_snake_and_camel_case_for_the_worker_and_for_all()
    {
        var options = Apply("charge", new()
        {
            ["conductor.worker.charge.pollInterval"] = "300",
            ["conductor.worker.all.threadCount"] = "3",
            ["conductor.worker.all.lease_extend_enabled"] = "false",
            ["conductor.worker.charge.workerId"] = "dotted",
        });

        Assert.Equal(TimeSpan.FromMilliseconds(300), options.PollInterval);
        Assert.Equal(3, options.Concurrency);
        Assert.False(options.LeaseExtendEnabled);
        Assert.Equal("dotted", options.WorkerId);
    }

    [Fact]
    public void Task_type_names_are_sanitized_for_upper_case_variables_and_also_read_as_plain_upper_case()
    {
        var options = Apply("charge-card.v2", new()
        {
            ["CONDUCTOR_WORKER_CHARGE_CARD_V2_THREAD_COUNT"] = "7",
            ["CONDUCTOR_WORKER_CHARGE-CARD.V2_DOMAIN"] = "js-style",
            ["conductor.worker.charge-card.v2.paused"] = "yes",
        });

        Assert.Equal(7, options.Concurrency);
        Assert.Equal("js-style", options.Domain);
        Assert.True(options.Paused);
    }

    [Fact]
    public void Sdk_aliases_are_read_after_the_canonical_name_of_the_same_level()
    {
        Assert.Equal(6, Apply("charge", new() { ["CONDUCTOR_WORKER_ALL_CONCURRENCY"] = "6" }).Concurrency);
        Assert.Equal(4, Apply("charge", new() { ["CONDUCTOR_WORKER_ALL_CONCURRENCY"] = "6", ["CONDUCTOR_WORKER_ALL_THREAD_COUNT"] = "4" }).Concurrency);
        // A worker-specific alias still beats a global canonical name.
        Assert.Equal(2, Apply("charge", new() { ["CONDUCTOR_WORKER_CHARGE_CONCURRENCY"] = "2", ["CONDUCTOR_WORKER_ALL_THREAD_COUNT"] = "9" }).Concurrency);
        Assert.Equal(TimeSpan.FromMilliseconds(150), Apply("charge", new() { ["CONDUCTOR_WORKER_CHARGE_POLLING_INTERVAL"] = "150" }).PollInterval);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("on", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("Off", false)]
    public void Booleans_accept_the_sdk_spellings(string value, bool expected)
    {
        Assert.Equal(expected, Apply("charge", new() { ["CONDUCTOR_WORKER_ALL_PAUSED"] = value }, new WorkerOptions { Paused = !expected }).Paused);
    }

    [Fact]
    public void Poll_timeout_is_capped_at_conductors_five_seconds_and_bad_values_name_the_variable()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), Apply("charge", new() { ["CONDUCTOR_WORKER_ALL_POLL_TIMEOUT"] = "60000" }).LongPollTimeout);

        var zero = Assert.Throws<FormatException>(() => Apply("charge", new() { ["conductor.worker.charge.thread_count"] = "0" }));
        Assert.Contains("conductor.worker.charge.thread_count", zero.Message);
        var maybe = Assert.Throws<FormatException>(() => Apply("charge", new() { ["CONDUCTOR_WORKER_CHARGE_PAUSED"] = "maybe" }));
        Assert.Contains("CONDUCTOR_WORKER_CHARGE_PAUSED", maybe.Message);
    }

    [Fact]
    public void The_runner_applies_the_process_environment_unless_told_not_to()
    {
        var taskType = "env_probe_" + Guid.NewGuid().ToString("N")[..8];
        var prefix = "CONDUCTOR_WORKER_" + taskType.ToUpperInvariant() + "_";
        Environment.SetEnvironmentVariable(prefix + "THREAD_COUNT", "3");
        Environment.SetEnvironmentVariable(prefix + "DOMAIN", "from-env");
        try
        {
            using var engine = Backend.Open();
            var options = TestWorkerOptions.Fast(concurrency: 1);
            options.Domain = "from-code";
            var applied = TestWorkerOptions.Runner();
            applied.ApplyEnvironment = true;

            var runner = new WorkerRunner(engine, [new WorkerDefinition(taskType, Backend.Echo, options)], applied);
            Assert.Equal(3, runner.GetOptions(taskType).Concurrency);
            Assert.Equal("from-env", runner.GetOptions(taskType).Domain);
            Assert.Equal(1, options.Concurrency); // the caller's options are left alone

            var ignored = new WorkerRunner(engine, [new WorkerDefinition(taskType, Backend.Echo, options)], TestWorkerOptions.Runner());
            Assert.Equal(1, ignored.GetOptions(taskType).Concurrency);
            Assert.Equal("from-code", ignored.GetOptions(taskType).Domain);

            Environment.SetEnvironmentVariable(prefix + "THREAD_COUNT", "lots");
            var bad = Assert.Throws<FormatException>(() => new WorkerRunner(engine, [new WorkerDefinition(taskType, Backend.Echo, options)], applied));
            Assert.Contains(prefix + "THREAD_COUNT", bad.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "THREAD_COUNT", null);
            Environment.SetEnvironmentVariable(prefix + "DOMAIN", null);
        }
    }
}
