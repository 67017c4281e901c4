namespace ConductorTools.Jq.Tests;

public sealed class ParseErrorTests
{
    [Theory]
    [InlineData("1 +", 3, 1, 4, "a term")]
    [InlineData("{", 1, 1, 2, "an object key")]
    [InlineData("[1,2", 4, 1, 5, "']'")]
    [InlineData(".a | ]", 5, 1, 6, "a term")]
    [InlineData("if . then 1", 11, 1, 12, "'elif', 'else' or 'end'")]
    [InlineData("reduce .[] ($x)", 11, 1, 12, "'as'")]
    [InlineData(".a\n| .b |\n", 10, 3, 1, "a term")]
    [InlineData("\"abc", 4, 1, 5, "'\"' closing the string")]
    [InlineData("\"\\q\"", 1, 1, 2, "a valid escape")]
    [InlineData("{a: 1 b: 2}", 6, 1, 7, "',' or '}'")]
    [InlineData("def f: 1", 8, 1, 9, "';' ending the function definition")]
    [InlineData("1 == 2 == 3", 7, 1, 8, "comparisons do not chain")]
    [InlineData(". as [] | 1", 6, 1, 7, "a pattern")]
    [InlineData("$", 0, 1, 1, "a variable name")]
    [InlineData("foo(1)", 0, 1, 1, "defined")]
    [InlineData("$nope", 0, 1, 1, "defined")]
    [InlineData("break $x", 0, 1, 1, "defined")]
    [InlineData("@nope", 0, 1, 1, "defined")]
    public void Reports_position_and_what_was_expected(string filter, int pos, int line, int col, string expected)
    {
        var e = Assert.Throws<JqParseException>(() => JqFilter.Parse(filter));
        Assert.Equal(pos, e.Position);
        Assert.Equal(line, e.Line);
        Assert.Equal(col, e.Column);
        Assert.Contains(expected, e.Expected + " " + e.Message);
        Assert.Contains($"line {line}, column {col}", e.Message);
    }

    [Theory]
    [InlineData("foo", "foo/0 is not defined")]
    [InlineData("map(1;2)", "map/2 is not defined")]
    [InlineData("$x", "$x is not defined")]
    public void Unknown_names_are_compile_errors_in_jqs_words(string filter, string message)
    {
        var e = Assert.Throws<JqParseException>(() => JqFilter.Parse(filter));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Parse_errors_are_jq_exceptions_too_and_an_empty_program_is_identity()
    {
        Assert.IsAssignableFrom<JqException>(Assert.Throws<JqParseException>(() => JqFilter.Parse("(")));
        Assert.Equal("{\"a\":1}", JqFilter.Parse("  ").EvaluateJson("{\"a\":1}").Single());
    }

    [Fact]
    public void Deeply_nested_filters_fail_cleanly()
    {
        var deep = new string('(', 100_000) + "1" + new string(')', 100_000);
        Assert.ThrowsAny<Exception>(() => JqFilter.Parse(deep));
    }
}
