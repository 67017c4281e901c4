using System.Text.Json.Nodes;

namespace ConductorTools.Jq.Tests;

/// <summary>
/// The JSON_JQ_TRANSFORM shape of conductor-oss: `.` is the whole task input (queryExpression included), `result` is
/// the first output, `resultList` all of them. These filters are the ones conductor-oss's own task tests use.
/// </summary>
public sealed class ConductorCompatTests
{
    private static (JsonNode? Result, JsonArray ResultList) Transform(JsonObject taskInput)
    {
        var filter = JqFilter.Parse((string)taskInput["queryExpression"]!);
        var list = new JsonArray();
        foreach (var o in filter.Evaluate(taskInput)) list.Add(o);
        return (list.Count > 0 ? list[0]?.DeepClone() : null, list);
    }

    [Fact]
    public void Selects_data_from_the_task_input()
    {
        var (result, list) = Transform(new JsonObject { ["queryExpression"] = ".inputJson.key[0]", ["inputJson"] = new JsonObject { ["key"] = new JsonArray("VALUE") } });
        Assert.Equal("VALUE", (string)result!);
        Assert.Equal("[\"VALUE\"]", list.ToJsonString());
    }

    [Fact]
    public void The_query_expression_itself_is_part_of_the_input()
    {
        var (result, _) = Transform(new JsonObject { ["queryExpression"] = ".queryExpression | length" });
        Assert.Equal(25L, result!.GetValue<long>());
    }

    [Fact]
    public void Builds_an_object_with_alternatives()
    {
        var input = new JsonObject
        {
            ["input"] = new JsonObject { ["method"] = "POST", ["successExpression"] = null, ["requestTransform"] = "{name: (.body.name + \" you are a \" + .body.title) }", ["responseTransform"] = "{result: \"reply: \" + .response.body.message}" },
            ["queryExpression"] = "{ requestTransform: .input.requestTransform // \".body\"  , responseTransform: .input.responseTransform // \".response.body\", method: .input.method // \"GET\", document: .input.document // \"rgt_results\", successExpression: .input.successExpression // \"true\"   }",
        };
        var (result, _) = Transform(input);
        Assert.Equal("POST", (string)result!["method"]!);
        Assert.Equal("rgt_results", (string)result["document"]!);
        Assert.Equal("true", (string)result["successExpression"]!);
        Assert.Equal("{name: (.body.name + \" you are a \" + .body.title) }", (string)result["requestTransform"]!);
    }

    [Fact]
    public void If_without_a_space_and_string_results()
    {
        var (result, _) = Transform(new JsonObject { ["data"] = new JsonArray(), ["queryExpression"] = "if(.data | length >0) then \"EXISTS\" else \"CREATE\" end" });
        Assert.Equal("CREATE", (string)result!);
    }

    [Fact]
    public void List_and_null_results()
    {
        var input = JsonNode.Parse("{\"inputData\":{\"request\":{\"transitions\":[{\"name\":\"redeliver\"},{\"name\":\"redeliver_from_validation_error\"},{\"name\":\"redelivery\"}]}},\"queryExpression\":\".inputData.request.transitions | map(.name)\"}")!.AsObject();
        var (result, _) = Transform(input);
        Assert.Equal(3, result!.AsArray().Count);
        var (nul, list) = Transform(new JsonObject { ["queryExpression"] = "null" });
        Assert.Null(nul);
        Assert.Equal("[null]", list.ToJsonString());
        var (none, empty) = Transform(new JsonObject { ["queryExpression"] = "empty" });
        Assert.Null(none);
        Assert.Empty(empty);
    }

    [Fact]
    public void Postfix_iteration_on_a_parenthesized_expression_works_here()
    {
        // jackson-jq 0.0.13 rejects `(...)[]` (conductor-oss's test expects its parse error); jq and this library accept it.
        var input = JsonNode.Parse("{\"inputJson\":{\"OIDs\":[\"VALUE\"],\"requestedindicatorList\":[{\"indicator\":\"AFA\",\"value\":false}]},\"queryExpression\":\"{officeID: (.inputJson.OIDs | unique)[], requestedIndicatorList: .inputJson.requestedindicatorList}\"}")!.AsObject();
        var (result, _) = Transform(input);
        Assert.Equal("VALUE", (string)result!["officeID"]!);
    }

    [Fact]
    public void Parse_errors_say_where()
    {
        var e = Assert.Throws<JqParseException>(() => JqFilter.Parse("{"));
        Assert.Equal(1, e.Line);
        Assert.Equal(2, e.Column);
    }

    [Fact]
    public void Jackson_jq_legacy_spellings_are_accepted()
    {
        Assert.Equal("1 2 [1,2]", Jq.All("min(.), max(.), unique(.)", "[2,1,1]"));
        Assert.Equal("[1,1,2]", Jq.One("sort(.)", "[2,1,1]"));
        Assert.Equal("[[1,1],[2]]", Jq.One("group(.)", "[2,1,1]"));
    }

    [Fact]
    public void Clr_backed_nodes_from_the_engine_convert()
    {
        var input = new JsonObject { ["d"] = 1.25m, ["when"] = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), ["g"] = Guid.Empty, ["queryExpression"] = "[.d, .when, .g]" };
        var (result, _) = Transform(input);
        Assert.Equal("[1.25,\"2024-01-02T03:04:05Z\",\"00000000-0000-0000-0000-000000000000\"]", result!.ToJsonString());
    }
}
