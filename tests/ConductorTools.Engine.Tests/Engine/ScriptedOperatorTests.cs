using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class ScriptedOperatorTests : EngineTestBase
{
    private static WorkflowTask Op(string type, string reference, Dictionary<string, object?>? input = null) =>
        new() { Name = reference, TaskReferenceName = reference, Type = type, InputParameters = input };

    [Fact]
    public async Task Inline_javascript_returns_the_last_value_with_ints_as_ints()
    {
        var inline = Op(WorkflowTaskTypes.Inline, "calc", new()
        {
            ["evaluatorType"] = "javascript",
            ["expression"] = "(function(){ var list = []; for (var i = 0; i < $.n; i++) { list.push(i * $.k); } return { total: $.n * $.k, list: list, half: $.n / 2, name: 'x' + $.n }; })()",
            ["n"] = 3L,
            ["k"] = 2L,
        });
        var id = await StartAsync(Def("inline_wf", inline));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var result = (Dictionary<string, object?>)workflow.Tasks[0].OutputData!["result"]!;
        Assert.Equal(6L, result["total"]);
        Assert.Equal(new List<object?> { 0L, 2L, 4L }, result["list"]);
        Assert.Equal(1.5, result["half"]);
        Assert.Equal("x3", result["name"]);
        Assert.Equal(result, workflow.Output!["result"]);
    }

    [Fact]
    public async Task Inline_value_param_and_script_errors()
    {
        var valueParam = Op(WorkflowTaskTypes.Inline, "pick", new() { ["evaluatorType"] = "value-param", ["expression"] = "v", ["v"] = "chosen" });
        var id = await StartAsync(Def("inline_vp", valueParam));
        Assert.Equal("chosen", (await GetAsync(id)).Tasks[0].OutputData!["result"]);

        var broken = Op(WorkflowTaskTypes.Inline, "broken", new() { ["expression"] = "$.missing.deeper" });
        var failed = await StartAsync(Def("inline_error", broken));
        var workflow = await GetAsync(failed);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, workflow.Tasks[0].Status);
        Assert.True(workflow.Tasks[0].OutputData!.ContainsKey("error"));

        // A syntax error is refused when the workflow is registered, naming the task.
        var bad = Op(WorkflowTaskTypes.Inline, "bad_syntax", new() { ["expression"] = "[1, 2].map(x => x * )" });
        var syntax = await Assert.ThrowsAsync<ConductorException>(() => StartAsync(Def("inline_bad_syntax", bad)));
        Assert.Equal(400, syntax.StatusCode);
        Assert.Contains(syntax.ValidationErrors, e => e.Message!.Contains("bad_syntax"));
    }

    [Fact]
    public async Task Switch_javascript_stringifies_the_result()
    {
        var sw = Op(WorkflowTaskTypes.Switch, "js_route", new() { ["amount"] = 150L });
        sw.EvaluatorType = "javascript";
        sw.Expression = "$.amount > 100 ? 'big' : 'small'";
        sw.DecisionCases = new() { ["big"] = new() { Simple("big_task") }, ["small"] = new() { Simple("small_task") } };
        var id = await StartAsync(Def("switch_js", sw));
        Assert.Equal("big", (await GetAsync(id)).Tasks[0].OutputData!["selectedCase"]);
        await CompleteAsync(await PollOneAsync("big_task"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        sw.Expression = "$.amount / 50";
        sw.DecisionCases = new() { ["3"] = new() { Simple("three") } };
        Assert.Equal("3", (await GetAsync(await StartAsync(Def("switch_js_number", sw)))).Tasks[0].OutputData!["selectedCase"]);

        var decision = Op(WorkflowTaskTypes.Decision, "js_decision", new() { ["flag"] = true });
        decision.CaseExpression = "$.flag";
        decision.DecisionCases = new() { ["true"] = new() { Op(WorkflowTaskTypes.Noop, "yes") } };
        var decided = await GetAsync(await StartAsync(Def("decision_js", decision)));
        Assert.Equal(WorkflowStatus.COMPLETED, decided.Status);
        Assert.Equal("yes", decided.Tasks[1].ReferenceTaskName);

        sw.Expression = "throw new Error('nope')";
        var failed = await GetAsync(await StartAsync(Def("switch_js_error", sw)));
        Assert.Equal(WorkflowStatus.FAILED, failed.Status);
        Assert.Equal(ConductorTaskStatus.FAILED, failed.Tasks[0].Status);
    }

    [Fact]
    public async Task Do_while_repeats_while_the_condition_holds()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop", new() { ["max"] = 3L });
        loop.LoopCondition = "if ($.loop['iteration'] < $.max) { true; } else { false; }";
        loop.LoopOver = new() { Simple("step") };
        var id = await StartAsync(Def("do_while_js", loop));
        for (var i = 1; i <= 3; i++)
        {
            var step = await PollOneAsync("step");
            Assert.Equal("step__" + i, step.ReferenceTaskName);
            await CompleteAsync(step, new() { ["i"] = (long)i });
        }
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(3L, workflow.Tasks[0].OutputData!["iteration"]);
        Assert.Null(await Engine.PollAsync("step", "w1", null, Ct));

        loop.LoopCondition = "$.step.i < 2"; // children's latest output is visible by reference name
        var byOutput = await StartAsync(Def("do_while_output", loop));
        await CompleteAsync(await PollOneAsync("step"), new() { ["i"] = 1L });
        await CompleteAsync(await PollOneAsync("step"), new() { ["i"] = 2L });
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(byOutput)).Status);

        loop.LoopCondition = "$.nothing.here";
        var broken = await StartAsync(Def("do_while_error", loop));
        await CompleteAsync(await PollOneAsync("step"));
        var failed = await GetAsync(broken);
        Assert.Equal(WorkflowStatus.FAILED, failed.Status);
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, failed.Tasks[0].Status);
    }

    [Fact]
    public async Task Wait_with_a_duration_completes_when_the_clock_passes_it()
    {
        var wait = Op(WorkflowTaskTypes.Wait, "pause", new() { ["duration"] = "1m 30s" });
        var id = await StartAsync(Def("wait_duration", wait, Simple("after_wait")));
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(id)).Tasks[0].Status);
        await AdvanceAsync(TimeSpan.FromSeconds(89));
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(id)).Tasks[0].Status);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(ConductorTaskStatus.COMPLETED, (await GetAsync(id)).Tasks[0].Status);
        Assert.NotNull(await Engine.PollAsync("after_wait", "w1", null, Ct));
    }

    [Fact]
    public async Task Wait_until_a_time_and_bad_inputs_fail_terminally()
    {
        var until = Clock.GetUtcNow().AddHours(2).UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        var id = await StartAsync(Def("wait_until", Op(WorkflowTaskTypes.Wait, "until", new() { ["until"] = until + " UTC" })));
        await AdvanceAsync(TimeSpan.FromMinutes(119));
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        // Literal mistakes are refused at registration (as Conductor does); a bad value from an expression fails the task.
        var both = await Assert.ThrowsAsync<ConductorException>(() =>
            StartAsync(Def("wait_both", Op(WorkflowTaskTypes.Wait, "both", new() { ["duration"] = "1s", ["until"] = until }))));
        Assert.Equal(400, both.StatusCode);
        var literal = await Assert.ThrowsAsync<ConductorException>(() =>
            StartAsync(Def("wait_literal", Op(WorkflowTaskTypes.Wait, "literal", new() { ["duration"] = "soon" }))));
        Assert.Contains(literal.ValidationErrors, e => e.InvalidValue == "soon");
        var bad = await GetAsync(await StartAsync(Def("wait_bad", Op(WorkflowTaskTypes.Wait, "bad", new() { ["duration"] = "${workflow.input.d}" })),
            new() { ["d"] = "soon" }));
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, bad.Tasks[0].Status);
        Assert.Contains("soon", bad.Tasks[0].ReasonForIncompletion);
    }

}
