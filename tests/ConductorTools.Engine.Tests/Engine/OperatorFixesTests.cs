using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Operators where the engine now follows conductor-oss (issue 16, "Operators").</summary>
public class OperatorFixesTests : EngineTestBase
{
    private static WorkflowTask Op(string type, string reference, Dictionary<string, object?>? input = null) =>
        new() { Name = reference, TaskReferenceName = reference, Type = type, InputParameters = input };

    [Fact]
    public async Task Do_while_keep_last_n_keeps_only_the_last_iterations_outputs_and_tasks()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop", new() { ["keepLastN"] = 2L });
        loop.LoopCondition = "$.loop.iteration < 5";
        loop.LoopOver = new() { Op(WorkflowTaskTypes.Noop, "tick"), Op(WorkflowTaskTypes.Inline, "calc", new() { ["expression"] = "1 + 1" }) };
        var id = await StartAsync(Def("keep_last_wf", loop));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var loopTask = workflow.Tasks.Single(t => t.ReferenceTaskName == "loop");
        Assert.Equal(5L, loopTask.OutputData!["iteration"]);
        Assert.Equal(new[] { "4", "5", "iteration" }, loopTask.OutputData.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new[] { "calc__4", "calc__5", "tick__4", "tick__5" },
            workflow.Tasks.Where(t => t.ReferenceTaskName != "loop").Select(t => t.ReferenceTaskName!).OrderBy(r => r, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Do_while_without_keep_last_n_keeps_every_iteration()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop");
        loop.LoopCondition = "$.loop.iteration < 3";
        loop.LoopOver = new() { Op(WorkflowTaskTypes.Noop, "tick") };
        var workflow = await GetAsync(await StartAsync(Def("keep_all_wf", loop)));
        Assert.Equal(3, workflow.Tasks.Count(t => t.ReferenceTaskName!.StartsWith("tick", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_bad_keep_last_n_is_refused_at_registration()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop", new() { ["keepLastN"] = 0L });
        loop.LoopCondition = "false";
        loop.LoopOver = new() { Op(WorkflowTaskTypes.Noop, "tick") };
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("bad_keep_wf", loop), true, Ct));
        Assert.Contains(error.ValidationErrors, e => e.Path == "registerWorkflowDef.workflowDef.tasks[0].inputParameters.keepLastN");
    }

    [Fact]
    public async Task Nested_do_while_is_refused_at_registration_with_a_message_that_says_so()
    {
        var inner = Op(WorkflowTaskTypes.DoWhile, "inner_loop");
        inner.LoopCondition = "false";
        inner.LoopOver = new() { Op(WorkflowTaskTypes.Noop, "tick") };
        var sw = Op(WorkflowTaskTypes.Switch, "route");
        sw.EvaluatorType = "value-param";
        sw.Expression = "x";
        sw.DecisionCases = new() { ["a"] = new() { inner } };
        var outer = Op(WorkflowTaskTypes.DoWhile, "outer_loop");
        outer.LoopCondition = "false";
        outer.LoopOver = new() { sw };
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("nested_loops_wf", outer), true, Ct));
        var problem = Assert.Single(error.ValidationErrors);
        Assert.Equal("registerWorkflowDef.workflowDef.tasks[0].loopOver", problem.Path);
        Assert.Contains("outer_loop", problem.Message);
        Assert.Contains("inner_loop", problem.Message);
        Assert.Contains("nested DO_WHILE", problem.Message);
    }

    [Fact]
    public async Task Dynamic_naming_an_unregistered_task_fails_the_workflow_as_conductor_does()
    {
        var dynamic = Op(WorkflowTaskTypes.Dynamic, "dyn", new() { ["taskToRun"] = "no_such_task" });
        dynamic.DynamicTaskNameParam = "taskToRun";
        var workflow = await GetAsync(await StartAsync(Def("dynamic_unknown_wf", dynamic)));
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal("Invalid task specified.  Cannot find task by name no_such_task in the task definitions", workflow.ReasonForIncompletion);
        Assert.Equal(0, await Engine.GetQueueSizeAsync("no_such_task", null, Ct));
    }

    [Fact]
    public async Task Dynamic_naming_a_system_type_runs_it_as_that_system_task()
    {
        var dynamic = Op(WorkflowTaskTypes.Dynamic, "dyn", new() { ["taskToRun"] = "${workflow.input.kind}", ["expression"] = "$.n * 2", ["n"] = 21L });
        dynamic.DynamicTaskNameParam = "taskToRun";
        var def = Def("dynamic_system_wf", dynamic);
        var noop = await GetAsync(await StartAsync(def, new() { ["kind"] = "NOOP" }));
        Assert.Equal(WorkflowStatus.COMPLETED, noop.Status);
        Assert.Equal(WorkflowTaskTypes.Noop, noop.Tasks.Single().TaskType);

        var inline = await GetAsync(await StartAsync(def, new() { ["kind"] = "INLINE" }));
        Assert.Equal(WorkflowStatus.COMPLETED, inline.Status);
        Assert.Equal(42L, inline.Tasks.Single().OutputData!["result"]);
        Assert.Equal("dyn", inline.Tasks.Single().ReferenceTaskName);
    }

    [Fact]
    public async Task Sub_workflow_inline_definition_keeps_its_own_expressions_for_the_child()
    {
        var child = new WorkflowDef
        {
            Name = "inline_child", Version = 3,
            Tasks = new() { Op(WorkflowTaskTypes.Inline, "i", new() { ["expression"] = "$.x * 2", ["x"] = "${workflow.input.x}" }) },
            OutputParameters = new() { ["doubled"] = "${i.output.result}" },
        };
        var sub = Op(WorkflowTaskTypes.SubWorkflow, "sub", new() { ["x"] = "${workflow.input.x}" });
        sub.SubWorkflowParam = new SubWorkflowParams
        {
            Name = "inline_child",
            WorkflowDefinition = ConductorTools.Model.ConductorJson.Deserialize<Dictionary<string, object?>>(ConductorTools.Model.ConductorJson.Serialize(child)),
        };
        var parent = await GetAsync(await StartAsync(Def("inline_parent", sub), new() { ["x"] = 21L }));
        Assert.Equal(WorkflowStatus.COMPLETED, parent.Status);
        Assert.Equal(42L, parent.Tasks.Single().OutputData!["doubled"]);
    }

    [Fact]
    public async Task A_failed_sub_workflow_gives_conductors_failure_reason()
    {
        var terminate = Op(WorkflowTaskTypes.Terminate, "stop", new() { ["terminationStatus"] = "FAILED", ["terminationReason"] = "nope" });
        await Engine.RegisterWorkflowDefAsync(Def("failing_child", terminate), true, Ct);
        var sub = Op(WorkflowTaskTypes.SubWorkflow, "sub");
        sub.SubWorkflowParam = new SubWorkflowParams { Name = "failing_child", Version = 1 };
        var parent = await GetAsync(await StartAsync(Def("failing_parent", sub)));
        Assert.Equal(WorkflowStatus.FAILED, parent.Status);
        var task = parent.Tasks.Single();
        Assert.Equal(ConductorTaskStatus.FAILED, task.Status);
        Assert.Equal($"Sub workflow failing_child.1/{task.SubWorkflowId} failure reason: nope", task.ReasonForIncompletion);
    }
}
