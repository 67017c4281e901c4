using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>
/// Registration-time validation with conductor-oss's rules (TaskDef/WorkflowDef/WorkflowTask bean constraints,
/// TaskTimeoutConstraint, TaskReferenceNameUniqueConstraint, WorkflowTaskTypeConstraint) plus the engine's refusal of
/// types it does not run: every problem is listed, with its path, in one 400.
/// </summary>
public sealed class DefinitionValidationTests : EngineTestBase
{
    private const string Failed = "Validation failed, check below errors for detail.";
    private const string Register = "registerWorkflowDef.workflowDef";

    private static WorkflowTask Op(string type, string reference, Dictionary<string, object?>? input = null) =>
        new() { Name = reference, TaskReferenceName = reference, Type = type, InputParameters = input };

    /// <summary>Validates through ValidateWorkflowDefAsync and RegisterWorkflowDefAsync; both must answer the same 400
    /// (paths differ only in the operation prefix) and nothing may be stored. Returns the registration's errors.</summary>
    private async Task<IReadOnlyList<ValidationError>> RejectedAsync(WorkflowDef def)
    {
        var validate = await Assert.ThrowsAsync<ConductorException>(() => Engine.ValidateWorkflowDefAsync(def, Ct));
        var register = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(def, cancellationToken: Ct));
        foreach (var error in new[] { validate, register })
        {
            Assert.Equal(ConductorErrorKind.Validation, error.Kind);
            Assert.Equal(400, error.StatusCode);
            Assert.Equal(Failed, error.ServerMessage);
            Assert.NotEmpty(error.ValidationErrors);
        }
        Assert.Equal(
            validate.ValidationErrors.Select(e => (Path: e.Path!.Replace("validateWorkflowDef.", "registerWorkflowDef.", StringComparison.Ordinal), e.Message)),
            register.ValidationErrors.Select(e => (Path: e.Path!, e.Message)));
        if (!string.IsNullOrEmpty(def.Name))
        {
            Assert.DoesNotContain(await Engine.GetWorkflowDefsAsync(Ct), d => d.Name == def.Name);
        }
        return register.ValidationErrors;
    }

    private async Task AcceptedAsync(WorkflowDef def)
    {
        await Engine.ValidateWorkflowDefAsync(def, Ct);
        await Engine.RegisterWorkflowDefAsync(def, overwrite: true, Ct);
    }

    private static void Has(IReadOnlyList<ValidationError> errors, string path, params string[] words)
    {
        var matches = errors.Where(e => e.Path == path).ToList();
        Assert.True(matches.Count > 0, $"no error at {path}; got:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        Assert.Contains(matches, e => words.All(w => e.Message!.Contains(w, StringComparison.Ordinal)));
    }

    // ---- task definitions ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Task_defs_list_every_problem_of_every_definition_and_store_none()
    {
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterTaskDefsAsync(new[]
        {
            new TaskDef("fine"),
            new TaskDef("") { RetryCount = -1, ResponseTimeoutSeconds = 0, PollTimeoutSeconds = -1 },
            new TaskDef("knobs") { BackoffScaleFactor = 0, MaxRetryDelaySeconds = -1, BackoffJitterMs = -2, TotalTimeoutSeconds = -5 },
        }, Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(Failed, error.ServerMessage);
        var errors = error.ValidationErrors;
        Has(errors, "registerTaskDef.taskDefinitions[1].name", "name cannot be null or empty");
        Has(errors, "registerTaskDef.taskDefinitions[1].retryCount", "retryCount: -1");
        Has(errors, "registerTaskDef.taskDefinitions[1].responseTimeoutSeconds", "responseTimeoutSeconds: 0", "at least 1");
        Has(errors, "registerTaskDef.taskDefinitions[1].pollTimeoutSeconds", "pollTimeoutSeconds: -1");
        Has(errors, "registerTaskDef.taskDefinitions[2].backoffScaleFactor", "backoffScaleFactor: 0");
        Has(errors, "registerTaskDef.taskDefinitions[2].maxRetryDelaySeconds", "maxRetryDelaySeconds: -1");
        Has(errors, "registerTaskDef.taskDefinitions[2].backoffJitterMs", "backoffJitterMs: -2");
        Has(errors, "registerTaskDef.taskDefinitions[2].totalTimeoutSeconds", "totalTimeoutSeconds: -5");
        Assert.Equal(8, errors.Count);
        Assert.Equal("-1", errors.Single(e => e.Path!.EndsWith("retryCount", StringComparison.Ordinal)).InvalidValue);
        Assert.Empty(await Engine.GetTaskDefsAsync(Ct)); // the valid one in the batch is not stored either
    }

    [Fact]
    public async Task Response_timeout_above_a_positive_timeout_is_rejected_naming_both_values()
    {
        // The common gotcha: timeoutSeconds below the default responseTimeoutSeconds (3600).
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterTaskDefsAsync(new[] { new TaskDef("quick") { TimeoutSeconds = 60 } }, Ct));
        var only = Assert.Single(error.ValidationErrors);
        Assert.Equal("registerTaskDef.taskDefinitions[0]", only.Path);
        Assert.Equal("TaskDef: quick responseTimeoutSeconds: 3600 must be less than timeoutSeconds: 60", only.Message);

        // Per-attempt timeout above the total budget, and both rules at once.
        error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterTaskDefsAsync(new[]
        {
            new TaskDef("budget") { TimeoutSeconds = 120, ResponseTimeoutSeconds = 150, TotalTimeoutSeconds = 100 },
        }, Ct));
        Assert.Equal(2, error.ValidationErrors.Count);
        Has(error.ValidationErrors, "registerTaskDef.taskDefinitions[0]", "responseTimeoutSeconds: 150", "timeoutSeconds: 120");
        Has(error.ValidationErrors, "registerTaskDef.taskDefinitions[0]", "timeoutSeconds: 120", "totalTimeoutSeconds: 100");

        // Equal values, no per-attempt timeout, or no total budget are fine.
        await Engine.RegisterTaskDefsAsync(new[]
        {
            new TaskDef("equal") { TimeoutSeconds = 60, ResponseTimeoutSeconds = 60, TotalTimeoutSeconds = 60 },
            new TaskDef("untimed") { ResponseTimeoutSeconds = 7200 },
            new TaskDef("no_budget") { TimeoutSeconds = 600, ResponseTimeoutSeconds = 30, TotalTimeoutSeconds = 0 },
        }, Ct);
        Assert.Equal(3, (await Engine.GetTaskDefsAsync(Ct)).Count);
    }

    [Fact]
    public async Task Update_task_def_is_validated_before_the_not_found_check()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("upd") }, Ct);
        var error = await Assert.ThrowsAsync<ConductorException>(() =>
            Engine.UpdateTaskDefAsync(new TaskDef("upd") { RetryCount = -3, TimeoutSeconds = 10, ResponseTimeoutSeconds = 20 }, Ct));
        Assert.Equal(400, error.StatusCode);
        Has(error.ValidationErrors, "updateTaskDef.taskDefinition.retryCount", "retryCount: -3");
        Has(error.ValidationErrors, "updateTaskDef.taskDefinition", "responseTimeoutSeconds: 20", "timeoutSeconds: 10");
        Assert.Equal(3, (await Engine.GetTaskDefAsync("upd", Ct)).RetryCount);
    }

    [Fact]
    public async Task Rate_limit_and_concurrency_values_have_no_constraint_as_in_conductor()
    {
        // conductor-oss puts no constraint on these: zero or negative means "no limit" when tasks are handed out.
        await Engine.RegisterTaskDefsAsync(new[]
        {
            new TaskDef("unlimited") { ConcurrentExecLimit = -1, RateLimitPerFrequency = -5, RateLimitFrequencyInSeconds = 0 },
        }, Ct);
        var id = await StartAsync(Def("unlimited_wf", Simple("unlimited", "a"), Simple("unlimited", "b")));
        await CompleteAsync(await PollOneAsync("unlimited"));
        await CompleteAsync(await PollOneAsync("unlimited"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    // ---- workflow definitions -----------------------------------------------------------------------------------

    [Fact]
    public async Task Workflow_level_problems_are_listed_together()
    {
        var errors = await RejectedAsync(new WorkflowDef { Name = "", SchemaVersion = 1, Tasks = new() });
        Has(errors, Register + ".name", "WorkflowDef name cannot be null or empty");
        Has(errors, Register + ".schemaVersion", "schemaVersion: 1", "2");
        Has(errors, Register + ".tasks", "WorkflowTask list cannot be empty");
        Assert.Equal(3, errors.Count);
        Assert.Equal("1", errors.Single(e => e.Path == Register + ".schemaVersion").InvalidValue);
    }

    [Fact]
    public async Task Task_names_references_and_start_delay_are_checked_at_every_depth()
    {
        var fork = Op(WorkflowTaskTypes.ForkJoin, "fork");
        fork.ForkTasks = new() { new() { new WorkflowTask { Name = "", TaskReferenceName = "" } }, new() { Simple("b", "bad__ref") } };
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop");
        loop.LoopCondition = "false";
        loop.LoopOver = new() { new WorkflowTask { Name = "in_loop", TaskReferenceName = "in_loop", StartDelay = -1 } };
        var errors = await RejectedAsync(Def("names_wf", fork, Op(WorkflowTaskTypes.Join, "join"), loop));

        Has(errors, Register + ".tasks[0].forkTasks[0][0].name", "name cannot be null or empty");
        Has(errors, Register + ".tasks[0].forkTasks[0][0].taskReferenceName", "taskReferenceName cannot be null or empty");
        Has(errors, Register + ".tasks[0].forkTasks[1][0].taskReferenceName", "bad__ref", "'__'");
        Has(errors, Register + ".tasks[2].loopOver[0].startDelay", "startDelay: -1");
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public async Task Duplicate_reference_names_anywhere_are_each_reported()
    {
        var sw = Op(WorkflowTaskTypes.Switch, "route", new() { ["k"] = "${workflow.input.k}" });
        sw.EvaluatorType = "value-param";
        sw.Expression = "k";
        sw.DecisionCases = new() { ["a"] = new() { Simple("x", "dup") } };
        sw.DefaultCase = new() { Simple("y", "dup") };
        var fork = Op(WorkflowTaskTypes.ForkJoin, "fork");
        fork.ForkTasks = new() { new() { Simple("z", "dup") }, new() { Simple("w", "route") } };
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop");
        loop.LoopCondition = "false";
        loop.LoopOver = new() { Simple("v", "dup") };
        var errors = await RejectedAsync(Def("dups", Simple("first", "dup"), sw, fork, Op(WorkflowTaskTypes.Join, "join"), loop));

        Has(errors, Register + ".tasks[1].decisionCases[a][0].taskReferenceName", "dup", "more than one task", "dups");
        Has(errors, Register + ".tasks[1].defaultCase[0].taskReferenceName", "dup");
        Has(errors, Register + ".tasks[2].forkTasks[0][0].taskReferenceName", "dup");
        Has(errors, Register + ".tasks[2].forkTasks[1][0].taskReferenceName", "route");
        Has(errors, Register + ".tasks[4].loopOver[0].taskReferenceName", "dup");
        Assert.Equal(5, errors.Count);
        Assert.All(errors, e => Assert.NotNull(e.InvalidValue));
    }

    [Fact]
    public async Task Operators_without_their_required_fields_are_rejected_all_at_once()
    {
        var sw = Op(WorkflowTaskTypes.Switch, "sw");
        sw.DefaultCase = new() { Simple("fallback") };
        var decision = Op(WorkflowTaskTypes.Decision, "dec");
        var fork = Op(WorkflowTaskTypes.ForkJoin, "fork");
        var dynFork = Op(WorkflowTaskTypes.ForkJoinDynamic, "dynfork");
        var mixed = Op(WorkflowTaskTypes.ForkJoinDynamic, "mixed");
        mixed.DynamicForkJoinTasksParam = "tasks";
        mixed.DynamicForkTasksParam = "list";
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop");
        var sub = Op(WorkflowTaskTypes.SubWorkflow, "sub");
        var nameless = Op(WorkflowTaskTypes.SubWorkflow, "nameless");
        nameless.SubWorkflowParam = new SubWorkflowParams { Version = 1 };
        var notDsl = Op(WorkflowTaskTypes.SubWorkflow, "not_dsl");
        notDsl.SubWorkflowParam = new SubWorkflowParams { Name = "child", WorkflowDefinition = "child_def" };
        var dynamic = Op(WorkflowTaskTypes.Dynamic, "dyn");
        var terminate = Op(WorkflowTaskTypes.Terminate, "stop", new() { ["terminationStatus"] = "${workflow.input.status}" });
        terminate.Optional = true;
        var noStatus = Op(WorkflowTaskTypes.Terminate, "stop2");
        var waitBoth = Op(WorkflowTaskTypes.Wait, "wait_both", new() { ["duration"] = "10s", ["until"] = "2030-01-01 10:00" });
        var waitBad = Op(WorkflowTaskTypes.Wait, "wait_bad", new() { ["until"] = "next tuesday" });
        var http = Op(WorkflowTaskTypes.Http, "http", new() { ["body"] = "x" });

        var errors = await RejectedAsync(Def("operators", sw, decision, fork, Op(WorkflowTaskTypes.Join, "j1"), dynFork, Op(WorkflowTaskTypes.Join, "j2"),
            mixed, Op(WorkflowTaskTypes.Join, "j3"), loop, sub, nameless, notDsl, dynamic, terminate, noStatus, waitBoth, waitBad, http));

        const string t = Register + ".tasks";
        Has(errors, t + "[0].evaluatorType", "evaluatorType is required", "SWITCH", "sw");
        Has(errors, t + "[0].expression", "expression is required", "SWITCH");
        Has(errors, t + "[0].decisionCases", "at least one case", "SWITCH"); // a default case alone is not enough
        Has(errors, t + "[1]", "caseValueParam or caseExpression", "DECISION", "dec");
        Has(errors, t + "[1].decisionCases", "at least one case", "DECISION");
        Has(errors, t + "[2].forkTasks", "at least one branch", "FORK_JOIN");
        Has(errors, t + "[4].dynamicForkTasksParam", "required", "FORK_JOIN_DYNAMIC");
        Has(errors, t + "[4].dynamicForkTasksInputParamName", "required", "FORK_JOIN_DYNAMIC");
        Has(errors, t + "[6]", "dynamicForkJoinTasksParam", "one or the other");
        Has(errors, t + "[8].loopCondition", "required", "DO_WHILE");
        Has(errors, t + "[8].loopOver", "at least one task", "DO_WHILE");
        Has(errors, t + "[9].subWorkflowParam", "required", "SUB_WORKFLOW");
        Has(errors, t + "[10].subWorkflowParam.name", "needs a name");
        Has(errors, t + "[11].subWorkflowParam.workflowDefinition", "not a ${...} expression");
        Has(errors, t + "[12].dynamicTaskNameParam", "required", "DYNAMIC");
        Has(errors, t + "[13].optional", "cannot be optional");
        Has(errors, t + "[13].inputParameters.terminationStatus", "COMPLETED, FAILED or TERMINATED"); // an expression is not accepted either
        Has(errors, t + "[14].inputParameters.terminationStatus", "COMPLETED, FAILED or TERMINATED");
        Has(errors, t + "[15].inputParameters", "both 'duration' and 'until'");
        Has(errors, t + "[16].inputParameters.until", "next tuesday");
        Has(errors, t + "[17].inputParameters", "http_request");
        Assert.Equal(21, errors.Count);
    }

    [Fact]
    public async Task Operator_alternatives_conductor_accepts_are_accepted()
    {
        await Engine.RegisterTaskDefsAsync(new[]
        {
            new TaskDef("templated_http") { InputTemplate = new() { ["http_request"] = new Dictionary<string, object?> { ["uri"] = "http://localhost/x", ["method"] = "GET" } } },
        }, Ct);
        var decision = Op(WorkflowTaskTypes.Decision, "dec");
        decision.CaseValueParam = "k";
        decision.DecisionCases = new() { ["a"] = new() { Op(WorkflowTaskTypes.Noop, "noop_a") } };
        var simpleFork = Op(WorkflowTaskTypes.ForkJoinDynamic, "simple_fork", new() { ["forkTaskName"] = "w", ["forkTaskInputs"] = "${workflow.input.items}" });
        var legacyFork = Op(WorkflowTaskTypes.ForkJoinDynamic, "legacy_fork", new() { ["tasks"] = "${workflow.input.tasks}" });
        legacyFork.DynamicForkJoinTasksParam = "tasks";
        var listLoop = Op(WorkflowTaskTypes.DoWhile, "each");
        listLoop.Items = "${workflow.input.items}"; // list mode: loopCondition is optional (documented by Conductor)
        listLoop.LoopOver = new() { Simple("per_item") };
        var inlineSub = Op(WorkflowTaskTypes.SubWorkflow, "inline_sub");
        inlineSub.SubWorkflowParam = new SubWorkflowParams { WorkflowDefinition = "${workflow.input.def}" };
        var stop = Op(WorkflowTaskTypes.Terminate, "stop", new() { ["terminationStatus"] = "TERMINATED" });
        var waitExpression = Op(WorkflowTaskTypes.Wait, "wait_expr", new() { ["duration"] = "${workflow.input.d}", ["until"] = "" });
        var waitUntil = Op(WorkflowTaskTypes.Wait, "wait_until", new() { ["until"] = "2030-01-01 10:00 UTC" });
        var topLevelHttp = Op(WorkflowTaskTypes.Http, "http_top", new() { ["uri"] = "http://localhost/y", ["method"] = "GET" });
        var templatedHttp = new WorkflowTask { Name = "templated_http", TaskReferenceName = "http_tpl", Type = WorkflowTaskTypes.Http };
        var userDefined = new WorkflowTask { Name = "ud", TaskReferenceName = "ud", Type = WorkflowTaskTypes.UserDefined };

        await AcceptedAsync(Def("alternatives", decision, simpleFork, Op(WorkflowTaskTypes.Join, "j1"), legacyFork, Op(WorkflowTaskTypes.Join, "j2"),
            listLoop, inlineSub, waitExpression, waitUntil, topLevelHttp, templatedHttp, userDefined, stop));
    }

    [Fact]
    public async Task An_unknown_type_is_rejected_naming_it_and_unsupported_types_still_are()
    {
        var errors = await RejectedAsync(Def("types",
            new WorkflowTask { Name = "custom", TaskReferenceName = "custom", Type = "MY_CUSTOM_TYPE" },
            new WorkflowTask { Name = "lower", TaskReferenceName = "lower", Type = "simple" },
            new WorkflowTask { Name = "fork", TaskReferenceName = "fork", Type = WorkflowTaskTypes.Fork },
            new WorkflowTask { Name = "blank", TaskReferenceName = "blank", Type = "" },
            new WorkflowTask { Name = "k", TaskReferenceName = "k", Type = WorkflowTaskTypes.KafkaPublish }));
        Has(errors, Register + ".tasks[0].type", "MY_CUSTOM_TYPE", "not a Conductor task type", "SIMPLE");
        Has(errors, Register + ".tasks[1].type", "simple", "not a Conductor task type");
        Has(errors, Register + ".tasks[2].type", "FORK", "not a Conductor task type");
        Has(errors, Register + ".tasks[3].type", "type cannot be null or empty");
        Has(errors, Register + ".tasks[4].type", "KAFKA_PUBLISH", "not supported by the embedded engine");
        Assert.Equal(5, errors.Count);
        Assert.Equal("MY_CUSTOM_TYPE", errors[0].InvalidValue);
    }

    [Fact]
    public async Task Top_level_input_expressions_must_name_workflow_or_a_task_of_the_definition()
    {
        var loop = Op(WorkflowTaskTypes.DoWhile, "loop");
        loop.LoopCondition = "false";
        loop.LoopOver = new() { Simple("inner", "inner", new() { ["deep"] = "${nowhere.output.x}" }) }; // nested: not checked (as Conductor)
        var first = Simple("first", "first", new()
        {
            ["ok_workflow"] = "${workflow.input.a}",
            ["ok_task"] = "${inner.output.x} and ${loop.output.iteration}", // a nested task counts as defined
            ["ok_env"] = "${CPEWF_TASK_ID}",
            ["ok_escaped"] = "$${ghost.output}",
            ["nested"] = new Dictionary<string, object?> { ["list"] = new List<object?> { "x", "${ghost.output.y}" } },
            ["text"] = "id=${missing.output.id}",
        });
        var errors = await RejectedAsync(Def("refs", first, loop));
        Has(errors, Register + ".tasks[0].inputParameters.nested", "'ghost'", "${ghost.output.y}");
        Has(errors, Register + ".tasks[0].inputParameters.text", "'missing'");
        Assert.Equal(2, errors.Count);
        Assert.Equal("${missing.output.id}", errors.Single(e => e.Path!.EndsWith("text", StringComparison.Ordinal)).InvalidValue);
    }

    [Fact]
    public async Task Scripts_are_still_syntax_checked_alongside_the_other_rules()
    {
        var sw = Op(WorkflowTaskTypes.Switch, "js_switch");
        sw.EvaluatorType = "javascript";
        sw.Expression = "$.a ===";
        sw.DecisionCases = new() { ["x"] = new() { Simple("xs") } };
        var errors = await RejectedAsync(Def("js", sw, new WorkflowTask { Name = "", TaskReferenceName = "r" }));
        Has(errors, Register + ".tasks[0].expression", "not valid JavaScript");
        Has(errors, Register + ".tasks[1].name", "cannot be null or empty");
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public async Task A_start_with_an_inline_definition_and_a_bulk_update_apply_the_same_rules()
    {
        var bad = Def("inline_bad", Simple("a", "x__1"), new WorkflowTask { Name = "b", TaskReferenceName = "b", Type = "NOT_A_TYPE" });
        var start = await Assert.ThrowsAsync<ConductorException>(() => Engine.StartWorkflowAsync(new StartWorkflowRequest
        {
            Name = "inline_bad",
            WorkflowDef = bad,
            Input = new Dictionary<string, object?>(),
        }, Ct));
        Assert.Equal(400, start.StatusCode);
        Has(start.ValidationErrors, "startWorkflow.startWorkflowRequest.workflowDef.tasks[0].taskReferenceName", "'__'");
        Has(start.ValidationErrors, "startWorkflow.startWorkflowRequest.workflowDef.tasks[1].type", "NOT_A_TYPE");
        Assert.Equal(0, (await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'inline_bad'" }, Ct)).TotalHits);

        var bulk = await Assert.ThrowsAsync<ConductorException>(() => Engine.UpdateWorkflowDefsAsync(new[] { Def("bulk_ok", Simple("t")), bad }, Ct));
        Assert.Equal(400, bulk.StatusCode);
        Has(bulk.ValidationErrors, "updateWorkflowDef.workflowDefList[1].tasks[1].type", "NOT_A_TYPE");
        Assert.Empty(await Engine.GetWorkflowDefsAsync(Ct)); // the valid one is not stored either
    }

    [Fact]
    public async Task Simple_tasks_need_no_registered_task_definition()
    {
        // conductor-oss dropped that registration check (2022): an unregistered SIMPLE task gets an ad-hoc TaskDef at start.
        var id = await StartAsync(Def("adhoc_wf", Simple("never_registered")));
        var task = await PollOneAsync("never_registered");
        await CompleteAsync(task);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }
}
