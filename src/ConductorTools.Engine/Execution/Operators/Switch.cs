using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>
/// SWITCH: evaluates <c>expression</c> (<c>value-param</c>: the input parameter of that name; <c>javascript</c>/<c>graaljs</c>:
/// a script over the input), completes at once with <c>evaluationResult</c> and <c>selectedCase</c>, and schedules the
/// first task of the matching <c>decisionCases</c> entry, else of <c>defaultCase</c>. After the chosen case the flow
/// continues with the task after the SWITCH. Never retried. <see cref="Decision"/> is its legacy form.
/// </summary>
internal class Switch : Operator
{
    public override string Type => WorkflowTaskTypes.Switch;

    public override bool Retryable => false;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        if (task.EvaluatorType is null)
        {
            errors.Add(DefinitionChecks.Required(path, "evaluatorType", null, task));
        }
        else if (Evaluators.Refusal(task.EvaluatorType, task) is { } problem)
        {
            errors.Add(new ValidationError(path + ".evaluatorType", problem, task.EvaluatorType));
        }
        if (task.Expression is null)
        {
            errors.Add(DefinitionChecks.Required(path, "expression", null, task));
        }
        ValidateCases(task, path, errors);
    }

    protected static void ValidateCases(WorkflowTask task, string path, List<ValidationError> errors)
    {
        // Conductor's default is an empty map, which it rejects: at least one case, even if a default case is given.
        if (task.DecisionCases is null || task.DecisionCases.Count == 0)
        {
            errors.Add(DefinitionChecks.Required(path, "decisionCases", "at least one case", task));
        }
    }

    public override IEnumerable<(string Field, string Script)> ScriptsToCheck(WorkflowTask task)
    {
        if (task.EvaluatorType is "javascript" or "graaljs" && !string.IsNullOrWhiteSpace(task.Expression))
        {
            yield return ("expression", task.Expression!);
        }
    }

    public override void Schedule(OperatorContext context, WorkflowTask wt, int iteration)
    {
        var task = context.NewTask(wt, wt.Type, iteration);
        var input = context.ResolveTaskInput(wt.InputParameters, null, task.TaskId!);
        task.InputData = input;
        context.Add(task);
        if (CaseScript(wt) is null)
        {
            input.TryGetValue(CaseParameter(wt) ?? "", out var value);
            Choose(context, task, CaseString(value));
            return;
        }
        // The script runs after this transaction, outside the writer lock; ApplyScript chooses the case.
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = context.Now;
        context.RequestScript(ScriptFor(context, task)!);
    }

    public override ScriptJob? ScriptFor(OperatorContext context, ConductorTask task) =>
        task.WorkflowTask is { } wt && CaseScript(wt) is { } script ? new ScriptJob(task, script, task.InputData ?? new()) : null;

    public override void ApplyScript(OperatorContext context, ConductorTask task, ScriptJob job)
    {
        var wt = task.WorkflowTask!;
        if (job.Error is { } error)
        {
            context.Finish(task, ConductorTaskStatus.FAILED, $"Error evaluating the expression of {wt.Type} {wt.TaskReferenceName}: {error.Message}");
            return;
        }
        Choose(context, task, CaseString(job.Result));
    }

    /// <summary>Completes the task with the case and schedules the first task of the chosen branch.</summary>
    private void Choose(OperatorContext context, ConductorTask task, string caseValue)
    {
        var wt = task.WorkflowTask!;
        var input = task.InputData!;
        List<WorkflowTask>? branch = null;
        if (wt.DecisionCases is not null && wt.DecisionCases.TryGetValue(caseValue, out var chosen))
        {
            branch = chosen;
        }
        if (branch is null || (FallsBackOnEmptyCase && branch.Count == 0))
        {
            branch = wt.DefaultCase;
        }
        input["case"] = caseValue;
        var hasChildren = branch is { Count: > 0 };
        if (hasChildren)
        {
            input["hasChildren"] = true;
        }
        task.OutputData = Output(caseValue);
        context.Finish(task, ConductorTaskStatus.COMPLETED);
        if (hasChildren)
        {
            context.Schedule(branch![0], task.Iteration);
        }
    }

    /// <summary>DECISION also takes the default case for a case with an empty task list; SWITCH then does nothing.</summary>
    protected virtual bool FallsBackOnEmptyCase => false;

    /// <summary>The JavaScript that computes the case, or null when the case is an input parameter.</summary>
    protected virtual string? CaseScript(WorkflowTask wt) => (wt.EvaluatorType ?? "value-param") == "value-param" ? null : wt.Expression ?? "";

    /// <summary>The input parameter holding the case (value-param).</summary>
    protected virtual string? CaseParameter(WorkflowTask wt) => wt.Expression;

    protected virtual Dictionary<string, object?> Output(string caseValue) =>
        new() { ["evaluationResult"] = new List<object?> { caseValue }, ["selectedCase"] = caseValue };

    /// <summary>The chosen case leads the flow; the decider continues after the SWITCH only when no case ran.</summary>
    public override bool ContinuesAfter(ConductorTask task) =>
        !(task.InputData is { } input && input.TryGetValue("hasChildren", out var has) && has is true);

    /// <summary>Java's <c>String.valueOf</c> of a case value: null is "null", whole numbers have no decimals.</summary>
    internal static string CaseString(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => s,
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };
}
