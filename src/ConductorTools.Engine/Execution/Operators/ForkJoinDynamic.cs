using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>
/// FORK_JOIN_DYNAMIC: branches computed at run time, either a list of workflow tasks (<c>dynamicForkTasksParam</c>)
/// with their inputs (<c>dynamicForkTasksInputParamName</c>), or one task or sub-workflow per item of the
/// <c>forkTaskInputs</c> input (<c>forkTaskName</c>/<c>forkTaskType</c>/<c>forkTaskWorkflow</c>). The FORK task records
/// <c>forkedTasks</c> and <c>forkedTaskDefs</c> in its input; the following JOIN waits on the branches. Never retried.
/// </summary>
internal sealed class ForkJoinDynamic : Operator
{
    public override string Type => WorkflowTaskTypes.ForkJoinDynamic;

    public override bool Retryable => false;

    public override bool RetryResetsInPlace => true;

    public override string TaskTypeFor(WorkflowTask wt) => WorkflowTaskTypes.Fork;

    public override bool ContinuesAfter(ConductorTask task) => false;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        // Three ways to describe the branches: forkTaskInputs (+ forkTaskName/forkTaskType/forkTaskWorkflow) in the input,
        // the deprecated dynamicForkJoinTasksParam, or dynamicForkTasksParam with dynamicForkTasksInputParamName.
        if (task.InputParameters is { } input && input.ContainsKey("forkTaskInputs"))
        {
            return;
        }
        var legacy = task.DynamicForkJoinTasksParam is not null;
        if (legacy && (task.DynamicForkTasksParam is not null || task.DynamicForkTasksInputParamName is not null))
        {
            errors.Add(new ValidationError(path,
                $"{task.Type} task {task.TaskReferenceName} mixes dynamicForkJoinTasksParam with dynamicForkTasksParam/dynamicForkTasksInputParamName; use one or the other"));
            return;
        }
        if (legacy)
        {
            return;
        }
        if (task.DynamicForkTasksParam is null)
        {
            errors.Add(DefinitionChecks.Required(path, "dynamicForkTasksParam", null, task));
        }
        if (task.DynamicForkTasksInputParamName is null)
        {
            errors.Add(DefinitionChecks.Required(path, "dynamicForkTasksInputParamName", null, task));
        }
    }

    public override void Schedule(OperatorContext context, WorkflowTask wt, int iteration)
    {
        var fork = context.NewTask(wt, WorkflowTaskTypes.Fork, iteration);
        var input = context.ResolveTaskInput(wt.InputParameters, null, fork.TaskId!);
        fork.InputData = input;
        context.Add(fork);
        var join = context.State.Navigator.NextOf(wt.TaskReferenceName);
        if (join is null || join.Type != WorkflowTaskTypes.Join)
        {
            context.Finish(fork, ConductorTaskStatus.FAILED);
            context.EndWorkflow(WorkflowStatus.FAILED, $"FORK_JOIN_DYNAMIC {wt.TaskReferenceName} must be followed by a JOIN task.", fork);
            return;
        }
        List<WorkflowTask> branches;
        try
        {
            branches = Branches(context, wt, input);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidCastException)
        {
            context.Finish(fork, ConductorTaskStatus.FAILED, e.Message);
            context.EndWorkflow(WorkflowStatus.FAILED, e.Message, fork);
            return;
        }
        input["forkedTasks"] = branches.Select(b => (object?)b.TaskReferenceName).ToList();
        input["forkedTaskDefs"] = branches.Select(b => Decider.ToPlain(b)).ToList();
        context.Finish(fork, ConductorTaskStatus.COMPLETED);
        var dynamicJoin = Decider.Clone(join);
        dynamicJoin.JoinOn = branches.Select(b => b.TaskReferenceName).ToList();
        var scheduling = context;
        context.MapThenStart(() =>
        {
            foreach (var branch in branches)
            {
                scheduling.Schedule(branch, iteration);
            }
            scheduling.Schedule(dynamicJoin, iteration);
        });
    }

    private static List<WorkflowTask> Branches(OperatorContext context, WorkflowTask wt, Dictionary<string, object?> input)
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
                ?? (!OperatorRegistry.For(type).IsWorker && string.IsNullOrEmpty(workflowName) ? type : wt.TaskReferenceName);
            var prefix = context.State.Tasks.Count(t => t.WorkflowTask?.Type == WorkflowTaskTypes.ForkJoinDynamic) > 1
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
                branch.TaskDefinition = context.Tx.Store.GetTaskDef(branch.Name);
            }
        }
        return branches;
    }
}
