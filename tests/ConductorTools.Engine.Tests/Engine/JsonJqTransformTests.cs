using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>JSON_JQ_TRANSFORM in the engine, with conductor-oss's input, output and error shape (its JsonJqTransform).</summary>
public sealed class JsonJqTransformTests : EngineTestBase
{
    private static WorkflowTask Jq(string reference, object? query, Dictionary<string, object?>? more = null)
    {
        var input = new Dictionary<string, object?>(more ?? new());
        if (query is not null) input["queryExpression"] = query;
        return new WorkflowTask { Name = reference, TaskReferenceName = reference, Type = WorkflowTaskTypes.JsonJqTransform, InputParameters = input };
    }

    [Fact]
    public async Task Transforms_the_whole_input_with_result_and_resultList()
    {
        var def = Def("jq_sum", Jq("sum", "{ key3: (.key1.value1 + .key2.value2) }", new()
        {
            ["key1"] = new Dictionary<string, object?> { ["value1"] = "${workflow.input.a}" },
            ["key2"] = new Dictionary<string, object?> { ["value2"] = "${workflow.input.b}" },
        }));
        def.OutputParameters = new() { ["sum"] = "${sum.output.result.key3}" };
        var id = await StartAsync(def, new() { ["a"] = 40L, ["b"] = 2L });

        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var output = workflow.Tasks[0].OutputData!;
        Assert.Equal(new Dictionary<string, object?> { ["key3"] = 42L }, output["result"]);
        Assert.Equal(new List<object?> { new Dictionary<string, object?> { ["key3"] = 42L } }, output["resultList"]);
        Assert.Equal(42L, workflow.Output!["sum"]);
    }

    [Fact]
    public async Task Sees_its_own_queryExpression_and_gives_every_output_whole_numbers_as_integers()
    {
        var id = await StartAsync(Def("jq_many", Jq("many", ".items[] | ., (. / 2)", new() { ["items"] = new List<object?> { 3L, 4L } })));
        var output = (await GetAsync(id)).Tasks[0].OutputData!;
        Assert.Equal(3L, output["result"]);
        Assert.Equal(new List<object?> { 3L, 1.5, 4L, 2L }, output["resultList"]);

        var self = await StartAsync(Def("jq_self", Jq("self", ".queryExpression | length")));
        Assert.Equal((long)".queryExpression | length".Length, (await GetAsync(self)).Tasks[0].OutputData!["result"]);
    }

    [Fact]
    public async Task No_output_gives_a_null_result_and_an_empty_list()
    {
        var id = await StartAsync(Def("jq_none", Jq("none", "empty")));
        var task = (await GetAsync(id)).Tasks[0];
        Assert.Equal(ConductorTaskStatus.COMPLETED, task.Status);
        Assert.Null(task.OutputData!["result"]);
        Assert.Equal(new List<object?>(), task.OutputData["resultList"]);
    }

    [Fact]
    public async Task A_runtime_error_fails_the_task_with_jq_s_message_in_error_and_reason()
    {
        var id = await StartAsync(Def("jq_err", Jq("err", ".n + \"x\"", new() { ["n"] = 1L })));
        var workflow = await GetAsync(id);
        var task = workflow.Tasks[0];
        Assert.Equal(ConductorTaskStatus.FAILED, task.Status);
        Assert.Equal("number (1) and string (\"x\") cannot be added", task.ReasonForIncompletion);
        Assert.Equal(task.ReasonForIncompletion, task.OutputData!["error"]);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
    }

    [Fact]
    public async Task A_filter_that_never_ends_fails_its_own_task_within_its_budget()
    {
        var id = await StartAsync(Def("jq_loop", Jq("loop", "def f: f; f")));
        var looping = (await GetAsync(id)).Tasks[0];
        Assert.Equal(ConductorTaskStatus.FAILED, looping.Status);
        var other = await StartAsync(Def("jq_after", Jq("after", ".x", new() { ["x"] = 1L })));
        Assert.Equal(1L, (await GetAsync(other)).Tasks[0].OutputData!["result"]);
    }

    [Fact]
    public async Task A_filter_given_by_an_expression_is_checked_when_it_runs()
    {
        var id = await StartAsync(Def("jq_dynamic", Jq("dyn", "${workflow.input.filter}", new() { ["v"] = 5L })), new() { ["filter"] = ".v * 2" });
        Assert.Equal(10L, (await GetAsync(id)).Tasks[0].OutputData!["result"]);

        var bad = await StartAsync(Def("jq_dynamic_bad", Jq("dyn", "${workflow.input.filter}")), new() { ["filter"] = ".[" });
        var task = (await GetAsync(bad)).Tasks[0];
        Assert.Equal(ConductorTaskStatus.FAILED, task.Status);
        Assert.Contains("syntax error", task.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_needs_a_queryExpression()
    {
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("jq_missing", Jq("nofilter", null)), cancellationToken: Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains(error.ValidationErrors, e => e.Message!.Contains("nofilter", StringComparison.Ordinal) && e.Message.Contains("queryExpression", StringComparison.Ordinal));
    }
}
