using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class OperatorTests : EngineTestBase
{
    private static WorkflowTask Op(string type, string reference, Dictionary<string, object?>? input = null) =>
        new() { Name = reference, TaskReferenceName = reference, Type = type, InputParameters = input };

    [Fact]
    public async Task Switch_value_param_runs_the_matching_case_then_continues()
    {
        var sw = Op(WorkflowTaskTypes.Switch, "route", new() { ["kind"] = "b" });
        sw.EvaluatorType = "value-param";
        sw.Expression = "kind";
        sw.DecisionCases = new() { ["a"] = new() { Simple("case_a") }, ["b"] = new() { Simple("case_b1"), Simple("case_b2") } };
        sw.DefaultCase = new() { Simple("fallback") };
        var id = await StartAsync(Def("switch_wf", sw, Simple("after_switch")));

        var workflow = await GetAsync(id);
        var route = workflow.Tasks[0];
        Assert.Equal(ConductorTaskStatus.COMPLETED, route.Status);
        Assert.Equal("SWITCH", route.TaskType);
        Assert.Equal("b", route.OutputData!["selectedCase"]);
        Assert.Equal(new List<object?> { "b" }, route.OutputData["evaluationResult"]);
        await CompleteAsync(await PollOneAsync("case_b1"));
        await CompleteAsync(await PollOneAsync("case_b2"));
        await CompleteAsync(await PollOneAsync("after_switch"));
        workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(new[] { "route", "case_b1", "case_b2", "after_switch" }, workflow.Tasks.Select(t => t.ReferenceTaskName));
    }

    [Fact]
    public async Task Switch_without_a_matching_case_takes_the_default_and_an_empty_case_does_nothing()
    {
        var sw = Op(WorkflowTaskTypes.Switch, "route2", new() { ["kind"] = 42L });
        sw.EvaluatorType = "value-param";
        sw.Expression = "kind";
        sw.DecisionCases = new() { ["a"] = new() { Simple("never") }, ["7"] = new() };
        sw.DefaultCase = new() { Simple("default_task") };
        var id = await StartAsync(Def("switch_default", sw));
        Assert.Equal("42", (await GetAsync(id)).Tasks[0].OutputData!["selectedCase"]);
        await CompleteAsync(await PollOneAsync("default_task"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        sw.InputParameters = new() { ["kind"] = 7L };
        var empty = await StartAsync(Def("switch_empty", sw, Simple("after_empty")));
        await CompleteAsync(await PollOneAsync("after_empty"));
        var workflow = await GetAsync(empty);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(new[] { "route2", "after_empty" }, workflow.Tasks.Select(t => t.ReferenceTaskName));
    }

    [Fact]
    public async Task Decision_with_case_value_param()
    {
        var decision = Op(WorkflowTaskTypes.Decision, "decide", new() { ["p"] = "yes" });
        decision.CaseValueParam = "p";
        decision.DecisionCases = new() { ["yes"] = new() { Simple("yes_task") } };
        var id = await StartAsync(Def("decision_wf", decision));
        Assert.Equal(new List<object?> { "yes" }, (await GetAsync(id)).Tasks[0].OutputData!["caseOutput"]);
        await CompleteAsync(await PollOneAsync("yes_task"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Fork_join_runs_branches_in_parallel_and_join_collects_outputs()
    {
        var fork = Op(WorkflowTaskTypes.ForkJoin, "fork");
        fork.ForkTasks = new() { new() { Simple("left1"), Simple("left2") }, new() { Simple("right") } };
        var join = Op(WorkflowTaskTypes.Join, "join");
        join.JoinOn = new() { "left2", "right" };
        var id = await StartAsync(Def("fork_wf", fork, join, Simple("after_join")));

        var workflow = await GetAsync(id);
        Assert.Equal(new[] { "fork", "left1", "right", "join" }, workflow.Tasks.Select(t => t.ReferenceTaskName));
        Assert.Equal("FORK", workflow.Tasks[0].TaskType);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, workflow.Tasks[3].Status);

        await CompleteAsync(await PollOneAsync("right"), new() { ["r"] = 1L });
        await CompleteAsync(await PollOneAsync("left1"));
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await GetAsync(id)).Tasks.Single(t => t.ReferenceTaskName == "join").Status);
        await CompleteAsync(await PollOneAsync("left2"), new() { ["l"] = 2L });

        workflow = await GetAsync(id);
        var joined = workflow.Tasks.Single(t => t.ReferenceTaskName == "join");
        Assert.Equal(ConductorTaskStatus.COMPLETED, joined.Status);
        Assert.Equal(new Dictionary<string, object?> { ["l"] = 2L }, joined.OutputData!["left2"]);
        Assert.Equal(new Dictionary<string, object?> { ["r"] = 1L }, joined.OutputData["right"]);
        await CompleteAsync(await PollOneAsync("after_join"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Join_completes_with_errors_when_an_optional_branch_failed()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("opt_branch") { RetryCount = 0 } }, Ct);
        var fork = Op(WorkflowTaskTypes.ForkJoin, "fork_opt");
        var optional = Simple("opt_branch");
        optional.Optional = true;
        fork.ForkTasks = new() { new() { optional }, new() { Simple("ok_branch") } };
        var join = Op(WorkflowTaskTypes.Join, "join_opt");
        join.JoinOn = new() { "opt_branch", "ok_branch" };
        var id = await StartAsync(Def("fork_opt_wf", fork, join));
        await FailAsync(await PollOneAsync("opt_branch"));
        await CompleteAsync(await PollOneAsync("ok_branch"));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(ConductorTaskStatus.COMPLETED_WITH_ERRORS, workflow.Tasks.Single(t => t.ReferenceTaskName == "join_opt").Status);
    }

    [Fact]
    public async Task Failed_branch_fails_the_workflow_and_cancels_the_other_branch()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("bad_branch") { RetryCount = 0 } }, Ct);
        var fork = Op(WorkflowTaskTypes.ForkJoin, "fork_bad");
        fork.ForkTasks = new() { new() { Simple("bad_branch") }, new() { Simple("slow_branch") } };
        var join = Op(WorkflowTaskTypes.Join, "join_bad");
        join.JoinOn = new() { "bad_branch", "slow_branch" };
        var id = await StartAsync(Def("fork_bad_wf", fork, join));
        await FailAsync(await PollOneAsync("bad_branch"));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal(ConductorTaskStatus.CANCELED, workflow.Tasks.Single(t => t.ReferenceTaskName == "slow_branch").Status);
        Assert.Equal(ConductorTaskStatus.CANCELED, workflow.Tasks.Single(t => t.ReferenceTaskName == "join_bad").Status);
        Assert.Null(await Engine.PollAsync("slow_branch", "w1", null, Ct));
    }

    [Fact]
    public async Task Dynamic_fork_from_fork_task_inputs()
    {
        var fork = Op(WorkflowTaskTypes.ForkJoinDynamic, "dyn", new()
        {
            ["forkTaskName"] = "each",
            ["forkTaskInputs"] = new List<object?> { new Dictionary<string, object?> { ["n"] = 1L }, 2L },
        });
        var join = Op(WorkflowTaskTypes.Join, "dyn_join");
        var id = await StartAsync(Def("dyn_fork_wf", fork, join));
        var workflow = await GetAsync(id);
        Assert.Equal(new[] { "dyn", "_each_0", "_each_1", "dyn_join" }, workflow.Tasks.Select(t => t.ReferenceTaskName));
        Assert.Equal(new List<object?> { "_each_0", "_each_1" }, workflow.Tasks[0].InputData!["forkedTasks"]);

        var first = await PollOneAsync("each");
        var second = await PollOneAsync("each");
        Assert.Equal(1L, first.InputData!["n"]);
        Assert.Equal(0L, first.InputData["__index"]);
        Assert.Equal(2L, second.InputData!["input"]);
        await CompleteAsync(first, new() { ["v"] = "a" });
        await CompleteAsync(second, new() { ["v"] = "b" });
        workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(2, ((Dictionary<string, object?>)workflow.Output!).Count);
    }

    [Fact]
    public async Task Dynamic_fork_from_a_task_list_and_input_map()
    {
        var fork = Op(WorkflowTaskTypes.ForkJoinDynamic, "dyn_a", new()
        {
            ["tasks"] = new List<object?>
            {
                new Dictionary<string, object?> { ["name"] = "dyn_x", ["taskReferenceName"] = "x1", ["type"] = "SIMPLE" },
                new Dictionary<string, object?> { ["name"] = "dyn_y", ["taskReferenceName"] = "y1", ["type"] = "SIMPLE" },
            },
            ["inputs"] = new Dictionary<string, object?> { ["x1"] = new Dictionary<string, object?> { ["k"] = "vx" } },
        });
        fork.DynamicForkTasksParam = "tasks";
        fork.DynamicForkTasksInputParamName = "inputs";
        var id = await StartAsync(Def("dyn_list_wf", fork, Op(WorkflowTaskTypes.Join, "dyn_a_join")));
        var x = await PollOneAsync("dyn_x");
        Assert.Equal("vx", x.InputData!["k"]);
        await CompleteAsync(x);
        await CompleteAsync(await PollOneAsync("dyn_y"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Set_variable_terminate_and_noop()
    {
        var set = Op(WorkflowTaskTypes.SetVariable, "set", new() { ["color"] = "red", ["n"] = 3L });
        var noop = Op(WorkflowTaskTypes.Noop, "nothing");
        var terminate = Op(WorkflowTaskTypes.Terminate, "stop", new()
        {
            ["terminationStatus"] = "COMPLETED",
            ["workflowOutput"] = new Dictionary<string, object?> { ["result"] = "early" },
        });
        var def = Def("set_term_wf", set, noop, terminate, Simple("unreached"));
        def.Variables = new() { ["color"] = "blue", ["keep"] = true };
        var id = await StartAsync(def);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(new Dictionary<string, object?> { ["color"] = "red", ["keep"] = true, ["n"] = 3L }, workflow.Variables);
        Assert.Equal(new Dictionary<string, object?> { ["result"] = "early" }, workflow.Output);
        Assert.Equal(new[] { "set", "nothing", "stop" }, workflow.Tasks.Select(t => t.ReferenceTaskName));
        Assert.All(workflow.Tasks, t => Assert.Equal(ConductorTaskStatus.COMPLETED, t.Status));
    }

    [Fact]
    public async Task Terminate_with_failed_status_fails_the_workflow_cancels_branches_and_starts_the_failure_workflow()
    {
        await Engine.RegisterWorkflowDefAsync(Def("on_fail", Op(WorkflowTaskTypes.Noop, "n")), cancellationToken: Ct);
        var fork = Op(WorkflowTaskTypes.ForkJoin, "f");
        fork.ForkTasks = new()
        {
            new() { Op(WorkflowTaskTypes.Terminate, "kill", new() { ["terminationStatus"] = "FAILED", ["terminationReason"] = "bad order" }) },
            new() { Simple("other") },
        };
        var join = Op(WorkflowTaskTypes.Join, "j");
        join.JoinOn = new() { "kill", "other" };
        var def = Def("terminate_failed", fork, join);
        def.FailureWorkflow = "on_fail";
        var id = await StartAsync(def);
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Equal("bad order", workflow.ReasonForIncompletion);
        Assert.Equal(ConductorTaskStatus.CANCELED, workflow.Tasks.Single(t => t.ReferenceTaskName == "other").Status);
        Assert.True(workflow.Output!.ContainsKey("conductor.failure_workflow"));

        // An invalid status never reaches the runtime: Conductor refuses it at registration.
        var bad = Op(WorkflowTaskTypes.Terminate, "bad_status", new() { ["terminationStatus"] = "PAUSED" });
        var invalid = await Assert.ThrowsAsync<ConductorException>(() => StartAsync(Def("terminate_invalid", bad)));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Contains(invalid.ValidationErrors, e => e.Path!.EndsWith("inputParameters.terminationStatus", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sub_workflow_runs_the_child_and_takes_its_output()
    {
        await Engine.RegisterWorkflowDefAsync(Def("child", Simple("child_task")), cancellationToken: Ct);
        var sub = Op(WorkflowTaskTypes.SubWorkflow, "sub", new() { ["x"] = 5L });
        sub.SubWorkflowParam = new SubWorkflowParams { Name = "child", Version = 1 };
        var id = await StartAsync(Def("parent", sub, Simple("after_sub")), correlationId: "corr-p");

        var parentTask = (await GetAsync(id)).Tasks.Single();
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, parentTask.Status);
        var child = await GetAsync(parentTask.SubWorkflowId!);
        Assert.Equal(id, child.ParentWorkflowId);
        Assert.Equal(parentTask.TaskId, child.ParentWorkflowTaskId);
        Assert.Equal("corr-p", child.CorrelationId);
        Assert.Equal(5L, child.Input!["x"]);

        await CompleteAsync(await PollOneAsync("child_task"), new() { ["made"] = "it" });
        var parent = await GetAsync(id);
        var done = parent.Tasks[0];
        Assert.Equal(ConductorTaskStatus.COMPLETED, done.Status);
        Assert.Equal("it", done.OutputData!["made"]);
        Assert.Equal(child.WorkflowId, done.OutputData["subWorkflowId"]);
        await CompleteAsync(await PollOneAsync("after_sub"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Sub_workflow_failure_fails_the_parent_and_terminating_the_parent_terminates_the_child()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("child_fail") { RetryCount = 0 } }, Ct);
        await Engine.RegisterWorkflowDefAsync(Def("child2", Simple("child_fail")), cancellationToken: Ct);
        var sub = Op(WorkflowTaskTypes.SubWorkflow, "sub2");
        sub.SubWorkflowParam = new SubWorkflowParams { Name = "child2" };
        var id = await StartAsync(Def("parent2", sub));
        await FailAsync(await PollOneAsync("child_fail"), "child broke");
        var parent = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, parent.Status);
        Assert.Equal(ConductorTaskStatus.FAILED, parent.Tasks[0].Status);

        var other = await Engine.StartWorkflowAsync("parent2", new Dictionary<string, object?>(), cancellationToken: Ct);
        var childId = (await GetAsync(other)).Tasks[0].SubWorkflowId!;
        await Engine.TerminateWorkflowAsync(other, "parent stop", Ct);
        Assert.Equal(WorkflowStatus.TERMINATED, (await GetAsync(childId)).Status);
        Assert.Null(await Engine.PollAsync("child_fail", "w1", null, Ct));
    }

    [Fact]
    public async Task Start_workflow_fires_and_forgets()
    {
        await Engine.RegisterWorkflowDefAsync(Def("fired", Simple("fired_task")), cancellationToken: Ct);
        var start = Op(WorkflowTaskTypes.StartWorkflow, "launch", new()
        {
            ["startWorkflow"] = new Dictionary<string, object?> { ["name"] = "fired", ["input"] = new Dictionary<string, object?> { ["q"] = 1L } },
        });
        var id = await StartAsync(Def("launcher", start), correlationId: "c-launch");
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        var launched = await GetAsync((string)workflow.Tasks[0].OutputData!["workflowId"]!);
        Assert.Equal("fired", launched.WorkflowName);
        Assert.Equal("c-launch", launched.CorrelationId);
        Assert.Equal(WorkflowStatus.RUNNING, launched.Status);

        var broken = Op(WorkflowTaskTypes.StartWorkflow, "launch_bad", new()
        {
            ["startWorkflow"] = new Dictionary<string, object?> { ["name"] = "no_such_workflow" },
        });
        var failed = await StartAsync(Def("launcher_bad", broken));
        Assert.Equal(ConductorTaskStatus.FAILED, (await GetAsync(failed)).Tasks[0].Status);
    }

    [Fact]
    public async Task Dynamic_task_takes_its_name_from_the_input()
    {
        var dynamic = Op(WorkflowTaskTypes.Dynamic, "dyn_task", new() { ["taskToRun"] = "resolved_worker", ["arg"] = 1L });
        dynamic.DynamicTaskNameParam = "taskToRun";
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("resolved_worker") }, Ct);
        var id = await StartAsync(Def("dynamic_wf", dynamic));
        var task = await PollOneAsync("resolved_worker");
        Assert.Equal("resolved_worker", task.TaskDefName);
        Assert.Equal("dyn_task", task.ReferenceTaskName);
        await CompleteAsync(task);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);

        dynamic.InputParameters = new() { ["arg"] = 1L };
        var missing = await StartAsync(Def("dynamic_missing", dynamic));
        Assert.Equal(WorkflowStatus.FAILED, (await GetAsync(missing)).Status);
    }

    [Fact]
    public async Task Do_while_over_a_list_runs_one_iteration_per_item()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop", new() { ["_items"] = new List<object?> { "a", "b", "c" } });
        loop.LoopOver = new() { Simple("body"), Op(WorkflowTaskTypes.Noop, "tick") };
        var id = await StartAsync(Def("loop_wf", loop, Simple("after_loop")));
        for (var i = 1; i <= 3; i++)
        {
            var body = await PollOneAsync("body");
            Assert.Equal("body__" + i, body.ReferenceTaskName);
            Assert.Equal(i, body.Iteration);
            var running = (await GetAsync(id)).Tasks[0];
            Assert.Equal((long)i, running.OutputData!["iteration"]);
            Assert.Equal(new[] { "a", "b", "c" }[i - 1], running.OutputData["loopItem"]);
            await CompleteAsync(body, new() { ["n"] = (long)i });
        }
        var workflow = await GetAsync(id);
        var done = workflow.Tasks[0];
        Assert.Equal(ConductorTaskStatus.COMPLETED, done.Status);
        Assert.Equal(3L, done.OutputData!["iteration"]);
        Assert.Equal(new Dictionary<string, object?> { ["n"] = 2L }, ((Dictionary<string, object?>)done.OutputData["2"]!)["body"]);
        Assert.Equal(new[] { "loop", "body__1", "tick__1", "body__2", "tick__2", "body__3", "tick__3", "after_loop" },
            workflow.Tasks.Select(t => t.ReferenceTaskName));
        await CompleteAsync(await PollOneAsync("after_loop"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Do_while_with_an_empty_list_completes_at_once()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "empty_loop", new() { ["_items"] = new List<object?>() });
        loop.LoopOver = new() { Simple("never_runs") };
        var id = await StartAsync(Def("empty_loop_wf", loop));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(0L, workflow.Tasks.Single().OutputData!["iteration"]);
    }

    [Fact]
    public async Task Sub_workflow_with_an_inline_definition_and_retry_resumes_inside_the_child()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("inner") { RetryCount = 0 } }, Ct);
        var sub = Op(WorkflowTaskTypes.SubWorkflow, "inline_sub", new() { ["a"] = 1L });
        sub.SubWorkflowParam = new SubWorkflowParams
        {
            WorkflowDefinition = new Dictionary<string, object?>
            {
                ["name"] = "inline_child",
                ["tasks"] = new List<object?> { new Dictionary<string, object?> { ["name"] = "inner", ["taskReferenceName"] = "inner" } },
            },
        };
        var id = await StartAsync(Def("inline_parent", sub));
        var childId = (await GetAsync(id)).Tasks[0].SubWorkflowId!;
        var child = await GetAsync(childId);
        Assert.Equal("inline_child", child.WorkflowName);
        Assert.Equal(new Dictionary<string, object?> { ["dynamic"] = true }, child.Input!["_systemMetadata"]);

        await FailAsync(await PollOneAsync("inner"));
        Assert.Equal(WorkflowStatus.FAILED, (await GetAsync(id)).Status);

        await Engine.RetryWorkflowAsync(id, resumeSubworkflowTasks: true, Ct);
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(childId)).Status);
        Assert.Equal(WorkflowStatus.RUNNING, (await GetAsync(id)).Status);
        await CompleteAsync(await PollOneAsync("inner"), new() { ["fixed"] = true });
        var parent = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, parent.Status);
        Assert.Equal(childId, Assert.Single(parent.Tasks).SubWorkflowId);
        Assert.Equal(true, parent.Tasks[0].OutputData!["fixed"]);
    }
}
