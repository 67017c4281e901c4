using ConductorTools.Engine.Scripting;

namespace ConductorTools.Engine.Tests.Scripting;

public class ScriptingTests
{
    private static readonly Dictionary<string, object?> Input = new()
    {
        ["a"] = 2L,
        ["name"] = "Ann",
        ["items"] = new List<object?> { 1L, 2L, 3L },
        ["nested"] = new Dictionary<string, object?> { ["x"] = 1.5 },
    };

    [Theory]
    [InlineData("$.a + 1", 3L)]
    [InlineData("(function(){ return $.a * 10; })()", 20L)]
    [InlineData("$.name.toUpperCase()", "ANN")]
    [InlineData("$.nested.x * 2", 3L)]
    [InlineData("$.nested.x + 1", 2.5)]
    [InlineData("$.items.length > 2", true)]
    [InlineData("var t = 0; for (var i = 0; i < $.items.length; i++) { t += $.items[i]; } t;", 6L)]
    public void Evaluates_es5_with_dollar_bound_to_the_input(string script, object expected)
    {
        Assert.Equal(expected, JavaScript.Evaluate(script, Input));
    }

    [Fact]
    public void Objects_and_arrays_come_back_as_plain_values()
    {
        var result = (Dictionary<string, object?>)JavaScript.Evaluate("({ sum: $.a + 1, list: [1, 'b', null], none: null })", Input)!;
        Assert.Equal(3L, result["sum"]);
        Assert.Equal(new List<object?> { 1L, "b", null }, result["list"]);
        Assert.Null(result["none"]);
    }

    [Fact]
    public void Errors_and_timeouts_are_told_apart()
    {
        var error = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("$.missing.deeper", Input));
        Assert.False(error.IsTimeout);
        var timeout = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("while (true) {}", Input, TimeSpan.FromMilliseconds(200)));
        Assert.True(timeout.IsTimeout);
        Assert.NotNull(JavaScript.SyntaxError("if ($.a > {"));
        Assert.Null(JavaScript.SyntaxError("$.a > 1 ? 'big' : 'small'"));
    }

    [Theory]
    [InlineData("10s", 10)]
    [InlineData("5m", 300)]
    [InlineData("1h 30m", 5400)]
    [InlineData("2 days", 172800)]
    [InlineData("1 hour 2 minutes 3 seconds", 3723)]
    [InlineData("45 secs", 45)]
    public void Wait_durations_parse(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), WaitTimes.ParseDuration(text));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("")]
    [InlineData("10 fortnights")]
    public void Bad_wait_durations_say_what_is_expected(string text)
    {
        var ex = Assert.Throws<FormatException>(() => WaitTimes.ParseDuration(text));
        Assert.Contains("1h 30m", ex.Message);
    }

    [Fact]
    public void Wait_until_parses_dates_times_and_zones()
    {
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 0, TimeSpan.Zero), WaitTimes.ParseUntil("2030-01-02 03:04"));
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero), WaitTimes.ParseUntil("2030-01-02"));
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 0, TimeSpan.FromHours(2)), WaitTimes.ParseUntil("2030-01-02 03:04 +02:00"));
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 0, TimeSpan.Zero), WaitTimes.ParseUntil("2030-01-02 03:04 UTC"));
        Assert.Throws<FormatException>(() => WaitTimes.ParseUntil("next tuesday"));
    }
}
