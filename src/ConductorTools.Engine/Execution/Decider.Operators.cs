using System.Globalization;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>The operators with their own control flow: FORK_JOIN_DYNAMIC, DO_WHILE, and the script-driven INLINE and
/// JSON_JQ_TRANSFORM tasks.</summary>
internal sealed partial class Decider
{
    // ---- FORK_JOIN_DYNAMIC --------------------------------------------------------------------------------------

    private void ScheduleDynamicFork(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        var fork = NewTask(state, wt, WorkflowTaskTypes.Fork, iteration, tx.Now);
        var input = Inputs.ResolveTaskInput(state, wt.InputParameters, null, fork.TaskId!);
        fork.InputData = input;
        Add(state, fork);
        var join = state.Navigator.NextOf(wt.TaskReferenceName);
        if (join is null || join.Type != WorkflowTaskTypes.Join)
        {
            Finish(tx, fork, ConductorTaskStatus.FAILED);
            EndWorkflow(tx, state, WorkflowStatus.FAILED, $"FORK_JOIN_DYNAMIC {wt.TaskReferenceName} must be followed by a JOIN task.", fork);
            return;
        }
        List<WorkflowTask> branches;
        try
        {
            branches = DynamicBranches(tx, state, wt, input);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidCastException)
        {
            Finish(tx, fork, ConductorTaskStatus.FAILED, e.Message);
            EndWorkflow(tx, state, WorkflowStatus.FAILED, e.Message, fork);
            return;
        }
        input["forkedTasks"] = branches.Select(b => (object?)b.TaskReferenceName).ToList();
        input["forkedTaskDefs"] = branches.Select(b => ToPlain(b)).ToList();
        Finish(tx, fork, ConductorTaskStatus.COMPLETED);
        var dynamicJoin = Clone(join);
        dynamicJoin.JoinOn = branches.Select(b => b.TaskReferenceName).ToList();
        MapThenStart(tx, state, () =>
        {
            foreach (var branch in branches)
            {
                Schedule(tx, state, branch, iteration);
            }
            Schedule(tx, state, dynamicJoin, iteration);
        });
    }

    private static List<WorkflowTask> DynamicBranches(Tx tx, WorkflowState state, WorkflowTask wt, Dictionary<string, object?> input)
    {
        var branches = new List<WorkflowTask>();
        if (!string.IsNullOrEmpty(wt.DynamicForkTasksParam))
        {
            // Mode A: a list of WorkflowTask objects plus a map of reference name -> input.
            if (!input.TryGetValue(wt.DynamicForkTasksParam!, out var tasksValue) || tasksValue is not IList<object?> tasks)
            {
                throw new FormatException($"Input '{wt.DynamicForkTasksParam}' of {wt.TaskReferenceName} must be a list of tasks.");
            }
            input.TryGetValue(wt.DynamicForkTasksInputParamName ?? "", out var inputsValue);
            var inputs = inputsValue as IDictionary<string, object?>;
            foreach (var item in tasks)
            {
                var branch = ConductorJson.Deserialize<WorkflowTask>(ConductorJson.Serialize(item))
                    ?? throw new FormatException($"A dynamic fork task of {wt.TaskReferenceName} is null.");
                if (inputs is not null && inputs.TryGetValue(branch.TaskReferenceName, out var branchInput) && branchInput is IDictionary<string, object?> map)
                {
                    branch.InputParameters = ConductorJson.CloneMap(map);
                }
                branches.Add(branch);
            }
        }
        else if (input.TryGetValue("forkTaskInputs", out var inputsValue) && inputsValue is IList<object?> items)
        {
            // Mode B: one task (or sub-workflow) per item of forkTaskInputs.
            input.TryGetValue("forkTaskType", out var typeValue);
            input.TryGetValue("forkTaskName", out var nameValue);
            input.TryGetValue("forkTaskWorkflow", out var workflowValue);
            input.TryGetValue("forkTaskWorkflowVersion", out var versionValue);
            var type = typeValue as string ?? WorkflowTaskTypes.Simple;
            var workflowName = workflowValue as string;
            if (!string.IsNullOrEmpty(workflowName))
            {
                type = WorkflowTaskTypes.SubWorkflow;
            }
            var name = nameValue as string
                ?? (SystemTypes.Contains(type) && string.IsNullOrEmpty(workflowName) ? type : wt.TaskReferenceName);
            var prefix = state.Tasks.Count(t => t.WorkflowTask?.Type == WorkflowTaskTypes.ForkJoinDynamic) > 1
                ? "_" + wt.TaskReferenceName + "_" + name + "_"
                : "_" + name + "_";
            for (var i = 0; i < items.Count; i++)
            {
                var branchInput = items[i] is IDictionary<string, object?> map
                    ? ConductorJson.CloneMap(map)
                    : new Dictionary<string, object?> { ["input"] = ConductorJson.DeepClone(items[i]) };
                branchInput["__index"] = (long)i;
                var branch = new WorkflowTask
                {
                    Name = name,
                    TaskReferenceName = prefix + i.ToString(CultureInfo.InvariantCulture),
                    Type = type,
                    InputParameters = branchInput,
                    Optional = wt.Optional,
                };
                if (type == WorkflowTaskTypes.SubWorkflow)
                {
                    int? version = null;
                    if (versionValue is string v && v.Length > 0)
                    {
                        version = int.Parse(v, CultureInfo.InvariantCulture);
                    }
                    branch.Name = workflowName!;
                    branch.SubWorkflowParam = new SubWorkflowParams { Name = workflowName, Version = version };
                }
                branches.Add(branch);
            }
        }
        else
        {
            throw new FormatException(
                $"FORK_JOIN_DYNAMIC {wt.TaskReferenceName} needs dynamicForkTasksParam and dynamicForkTasksInputParamName, or an input 'forkTaskInputs' list.");
        }
        foreach (var branch in branches)
        {
            if (branch.TaskDefinition is null && !string.IsNullOrEmpty(branch.Name))
            {
                branch.TaskDefinition = tx.Store.GetTaskDef(branch.Name);
            }
        }
        return branches;
    }

