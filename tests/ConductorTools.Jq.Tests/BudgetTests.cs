using System.Diagnostics;

namespace ConductorTools.Jq.Tests;

/// <summary>A bad filter can neither hang nor exhaust memory: step, time, depth and size budgets, cancellation.</summary>
public sealed class BudgetTests
{
    [Fact]
    public void Infinite_recursion_stops_with_a_budget_error_not_a_stack_overflow()
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<JqBudgetExceededException>(() => Jq.Run("def f: f; f"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Contains("recursion", e.Message);
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("def f: 1 + f; f"));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("[def f: ., (. + 1 | f); f]", "0", new JqOptions { MaxSteps = 100_000 }));
    }

    [Fact]
    public void Huge_ranges_stop_at_the_step_budget()
    {
        var e = Assert.Throws<JqBudgetExceededException>(() => Jq.Run("[range(1e12)] | length", "null", new JqOptions { MaxSteps = 200_000 }));
        Assert.Contains("step budget", e.Message);
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("range(1e12)", "null", new JqOptions { MaxSteps = 10_000 }));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("reduce range(1e12) as $x (0; . + $x)", "null", new JqOptions { MaxSteps = 10_000 }));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("[repeat(1)]", "null", new JqOptions { MaxSteps = 10_000 }));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("last(range(1e12))", "null", new JqOptions { MaxSteps = 10_000 }));
    }

    [Fact]
    public void The_default_options_also_bound_a_runaway_filter()
    {
        Assert.Equal(10_000_000, JqOptions.Default.MaxSteps);
        Assert.Equal(10_000_000, JqOptions.Default.MaxCollectionLength);
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("[range(1e12)]", "null", new JqOptions { MaxSteps = null, MaxCollectionLength = 100_000 }));
    }

    [Fact]
    public void The_time_budget_stops_a_long_evaluation()
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<JqBudgetExceededException>(() =>
            Jq.Run("reduce range(1e12) as $x (0; . + $x)", "null", new JqOptions { MaxSteps = null, Timeout = TimeSpan.FromMilliseconds(200) }));
        Assert.Contains("time budget", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Cancellation_stops_an_evaluation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Jq.Run("last(range(1e12))", "null", new JqOptions { MaxSteps = null, CancellationToken = cts.Token }));
    }

    [Fact]
    public void Budget_errors_are_not_caught_by_try()
    {
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("try ([range(1e12)] | length) catch \"caught\"", "null", new JqOptions { MaxSteps = 10_000 }));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("[range(1e12)]? // 1", "null", new JqOptions { MaxSteps = 10_000 }));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("try (def f: f; f) catch 1"));
    }

    [Fact]
    public void Memory_hungry_single_operations_are_refused()
    {
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run("\"abc\" * 1e9"));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run(".[1e9] = 1"));
        Assert.Throws<JqBudgetExceededException>(() => Jq.Run(". * 100000", "\"x\"", new JqOptions { MaxCollectionLength = 1000 }));
    }

    [Fact]
    public void A_normal_filter_fits_easily_in_a_small_budget()
    {
        Assert.Equal("5050", Jq.One("reduce range(101) as $x (0; . + $x)"));
        Assert.Equal("[1,2]", Jq.Run("[.[] | select(. > 0)]", "[0,1,2]", new JqOptions { MaxSteps = 100 }).Single());
    }
}

public sealed class DeepValueTests
{
    [Theory]
    [InlineData("reduce range(200000) as $i (null; [.]) | . == .")]
    [InlineData("reduce range(200000) as $i (null; [.]) | tojson | length")]
    [InlineData("reduce range(200000) as $i (null; {a: .}) | . * .")]
    [InlineData("null | setpath([range(200000) | 0]; 1)")]
    [InlineData("reduce range(200000) as $i (null; [.]) | flatten")]
    [InlineData("reduce range(200000) as $i (null; [.]) | contains(.)")]
    public void Deep_values_fail_cleanly_instead_of_overflowing_the_stack(string filter)
    {
        // Either an answer or a budget error: never a crashed process.
        try { Jq.Run(filter, "null", new JqOptions { MaxSteps = 10_000_000 }); }
        catch (JqBudgetExceededException) { }
    }

    [Fact]
    public void Deep_outputs_as_JsonNode_fail_cleanly()
    {
        var f = JqFilter.Parse("reduce range(100000) as $i (null; [.])");
        try { _ = f.Evaluate((System.Text.Json.Nodes.JsonNode?)null).ToList(); }
        catch (JqBudgetExceededException) { }
    }
}
