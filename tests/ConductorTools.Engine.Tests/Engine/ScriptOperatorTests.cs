using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Operators that evaluate expressions and scripts, end to end through IConductorApi.</summary>
public class ScriptOperatorTests : EngineTestBase
{
    [Fact]
    public async Task Inline_javascript_computes_from_resolved_inputs()
    {
        var id = await StartAsync(Def("inline_js", new WorkflowTask
        {
            Name = "calc", TaskReferenceName = "calc", Type = WorkflowTaskTypes.Inline,
            InputParameters = new()
            {
                ["evaluatorType"] = "javascript",
                ["expression"] = "(function(){ return { total: $.price * $.qty, who: 'order ' + $.id }; })()",
                ["price"] = "${workflow.input.price}", ["qty"] = 3L, ["id"] = "${workflow.input.id}",
            },
        }), new() { ["price"] = 5L, ["id"] = "A1" });

        var wf = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, wf.Status);
        var result = (IDictionary<string, object?>)wf.Tasks.Single().OutputData!["result"]!;
        Assert.Equal(15L, result["total"]);
        Assert.Equal("order A1", result["who"]);
    }

    [Fact]
    public async Task Inline_script_error_fails_the_task_terminally()
    {
        var id = await StartAsync(Def("inline_err", new WorkflowTask
        {
            Name = "bad", TaskReferenceName = "bad", Type = WorkflowTaskTypes.Inline,
            InputParameters = new() { ["evaluatorType"] = "javascript", ["expression"] = "$.nothing.here" },
        }));
        var wf = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, wf.Status);
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, wf.Tasks.Single().Status);
    }

    [Fact]
    public async Task Switch_with_javascript_routes_on_the_stringified_result()
    {
        var def = Def("switch_js", new WorkflowTask
        {
            Name = "route", TaskReferenceName = "route", Type = WorkflowTaskTypes.Switch, EvaluatorType = "javascript",
            Expression = "$.amount > 100 ? 'big' : 'small'",
            InputParameters = new() { ["amount"] = "${workflow.input.amount}" },
            DecisionCases = new() { ["big"] = [Simple("approve")], ["small"] = [Simple("auto")] },
        });
        var big = await StartAsync(def, new() { ["amount"] = 500L });
        var small = await StartAsync(def, new() { ["amount"] = 5L });
        Assert.Equal("approve", (await GetAsync(big)).Tasks.Last().ReferenceTaskName);
        Assert.Equal("auto", (await GetAsync(small)).Tasks.Last().ReferenceTaskName);
        Assert.Equal(new List<object?> { "big" }, (await GetAsync(big)).Tasks[0].OutputData!["evaluationResult"]);
    }

    [Fact]
    public async Task Do_while_loops_while_its_javascript_condition_holds()
    {
        var id = await StartAsync(Def("loop_js", new WorkflowTask
        {
            Name = "loop", TaskReferenceName = "loop", Type = WorkflowTaskTypes.DoWhile,
            LoopCondition = "if ($.loop['iteration'] < $.times) { true; } else { false; }",
            InputParameters = new() { ["times"] = "${workflow.input.times}" },
            LoopOver = [Simple("work")],
        }), new() { ["times"] = 3L });

        for (var i = 1; i <= 3; i++)
        {
            var task = await PollOneAsync("work");
            Assert.Equal($"work__{i}", task.ReferenceTaskName);
            await CompleteAsync(task, new() { ["i"] = (long)i });
        }
        var wf = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, wf.Status);
        Assert.Null(await Engine.PollAsync("work", "w1", null, Ct));
    }

    [Fact]
    public async Task Expressions_pass_outputs_between_tasks_and_into_the_workflow_output()
    {
        var def = Def("chain", Simple("first", "a"), Simple("second", "b", new() { ["fromA"] = "${a.output.value}", ["text"] = "got ${a.output.value}" }));
        def.OutputParameters = new() { ["final"] = "${b.output.done}", ["seen"] = "${b.input.fromA}" };
        var id = await StartAsync(def);
        await CompleteAsync(await PollOneAsync("first"), new() { ["value"] = 42L });
        var second = await PollOneAsync("second");
        Assert.Equal(42L, second.InputData!["fromA"]);
        Assert.Equal("got 42", second.InputData["text"]);
        await CompleteAsync(second, new() { ["done"] = true });
        var wf = await GetAsync(id);
        Assert.Equal(true, wf.Output!["final"]);
        Assert.Equal(42L, wf.Output["seen"]);
    }

    [Fact]
    public async Task Wait_with_a_duration_completes_when_the_clock_passes_it()
    {
        var id = await StartAsync(Def("wait_dur", new WorkflowTask
        {
            Name = "pause", TaskReferenceName = "pause", Type = WorkflowTaskTypes.Wait, InputParameters = new() { ["duration"] = "1m 30s" },
        }));
        await AdvanceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);
        await AdvanceAsync(TimeSpan.FromSeconds(31));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Jq_transform_and_invalid_javascript_are_rejected_at_registration_naming_the_problem()
    {
        var jq = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("jq", new WorkflowTask
        {
            Name = "jq", TaskReferenceName = "jq", Type = WorkflowTaskTypes.JsonJqTransform,
            InputParameters = new() { ["queryExpression"] = ".a | {" },
        }), cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.Validation, jq.Kind);
        Assert.Contains("JSON_JQ_TRANSFORM task jq is not a valid jq filter", jq.Message);
        Assert.Contains("column", jq.Message);

        var js = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("badjs", new WorkflowTask
        {
            Name = "route", TaskReferenceName = "route", Type = WorkflowTaskTypes.Switch, EvaluatorType = "javascript",
            Expression = "if ($.a > {", DecisionCases = new() { ["x"] = [Simple("x")] },
        }), cancellationToken: Ct));
        Assert.Contains("expression of SWITCH task route is not valid JavaScript", js.Message);
    }
}
