using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>DECISION (deprecated in Conductor for SWITCH): the case is the input parameter named by
/// <c>caseValueParam</c>, else the value of the <c>caseExpression</c> script; output <c>caseOutput</c>. A case with an
/// empty task list falls back to <c>defaultCase</c>.</summary>
internal sealed class Decision : Switch
{
    public override string Type => WorkflowTaskTypes.Decision;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        if (task.CaseValueParam is null && task.CaseExpression is null)
        {
            errors.Add(new ValidationError(path,
                $"caseValueParam or caseExpression is required for a {task.Type} task (taskName: {task.Name}, taskReferenceName: {task.TaskReferenceName})"));
        }
        ValidateCases(task, path, errors);
    }

    public override IEnumerable<(string Field, string Script)> ScriptsToCheck(WorkflowTask task)
    {
        if (!string.IsNullOrWhiteSpace(task.CaseExpression))
        {
            yield return ("caseExpression", task.CaseExpression!);
        }
    }

    protected override bool FallsBackOnEmptyCase => true;

    protected override string? CaseScript(WorkflowTask wt) => string.IsNullOrEmpty(wt.CaseValueParam) ? wt.CaseExpression ?? "" : null;

    protected override string? CaseParameter(WorkflowTask wt) => wt.CaseValueParam;

    protected override Dictionary<string, object?> Output(string caseValue) =>
        new() { ["caseOutput"] = new List<object?> { caseValue } };
}