    // ---- DO_WHILE -----------------------------------------------------------------------------------------------

    private const string LoopItemsKey = "_items";

    private void ScheduleDoWhile(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        var loop = NewTask(state, wt, WorkflowTaskTypes.DoWhile, iteration, tx.Now);
        loop.InputData = Inputs.ResolveTaskInput(state, wt.InputParameters, null, loop.TaskId!);
        Add(state, loop);
        loop.Status = ConductorTaskStatus.IN_PROGRESS;
        loop.StartTime = tx.Now;
        List<object?>? items = null;
        if (!string.IsNullOrEmpty(wt.Items))
        {
            items = Inputs.ResolveValue(state, wt.Items) as List<object?> ?? new List<object?>();
            loop.InputData[LoopItemsKey] = items;
        }
        else if (loop.InputData.TryGetValue(LoopItemsKey, out var given) && given is List<object?> list)
        {
            items = list;
        }
        if (items is { Count: 0 } || wt.LoopOver is not { Count: > 0 })
        {
            loop.OutputData = new Dictionary<string, object?> { ["iteration"] = 0L };
            Finish(tx, loop, ConductorTaskStatus.COMPLETED);
            return;
        }
        BeginIteration(tx, state, wt, loop, 1, items);
    }

    private void BeginIteration(Tx tx, WorkflowState state, WorkflowTask wt, ConductorTask loop, int iteration, List<object?>? items)
    {
        loop.Iteration = iteration;
        var output = loop.OutputData ??= new Dictionary<string, object?>();
        output["iteration"] = (long)iteration;
        if (items is not null)
        {
            output["loopIndex"] = (long)(iteration - 1);
            output["loopItem"] = ConductorJson.DeepClone(items[iteration - 1]);
        }
        Schedule(tx, state, wt.LoopOver![0], iteration);
    }

