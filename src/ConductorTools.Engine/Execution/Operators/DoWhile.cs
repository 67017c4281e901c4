using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>
/// DO_WHILE: runs the <c>loopOver</c> tasks (reference names suffixed <c>__n</c> in iteration n), then evaluates
/// <c>loopCondition</c> (JavaScript; <c>$</c> holds the resolved input, the loop's output under its reference name and
/// each child's latest output under its own) and starts another iteration while it is true. In list mode (<c>items</c>,
/// or an <c>_items</c> input) it iterates over the list (<c>loopItem</c>, <c>loopIndex</c>), the condition optional.
/// Output: <c>iteration</c> and, per iteration, its children's outputs. Never retried.
/// </summary>
internal sealed class DoWhile : Operator
{
    private const string LoopItemsKey = "_items";

    public override string Type => WorkflowTaskTypes.DoWhile;

    public override bool Retryable => false;

    public override bool RetryResetsInPlace => true;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        // Conductor's validator still asks for loopCondition, but list mode (items, or Orkes' _items input;
        // added in 2026) documents it as optional and its executor runs without one; the engine follows that.
        if (task.LoopCondition is null && !IsListLoop(task))
        {
            errors.Add(DefinitionChecks.Required(path, "loopCondition", null, task));
        }
        if (task.LoopOver is null || task.LoopOver.Count == 0)
        {
            errors.Add(DefinitionChecks.Required(path, "loopOver", "at least one task", task));
        }
        foreach (var inner in Nested(task.LoopOver))
        {
            if (inner.Type == WorkflowTaskTypes.DoWhile)
            {
                errors.Add(new ValidationError(path + ".loopOver",
                    $"DO_WHILE {task.TaskReferenceName} contains DO_WHILE {inner.TaskReferenceName}: nested DO_WHILE loops are not supported "
                    + "(by conductor-oss either); move the inner loop into a SUB_WORKFLOW", inner.TaskReferenceName));
            }
        }
        if (task.InputParameters is { } input && input.TryGetValue(KeepLastNKey, out var keep) && keep is not null && KeepLastN(task) is not > 0)
        {
            errors.Add(new ValidationError(path + ".inputParameters." + KeepLastNKey,
                $"inputParameters.keepLastN of DO_WHILE {task.TaskReferenceName} must be a whole number of at least 1", DefinitionChecks.Text(keep)));
        }
    }

    /// <summary>Every task inside a list, at any depth (switch cases, fork branches, loop bodies).</summary>
    private static IEnumerable<WorkflowTask> Nested(List<WorkflowTask>? tasks)
    {
        foreach (var task in tasks ?? new List<WorkflowTask>())
        {
            if (task is null)
            {
                continue;
            }
            yield return task;
            var children = (task.DecisionCases?.Values ?? Enumerable.Empty<List<WorkflowTask>>())
                .Concat(task.DefaultCase is null ? Enumerable.Empty<List<WorkflowTask>>() : new[] { task.DefaultCase })
                .Concat(task.ForkTasks ?? Enumerable.Empty<List<WorkflowTask>>())
                .Concat(task.LoopOver is null ? Enumerable.Empty<List<WorkflowTask>>() : new[] { task.LoopOver });
            foreach (var list in children)
            {
                foreach (var inner in Nested(list))
                {
                    yield return inner;
                }
            }
        }
    }

    private const string KeepLastNKey = "keepLastN";

    /// <summary>The <c>keepLastN</c> input of the definition (a literal, as conductor-oss reads it), or null.</summary>
    private static int? KeepLastN(WorkflowTask wt)
    {
        object? value = null;
        wt.InputParameters?.TryGetValue(KeepLastNKey, out value);
        return value switch
        {
            int i => i,
            long l when l is > 0 and <= int.MaxValue => (int)l,
            double d when d == Math.Floor(d) && d is > 0 and <= int.MaxValue => (int)d,
            _ => null,
        };
    }

    /// <summary>conductor-oss's <c>removeIterations</c>: once an iteration is recorded, only the last keepLastN
    /// iterations' outputs and tasks are kept.</summary>
    private static void RemoveOldIterations(OperatorContext context, ConductorTask loop)
    {
        if (KeepLastN(loop.WorkflowTask!) is not { } keep || loop.Iteration <= keep)
        {
            return;
        }
        var upTo = loop.Iteration - keep;
        var output = loop.OutputData!;
        for (var i = 1; i <= upTo; i++)
        {
            output.Remove(i.ToString(CultureInfo.InvariantCulture));
        }
        var state = context.State;
        var loopRef = loop.WorkflowTask!.TaskReferenceName;
        foreach (var old in state.Tasks.Where(t => t.Iteration <= upTo && t.Iteration > 0 && t.WorkflowTask is not null
            && state.Navigator.IsInside(t.WorkflowTask.TaskReferenceName, loopRef)).ToList())
        {
            context.Tx.Store.DeleteTask(old.TaskId!);
            state.Unstored(old.TaskId!);
            state.Tasks.Remove(old);
        }
    }

    public override IEnumerable<(string Field, string Script)> ScriptsToCheck(WorkflowTask task)
    {
        if (!string.IsNullOrWhiteSpace(task.LoopCondition))
        {
            yield return ("loopCondition", task.LoopCondition!);
        }
    }

    /// <summary>A DO_WHILE in list mode: a non-blank <c>items</c>, or an <c>_items</c> input holding text or a list.</summary>
    private static bool IsListLoop(WorkflowTask task)
    {
        if (!string.IsNullOrWhiteSpace(task.Items))
        {
            return true;
        }
        object? items = null;
        task.InputParameters?.TryGetValue(LoopItemsKey, out items);
        return items switch
        {
            string text => text.Trim().Length > 0,
            null => false,
            _ => items is System.Collections.IEnumerable,
        };
    }

    public override void Schedule(OperatorContext context, WorkflowTask wt, int iteration)
    {
        var loop = context.NewTask(wt, WorkflowTaskTypes.DoWhile, iteration);
        loop.InputData = context.ResolveTaskInput(wt.InputParameters, null, loop.TaskId!);
        context.Add(loop);
        loop.Status = ConductorTaskStatus.IN_PROGRESS;
        loop.StartTime = context.Now;
        List<object?>? items = null;
        if (!string.IsNullOrEmpty(wt.Items))
        {
            items = context.ResolveValue(wt.Items) as List<object?> ?? new List<object?>();
            loop.InputData[LoopItemsKey] = items;
        }
        else if (loop.InputData.TryGetValue(LoopItemsKey, out var given) && given is List<object?> list)
        {
            items = list;
        }
        if (items is { Count: 0 } || wt.LoopOver is not { Count: > 0 })
        {
            loop.OutputData = new Dictionary<string, object?> { ["iteration"] = 0L };
            context.Finish(loop, ConductorTaskStatus.COMPLETED);
            return;
        }
        BeginIteration(context, wt, loop, 1, items);
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = context.Now;
    }

    private static void BeginIteration(OperatorContext context, WorkflowTask wt, ConductorTask loop, int iteration, List<object?>? items)
    {
        loop.Iteration = iteration;
        var output = loop.OutputData ??= new Dictionary<string, object?>();
        output["iteration"] = (long)iteration;
        if (items is not null)
        {
            output["loopIndex"] = (long)(iteration - 1);
            output["loopItem"] = ConductorJson.DeepClone(items[iteration - 1]);
        }
        context.Schedule(wt.LoopOver![0], iteration);
    }

    /// <summary>The children of the loop's current iteration (latest attempts).</summary>
    private static List<ConductorTask> Children(OperatorContext context, ConductorTask loop)
    {
        var state = context.State;
        var loopRef = loop.WorkflowTask!.TaskReferenceName;
        var iteration = loop.Iteration;
        return state.Tasks.Where(t => !t.Retried && t.Iteration == iteration && t.WorkflowTask is not null
            && state.Navigator.IsInside(t.WorkflowTask.TaskReferenceName, loopRef)).ToList();
    }

    public override bool Evaluate(OperatorContext context, ConductorTask loop)
    {
        if (context.AwaitsScript(loop))
        {
            return false;
        }
        var wt = loop.WorkflowTask!;
        var loopRef = wt.TaskReferenceName;
        var iteration = loop.Iteration;
        var children = Children(context, loop);
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
        RemoveOldIterations(context, loop);
        var failed = children.FirstOrDefault(c => !(c.Status ?? ConductorTaskStatus.FAILED).IsSuccessful());
        if (failed is not null)
        {
            context.Finish(loop, ConductorTaskStatus.FAILED,
                $"Task {failed.ReferenceTaskName} of loop {loopRef} failed with status {failed.Status}: {failed.ReasonForIncompletion}");
            return true;
        }
        if (!string.IsNullOrWhiteSpace(wt.LoopCondition))
        {
            // The condition runs after this transaction, outside the writer lock; ApplyScript goes on from there.
            context.RequestScript(ConditionJob(context, loop, children));
            return true;
        }
        Continue(context, loop, Items(loop) is not null);
        return true;
    }

    private static ScriptJob ConditionJob(OperatorContext context, ConductorTask loop, List<ConductorTask> children)
    {
        var wt = loop.WorkflowTask!;
        var conditionInput = context.ResolveTaskInput(wt.InputParameters, null, loop.TaskId!);
        conditionInput[wt.TaskReferenceName] = ConductorJson.CloneMap(loop.OutputData);
        foreach (var child in children)
        {
            conditionInput[child.WorkflowTask!.TaskReferenceName] = ConductorJson.CloneMap(child.OutputData);
        }
        return new ScriptJob(loop, wt.LoopCondition!, conditionInput, loop.Iteration);
    }

    public override ScriptJob? ScriptFor(OperatorContext context, ConductorTask loop) =>
        string.IsNullOrWhiteSpace(loop.WorkflowTask?.LoopCondition) ? null : ConditionJob(context, loop, Children(context, loop));

    public override void ApplyScript(OperatorContext context, ConductorTask loop, ScriptJob job)
    {
        if (job.Iteration != loop.Iteration)
        {
            return;
        }
        if (job.Error is { } error)
        {
            context.Finish(loop, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                $"Unable to evaluate the loop condition of {loop.WorkflowTask!.TaskReferenceName}: {error.Message}");
            return;
        }
        Continue(context, loop, Scripts.IsTruthy(job.Result));
    }

    private static List<object?>? Items(ConductorTask loop) =>
        loop.InputData is { } input && input.TryGetValue(LoopItemsKey, out var itemsValue) ? itemsValue as List<object?> : null;

    /// <summary>Starts the next iteration when <paramref name="more"/> (and, in list mode, items remain), else completes.</summary>
    private static void Continue(OperatorContext context, ConductorTask loop, bool more)
    {
        var items = Items(loop);
        if (items is not null)
        {
            more = more && loop.Iteration < items.Count;
        }
        if (more)
        {
            BeginIteration(context, loop.WorkflowTask!, loop, loop.Iteration + 1, items);
        }
        else
        {
            context.Finish(loop, ConductorTaskStatus.COMPLETED);
        }
    }
}
