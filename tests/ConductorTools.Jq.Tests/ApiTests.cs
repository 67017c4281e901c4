using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConductorTools.Jq.Tests;

public sealed class ApiTests
{
    [Fact]
    public void Evaluates_JsonNode_input_and_returns_JsonNode_outputs()
    {
        var f = JqFilter.Parse("{ key3: (.key1.value1 + .key2.value2) }, .key1.value1, .missing, 1.5");
        var input = JsonNode.Parse("{\"key1\":{\"value1\":5},\"key2\":{\"value2\":7}}");
        var outs = f.Evaluate(input).ToList();
        Assert.Equal(4, outs.Count);
        Assert.Equal(12L, outs[0]!["key3"]!.GetValue<long>());
        Assert.Equal(JsonValueKind.Number, outs[1]!.GetValueKind());
        Assert.Null(outs[2]);
        Assert.Equal(1.5, outs[3]!.GetValue<double>());
        Assert.Equal("{\"key1\":{\"value1\":5},\"key2\":{\"value2\":7}}", input!.ToJsonString());
    }

    [Fact]
    public void Whole_numbers_come_back_as_integers_and_others_as_doubles()
    {
        var outs = JqFilter.Parse("3 / 1, 1 / 2, 2.0, 9007199254740993").Evaluate((JsonNode?)null).ToList();
        Assert.Equal("3", outs[0]!.ToJsonString());
        Assert.True(outs[0]!.AsValue().TryGetValue<long>(out _));
        Assert.Equal("0.5", outs[1]!.ToJsonString());
        Assert.True(outs[2]!.AsValue().TryGetValue<long>(out var two) && two == 2);
        Assert.Equal("9007199254740993", outs[3]!.ToJsonString());
    }

    [Fact]
    public void Accepts_JsonElement_and_CLR_backed_JsonNodes()
    {
        using var doc = JsonDocument.Parse("{\"a\":[1,2,3]}");
        Assert.Equal("6", JqFilter.Parse(".a | add").Evaluate(doc.RootElement).Single()!.ToJsonString());
        var built = new JsonObject { ["n"] = 5, ["d"] = 2.5, ["s"] = "x", ["b"] = true, ["l"] = 12345678901234L, ["arr"] = new JsonArray(1, 2) };
        Assert.Equal("[5,2.5,\"x\",true,12345678901234,[1,2]]", JqFilter.Parse("[.n, .d, .s, .b, .l, .arr]").Evaluate(built).Single()!.ToJsonString());
    }

    [Fact]
    public void Outputs_are_independent_nodes()
    {
        var outs = JqFilter.Parse(".a, .a").Evaluate(JsonNode.Parse("{\"a\":{\"x\":1}}")).ToList();
        var wrapper = new JsonArray(outs[0], outs[1]);
        Assert.Equal("[{\"x\":1},{\"x\":1}]", wrapper.ToJsonString());
    }

    [Fact]
    public void EvaluateJson_prints_like_jq_compact_output()
    {
        Assert.Equal(new[] { "{\"a\":\"é\\n\\u0001\"}", "1e+100", "0.30000000000000004", "1.7976931348623157e+308", "null" },
            JqFilter.Parse("{a: \"é\\n\\u0001\"}, 1e100, 0.1 + 0.2, infinite, nan").EvaluateJson("null").ToArray());
        Assert.Throws<JqException>(() => JqFilter.Parse(".").EvaluateJson("{bad").ToList());
    }

    [Fact]
    public void The_filter_keeps_its_text()
    {
        Assert.Equal(".a | .b", JqFilter.Parse(".a | .b").Text);
        Assert.Equal(".a | .b", JqFilter.Parse(".a | .b").ToString());
    }
}