    private bool EvaluateDoWhile(Tx tx, WorkflowState state, ConductorTask loop)
    {
        var wt = loop.WorkflowTask!;
        var loopRef = wt.TaskReferenceName;
        var iteration = loop.Iteration;
        var children = state.Tasks.Where(t => !t.Retried && t.Iteration == iteration && t.WorkflowTask is not null
            && state.Navigator.IsInside(t.WorkflowTask.TaskReferenceName, loopRef)).ToList();
        if (children.Count == 0)
        {
            return false;
        }
        foreach (var child in children)
        {
            // Wait until every child is finished and its successor (if any) has been scheduled.
            if (!(child.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal() || !child.Executed)
            {
                return false;
            }
        }
        var output = loop.OutputData ??= new Dictionary<string, object?>();
        var iterationOutput = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var child in children)
        {
            iterationOutput[child.WorkflowTask!.TaskReferenceName] = ConductorJson.CloneMap(child.OutputData);
        }
        output[iteration.ToString(CultureInfo.InvariantCulture)] = iterationOutput;
        var failed = children.FirstOrDefault(c => !(c.Status ?? ConductorTaskStatus.FAILED).IsSuccessful());
        if (failed is not null)
        {
            Finish(tx, loop, ConductorTaskStatus.FAILED,
                $"Task {failed.ReferenceTaskName} of loop {loopRef} failed with status {failed.Status}: {failed.ReasonForIncompletion}");
            return true;
        }

        var items = loop.InputData is { } input && input.TryGetValue(LoopItemsKey, out var itemsValue) ? itemsValue as List<object?> : null;
        var more = true;
        if (!string.IsNullOrWhiteSpace(wt.LoopCondition))
        {
            var conditionInput = Inputs.ResolveTaskInput(state, wt.InputParameters, null, loop.TaskId!);
            conditionInput[loopRef] = ConductorJson.CloneMap(output);
            foreach (var child in children)
            {
                conditionInput[child.WorkflowTask!.TaskReferenceName] = ConductorJson.CloneMap(child.OutputData);
            }
            try
            {
                more = Scripts.IsTruthy(Scripts.Evaluate(wt.LoopCondition!, conditionInput));
            }
            catch (Exception e)
            {
                Finish(tx, loop, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                    $"Unable to evaluate the loop condition of {loopRef}: {e.Message}");
                return true;
            }
        }
        else if (items is null)
        {
            more = false;
        }
        if (items is not null)
        {
            more = more && iteration < items.Count;
        }
        if (more)
        {
            BeginIteration(tx, state, wt, loop, iteration + 1, items);
        }
        else
        {
            Finish(tx, loop, ConductorTaskStatus.COMPLETED);
        }
        return true;
    }

    // ---- INLINE / JSON_JQ_TRANSFORM -----------------------------------------------------------------------------

    private static void RunInline(Tx tx, WorkflowState state, ConductorTask task)
    {
        _ = state;
        var input = task.InputData ?? new();
        input.TryGetValue("evaluatorType", out var evaluatorValue);
        input.TryGetValue("expression", out var expressionValue);
        var evaluator = evaluatorValue as string ?? "javascript";
        var expression = expressionValue as string ?? "";
        try
        {
            object? result;
            if (evaluator == "value-param")
            {
                input.TryGetValue(expression, out result);
                result = ConductorJson.DeepClone(result);
            }
            else if (evaluator is "javascript" or "graaljs")
            {
                result = Scripts.Evaluate(expression, input);
            }
            else
            {
                throw new NotSupportedException($"evaluatorType '{evaluator}' is not supported by the embedded engine (use javascript or value-param).");
            }
            task.OutputData = new Dictionary<string, object?> { ["result"] = result };
            Finish(tx, task, ConductorTaskStatus.COMPLETED);
        }
        catch (Exception e)
        {
            // Conductor: a script error is terminal, running out of time is an ordinary (retryable) failure.
            task.OutputData = new Dictionary<string, object?> { ["error"] = e.Message };
            var timedOut = e is Scripting.ScriptEvaluationException { IsTimeout: true };
            Finish(tx, task, timedOut ? ConductorTaskStatus.FAILED : ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, e.Message);
        }
    }

    private static void RunJq(Tx tx, ConductorTask task)
    {
        var input = task.InputData ?? new();
        input.TryGetValue("queryExpression", out var queryValue);
        try
        {
            var results = Scripts.Jq(queryValue as string ?? "", input);
            task.OutputData = new Dictionary<string, object?>
            {
                ["result"] = results.Count > 0 ? results[0] : null,
                ["resultList"] = results.ToList(),
            };
            Finish(tx, task, ConductorTaskStatus.COMPLETED);
        }
        catch (Exception e)
        {
            task.OutputData = new Dictionary<string, object?> { ["error"] = e.Message };
            Finish(tx, task, ConductorTaskStatus.FAILED, e.Message);
        }
    }
}
