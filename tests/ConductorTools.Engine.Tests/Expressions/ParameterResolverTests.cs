using ConductorTools.Engine.Expressions;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Expressions;

public class ParameterResolverTests
{
    private static Dictionary<string, object?> Context()
    {
        var workflow = ConductorJson.Deserialize<Workflow>("""
            {"workflowId":"wf-1","workflowName":"order","workflowVersion":3,"status":"RUNNING","correlationId":"c-9",
             "input":{"a":{"b":7},"n":2,"pi":1.0,"name":"Ann","key":"b","i":1,"map":{"b":"bee"},"flag":true,"nothing":null,
                      "items":[{"id":1,"price":5},{"id":2,"price":15},{"id":3,"price":25}]},
             "variables":{"counter":4},
             "tasks":[
               {"taskId":"t1-0","referenceTaskName":"t1","seq":1,"status":"FAILED","outputData":{"x":"old"}},
               {"taskId":"t1-1","referenceTaskName":"t1","seq":2,"status":"COMPLETED","retryCount":1,"outputData":{"x":"new","list":[10,20,30]}},
               {"taskId":"l-1","referenceTaskName":"step__1","seq":3,"status":"COMPLETED","iteration":1,"outputData":{"v":1}},
               {"taskId":"l-2","referenceTaskName":"step__2","seq":4,"status":"COMPLETED","iteration":2,"outputData":{"v":2}}
             ]}
            """)!;
        return ExpressionContext.Build(workflow);
    }

    [Theory]
    [InlineData("${workflow.input.a.b}", 7L)]
    [InlineData("${workflow.input.flag}", true)]
    [InlineData("${workflow.input.pi}", 1.0)]
    [InlineData("${workflow.workflowId}", "wf-1")]
    [InlineData("${workflow.workflowType}", "order")]
    [InlineData("${workflow.version}", 3L)]
    [InlineData("${workflow.correlationId}", "c-9")]
    [InlineData("${workflow.variables.counter}", 4L)]
    [InlineData("${t1.output.x}", "new")]
    [InlineData("${t1.retryCount}", 1L)]
    [InlineData("${t1.output.list[0]}", 10L)]
    [InlineData("${t1.output.list[-1]}", 30L)]
    [InlineData("${t1.output.list.length()}", 3L)]
    [InlineData("${step.output.v}", 2L)]
    [InlineData("${workflow.input.map.${workflow.input.key}}", "bee")]
    [InlineData("${t1.output.list[${workflow.input.i}]}", 20L)]
    [InlineData("${$.workflow.input.n}", 2L)]
    [InlineData("${CPEWF_TASK_ID}", "current-task")]
    [InlineData("${}", "")]
    [InlineData("${   }", "")]
    public void Whole_value_expressions_keep_their_type(string expression, object expected)
    {
        Assert.Equal(expected, ParameterResolver.ResolveValue(expression, Context(), "current-task"));
    }

    [Theory]
    [InlineData("${workflow.input.missing}")]
    [InlineData("${nosuchtask.output.x}")]
    [InlineData("${workflow.input.nothing}")]
    [InlineData("${t1.output.list[9]}")]
    [InlineData("${workflow.input.[[bad}")]
    public void Missing_paths_are_null(string expression)
    {
        Assert.Null(ParameterResolver.ResolveValue(expression, Context()));
    }

    [Theory]
    [InlineData("Hello ${workflow.input.name}!", "Hello Ann!")]
    [InlineData("n=${workflow.input.n}, pi=${workflow.input.pi}", "n=2, pi=1.0")]
    [InlineData("${workflow.input.a}", null)] // whole value: a map, checked below
    [InlineData("a=${workflow.input.a}", "a={b=7}")]
    [InlineData("list=${t1.output.list}", "list=[10, 20, 30]")]
    [InlineData("x=${workflow.input.missing}", "x=null")]
    [InlineData("line1\n${workflow.input.name}", "line1\nAnn")]
    [InlineData("$${workflow.input.a}", "${workflow.input.a}")]
    [InlineData("x $${a} ${workflow.input.n}", "x ${a} 2")]
    [InlineData("no tokens", "no tokens")]
    public void Interpolation_renders_like_java(string expression, string? expected)
    {
        var value = ParameterResolver.ResolveValue(expression, Context());
        if (expected is null)
        {
            Assert.Equal(7L, ((IDictionary<string, object?>)value!)["b"]);
            return;
        }
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Json_path_wildcards_deep_scans_and_filters_return_lists()
    {
        var context = Context();
        Assert.Equal(new List<object?> { 1L, 2L, 3L }, ParameterResolver.ResolveValue("${workflow.input.items[*].id}", context));
        Assert.Equal(new List<object?> { 1L, 2L, 3L }, ParameterResolver.ResolveValue("${workflow.input..id}", context));
        Assert.Equal(new List<object?> { 2L, 3L }, ParameterResolver.ResolveValue("${workflow.input.items[?(@.price > 10)].id}", context));
        Assert.Equal(new List<object?> { 2L }, ParameterResolver.ResolveValue("${workflow.input.items[?(@.price > 10 && @.price < 20)].id}", context));
        Assert.Equal(new List<object?> { 10L, 20L }, ParameterResolver.ResolveValue("${t1.output.list[0:2]}", context));
    }

    [Fact]
    public void Maps_and_lists_are_resolved_recursively_and_non_strings_copied()
    {
        var input = new Dictionary<string, object?>
        {
            ["nested"] = new Dictionary<string, object?> { ["who"] = "${workflow.input.name}", ["n"] = 5L },
            ["list"] = new List<object?> { "${workflow.input.n}", true, null },
        };
        var resolved = ParameterResolver.Resolve(input, Context());
        Assert.Equal("Ann", ((IDictionary<string, object?>)resolved["nested"]!)["who"]);
        Assert.Equal(5L, ((IDictionary<string, object?>)resolved["nested"]!)["n"]);
        Assert.Equal(new List<object?> { 2L, true, null }, resolved["list"]);
    }

    [Fact]
    public void Input_template_fills_missing_keys_and_replaces_nulls_with_raw_values()
    {
        var resolved = ParameterResolver.Resolve(
            new Dictionary<string, object?> { ["given"] = "${workflow.input.name}", ["empty"] = "${workflow.input.missing}" },
            Context(), "t",
            new Dictionary<string, object?> { ["given"] = "tmpl", ["empty"] = "${workflow.input.n}", ["extra"] = "${workflow.input.n}" });
        Assert.Equal("Ann", resolved["given"]);
        Assert.Equal("${workflow.input.n}", resolved["empty"]); // raw template value, as Conductor does
        Assert.Equal(2L, resolved["extra"]);
    }

    [Fact]
    public void Secrets_stay_literal_and_environment_variables_resolve()
    {
        Environment.SetEnvironmentVariable("CT_EXPR_TEST_VAR", "from-env");
        Assert.Equal("${workflow.secrets.apiKey}", ParameterResolver.ResolveValue("${workflow.secrets.apiKey}", Context()));
        Assert.Equal("from-env", ParameterResolver.ResolveValue("${workflow.env.CT_EXPR_TEST_VAR}", Context()));
        Assert.Equal("v=from-env", ParameterResolver.ResolveValue("v=${CT_EXPR_TEST_VAR}", Context()));
    }
}
