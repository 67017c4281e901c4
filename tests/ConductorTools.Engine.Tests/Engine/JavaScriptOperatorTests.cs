using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>INLINE, SWITCH and DO_WHILE on modern JavaScript, end to end: results, errors, NaN, refused evaluators.</summary>
public class JavaScriptOperatorTests : EngineTestBase
{
    private static WorkflowTask Inline(string reference, string expression, Dictionary<string, object?>? input = null, string? evaluator = "javascript")
    {
        var parameters = input is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(input);
        parameters["expression"] = expression;
        if (evaluator is not null)
        {
            parameters["evaluatorType"] = evaluator;
        }
        return new WorkflowTask { Name = reference, TaskReferenceName = reference, Type = WorkflowTaskTypes.Inline, InputParameters = parameters };
    }

    [Fact]
    public async Task Modern_javascript_registers_and_runs_in_inline_switch_and_do_while()
    {
        var inline = Inline("shape", "(() => { const { items = [] } = $; return { total: items.reduce((s, x) => s + x, 0), tag: `n=$${items.length}`, has2: items.includes(2), first: items[0] ?? null }; })()",
            new() { ["items"] = "${workflow.input.items}" });
        var sw = new WorkflowTask
        {
            Name = "route", TaskReferenceName = "route", Type = WorkflowTaskTypes.Switch, EvaluatorType = "graaljs",
            Expression = "$.total?.toString().padStart(3, '0')",
            InputParameters = new() { ["total"] = "${shape.output.result.total}" },
            DecisionCases = new() { ["006"] = new() { new WorkflowTask { Name = "six", TaskReferenceName = "six", Type = WorkflowTaskTypes.Noop } } },
        };
        var loop = new WorkflowTask
        {
            Name = "loop", TaskReferenceName = "loop", Type = WorkflowTaskTypes.DoWhile,
            LoopCondition = "(({ loop: { iteration } }) => iteration < 3)($)",
            LoopOver = new() { new WorkflowTask { Name = "tick", TaskReferenceName = "tick", Type = WorkflowTaskTypes.Noop } },
        };
        var id = await StartAsync(Def("modern_js", inline, sw, loop), new() { ["items"] = new List<object?> { 1L, 2L, 3L } });
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var result = (IDictionary<string, object?>)workflow.Tasks[0].OutputData!["result"]!;
        Assert.Equal(6L, result["total"]);
        Assert.Equal("n=3", result["tag"]);
        Assert.Equal(true, result["has2"]);
        Assert.Equal(1L, result["first"]);
        Assert.Equal("006", workflow.Tasks.Single(t => t.ReferenceTaskName == "route").OutputData!["selectedCase"]);
        Assert.Equal(3L, workflow.Tasks.Single(t => t.ReferenceTaskName == "loop").OutputData!["iteration"]);
    }

    [Fact]
    public async Task A_runtime_type_error_fails_the_task_with_the_error_name_message_and_line()
    {
        var id = await StartAsync(Def("js_type_error", Inline("bad", "const o = $.thing;\no.deeper.value")));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        var task = workflow.Tasks.Single();
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, task.Status);
        Assert.StartsWith("Error evaluating the script `TypeError: ", task.ReasonForIncompletion);
        Assert.EndsWith("at line 2", task.ReasonForIncompletion);
        Assert.Equal(task.ReasonForIncompletion, task.OutputData!["error"]);
    }

    [Fact]
    public async Task Nan_and_infinity_results_are_stored_as_conductor_writes_them_and_the_workflow_goes_on()
    {
        var avg = Inline("avg", "({ avg: $.sum / $.n, nan: $.n / $.n })", new() { ["sum"] = 10L, ["n"] = 0L });
        var wait = new WorkflowTask { Name = "pause", TaskReferenceName = "pause", Type = WorkflowTaskTypes.Wait, InputParameters = new() { ["duration"] = "1s" } };
        var after = Inline("after", "$.x", new() { ["x"] = "${avg.output.result.avg}" });
        var id = await StartAsync(Def("js_nan", wait, avg, after));
        await AdvanceAsync(TimeSpan.FromSeconds(2));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var result = (IDictionary<string, object?>)workflow.Tasks.Single(t => t.ReferenceTaskName == "avg").OutputData!["result"]!;
        Assert.Equal("Infinity", result["avg"]);
        Assert.Equal("NaN", result["nan"]);
        Assert.Equal("Infinity", workflow.Tasks.Single(t => t.ReferenceTaskName == "after").OutputData!["result"]);
    }

    [Fact]
    public async Task Python_evaluators_are_refused_at_registration_naming_the_task()
    {
        var inline = Inline("py_inline", "$.a + 1", evaluator: "python");
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("py_wf", inline), true, Ct));
        Assert.Equal(400, error.StatusCode);
        var problem = Assert.Single(error.ValidationErrors);
        Assert.Equal("registerWorkflowDef.workflowDef.tasks[0].inputParameters.evaluatorType", problem.Path);
        Assert.Contains("py_inline", problem.Message);
        Assert.Contains("python", problem.Message);

        var sw = new WorkflowTask
        {
            Name = "py_switch", TaskReferenceName = "py_switch", Type = WorkflowTaskTypes.Switch, EvaluatorType = "python", Expression = "1",
            DecisionCases = new() { ["1"] = new() { new WorkflowTask { Name = "n", TaskReferenceName = "n", Type = WorkflowTaskTypes.Noop } } },
        };
        var switchError = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("py_switch_wf", sw), true, Ct));
        Assert.Contains(switchError.ValidationErrors, e => e.Message!.Contains("py_switch") && e.Message.Contains("python"));
    }
}
