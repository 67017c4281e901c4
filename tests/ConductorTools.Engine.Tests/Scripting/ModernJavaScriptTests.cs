using ConductorTools.Engine.Scripting;

namespace ConductorTools.Engine.Tests.Scripting;

/// <summary>Jint 4: the JavaScript conductor-oss's GraalJS accepts, its error messages and its number conversion.</summary>
public class ModernJavaScriptTests
{
    private static readonly Dictionary<string, object?> Input = new()
    {
        ["a"] = 2L,
        ["name"] = "Ann",
        ["items"] = new List<object?> { 1L, 2L, 3L },
        ["nested"] = new Dictionary<string, object?> { ["x"] = 1.5 },
        ["sum"] = 10L,
        ["n"] = 0L,
    };

    [Theory]
    [InlineData("$.items.map(x => x * 2).reduce((s, x) => s + x, 0)", 12L)]
    [InlineData("`hello ${$.name}`", "hello Ann")]
    [InlineData("$.missing?.deeper ?? 'none'", "none")]
    [InlineData("const { a, name } = $; a + name", "2Ann")]
    [InlineData("let [first, ...rest] = $.items; first + rest.length", 3L)]
    [InlineData("Math.max(...$.items)", 3L)]
    [InlineData("({ ...$.nested, y: 1 }).y + ({ ...$.nested }).x", 2.5)]
    [InlineData("class Box { constructor(v) { this.v = v; } twice() { return this.v * 2; } } new Box($.a).twice()", 4L)]
    [InlineData("$.items.includes(2)", true)]
    [InlineData("Object.entries($.nested).map(([k, v]) => k + '=' + v).join()", "x=1.5")]
    [InlineData("String($.a).padStart(3, '0')", "002")]
    [InlineData("(() => { let t = 0; for (const i of $.items) { t += i; } return t; })()", 6L)]
    public void Modern_javascript_runs(string script, object expected)
    {
        Assert.Equal(expected, JavaScript.Evaluate(script, Input));
        Assert.Null(JavaScript.SyntaxError(script));
    }

    [Fact]
    public void A_runtime_error_names_the_javascript_error_its_message_and_line_as_conductor_does()
    {
        var error = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("$.missing.deeper", Input));
        Assert.False(error.IsTimeout);
        Assert.StartsWith("Error evaluating the script `TypeError: ", error.Message);
        Assert.Contains("deeper", error.Message);
        Assert.EndsWith("` at line 1", error.Message);

        var thrown = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("var x = 1;\nthrow new RangeError('too big: ' + x);", Input));
        Assert.Equal("Error evaluating the script `RangeError: too big: 1` at line 2", thrown.Message);

        var reference = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("undefinedThing + 1", Input));
        Assert.StartsWith("Error evaluating the script `ReferenceError: ", reference.Message);
    }

    [Theory]
    [InlineData("$.n / $.n", "NaN")]
    [InlineData("$.sum / $.n", "Infinity")]
    [InlineData("-$.sum / $.n", "-Infinity")]
    public void Nan_and_infinities_come_back_as_conductor_writes_them(string script, string expected)
    {
        Assert.Equal(expected, JavaScript.Evaluate(script, Input));
    }

    [Fact]
    public void Nan_inside_objects_and_lists_is_converted_too()
    {
        var result = (Dictionary<string, object?>)JavaScript.Evaluate("({ avg: $.sum / $.n, list: [0 / 0, 1.5, 2] })", Input)!;
        Assert.Equal("Infinity", result["avg"]);
        Assert.Equal(new List<object?> { "NaN", 1.5, 2L }, result["list"]);
    }

    [Fact]
    public void A_cyclic_result_fails_instead_of_looping()
    {
        var error = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("var o = {}; o.self = o; o", Input));
        Assert.Contains("nested", error.Message);
    }

    [Fact]
    public void A_script_past_its_statement_budget_is_stopped()
    {
        var error = Assert.Throws<ScriptEvaluationException>(() =>
            JavaScript.Evaluate("for (;;) { }", Input, TimeSpan.FromSeconds(30), maxStatements: 10_000));
        Assert.True(error.IsTimeout);
        Assert.Contains("10000 statements", error.Message);
    }

    [Fact]
    public void A_script_past_its_memory_budget_is_stopped()
    {
        var error = Assert.Throws<ScriptEvaluationException>(() =>
            JavaScript.Evaluate("var a = []; for (;;) { a.push('x'.repeat(10000) + a.length); }", Input, TimeSpan.FromSeconds(30),
                maxStatements: int.MaxValue, memoryLimitBytes: 4 * 1024 * 1024));
        Assert.True(error.IsTimeout);
        Assert.Contains("4 MB", error.Message);
    }

    [Fact]
    public void A_script_past_its_time_budget_is_stopped_with_conductors_message()
    {
        var error = Assert.Throws<ScriptEvaluationException>(() =>
            JavaScript.Evaluate("while (true) {}", Input, TimeSpan.FromMilliseconds(200), maxStatements: int.MaxValue));
        Assert.True(error.IsTimeout);
        Assert.Equal("Script not evaluated within 0.2 seconds, interrupted.", error.Message);
    }

    [Fact]
    public void Syntax_errors_say_where()
    {
        var problem = JavaScript.SyntaxError("var x = ;\n");
        Assert.NotNull(problem);
        Assert.Contains("line 1", problem);
        var runtime = Assert.Throws<ScriptEvaluationException>(() => JavaScript.Evaluate("var x = ;", Input));
        Assert.StartsWith("Error evaluating the script `SyntaxError: ", runtime.Message);
        Assert.False(runtime.IsTimeout);
    }
}
