namespace ConductorTools.Jq.Tests;

/// <summary>Run-time errors carry jq 1.6's wording (checked against the jq 1.6 binary).</summary>
public sealed class ErrorTests
{
    [Theory]
    [InlineData(".a", "1", "Cannot index number with string \"a\"")]
    [InlineData(".a", "[1]", "Cannot index array with string \"a\"")]
    [InlineData(".[0]", "{}", "Cannot index object with number")]
    [InlineData(".[0]", "\"a\"", "Cannot index string with number")]
    [InlineData(". + 1", "{}", "object ({}) and number (1) cannot be added")]
    [InlineData("{} + 1", "null", "object ({}) and number (1) cannot be added")]
    [InlineData(". + 1", "\"abcdefghijklmnopqrstuvwxyz\"", "string (\"abcdefghij...) and number (1) cannot be added")]
    [InlineData("[] - {}", "null", "array ([]) and object ({}) cannot be subtracted")]
    [InlineData("{} * 2", "null", "object ({}) and number (2) cannot be multiplied")]
    [InlineData("\"a\" / 0", "null", "string (\"a\") and number (0) cannot be divided")]
    [InlineData(". / 0", "1", "number (1) and number (0) cannot be divided because the divisor is zero")]
    [InlineData(". % 0", "5", "number (5) and number (0) cannot be divided (remainder) because the divisor is zero")]
    [InlineData("-.", "\"a\"", "string (\"a\") cannot be negated")]
    [InlineData(".[]", "1", "Cannot iterate over number (1)")]
    [InlineData(".[]", "null", "Cannot iterate over null (null)")]
    [InlineData("length", "true", "boolean (true) has no length")]
    [InlineData("keys", "1", "number (1) has no keys")]
    [InlineData("has(0)", "{}", "Cannot check whether object has a number key")]
    [InlineData("sort", "{}", "object ({}) cannot be sorted, as it is not an array")]
    [InlineData("implode", "\"a\"", "implode input must be an array")]
    [InlineData("explode", "1", "explode input must be a string")]
    [InlineData("test(\"a\")", "1", "number (1) cannot be matched, as it is not a string")]
    [InlineData("test(\"a\"; \"q\")", "\"a\"", "q is not a valid modifier string")]
    [InlineData("startswith(1)", "\"a\"", "startswith() requires string inputs")]
    [InlineData("fromjson", "{}", "object ({}) only strings can be parsed")]
    [InlineData("utf8bytelength", "[1]", "array ([1]) only strings have UTF-8 byte length")]
    [InlineData("@csv", "{}", "object ({}) cannot be csv-formatted, only array")]
    [InlineData("@csv", "[{}]", "object ({}) is not valid in a csv row")]
    [InlineData("@sh", "[[1]]", "array ([1]) can not be escaped for shell")]
    [InlineData("@base64d", "\"!!!!\"", "string (\"!!!!\") is not valid base64 data")]
    [InlineData(".[-1] = 1", "null", "Out of bounds negative array index")]
    [InlineData("getpath(1)", "null", "Path must be specified as an array")]
    [InlineData("delpaths(1)", "null", "Paths must be specified as an array")]
    [InlineData("path(1)", "null", "Invalid path expression with result 1")]
    [InlineData("flatten(-1)", "[1]", "flatten depth must not be negative")]
    [InlineData("mktime", "1", "mktime requires array inputs")]
    [InlineData("gmtime", "\"a\"", "gmtime() requires numeric inputs")]
    [InlineData("fromdate", "\"x\"", "date \"x\" does not match format \"%Y-%m-%dT%H:%M:%SZ\"")]
    [InlineData("error(\"custom\")", "null", "custom")]
    [InlineData("error", "{\"a\":1}", "{\"a\":1} (not a string)")]
    [InlineData("{(.): 1}", "1", "Cannot use number (1) as object key")]
    [InlineData("nth(-1; 1)", "null", "nth doesn't support negative indices")]
    [InlineData("[.[] | join(\",\")]", "[[[1]]]", "string (\"\") and array ([1]) cannot be added")]
    public void Message(string filter, string input, string expected) => Assert.Equal(expected, Jq.Error(filter, input));

    [Fact]
    public void The_error_value_is_available_to_callers_and_to_catch()
    {
        var e = Assert.Throws<JqException>(() => Jq.Run("error({code: 42})"));
        Assert.Equal(42L, e.ErrorValue!["code"]!.GetValue<long>());
        Assert.Equal("42", Jq.One("try error({code: 42}) catch .code"));
        Assert.Equal("\"Cannot index number with string \\\"a\\\"\"", Jq.One("try (1 | .a) catch ."));
    }

    [Fact]
    public void Errors_after_outputs_keep_the_earlier_outputs()
    {
        var f = JqFilter.Parse("1, error(\"x\"), 3");
        var seen = new List<string>();
        var e = Assert.Throws<JqException>(() => { foreach (var o in f.EvaluateJson("null")) seen.Add(o); });
        Assert.Equal(new[] { "1" }, seen);
        Assert.Equal("x", e.Message);
        Assert.Equal("1 \"x\"", Jq.All("try (1, error(\"x\"), 3) catch ."));
    }
}
