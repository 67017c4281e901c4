using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>TERMINATE: ends the workflow with <c>terminationStatus</c> (COMPLETED, FAILED or TERMINATED) and
/// <c>terminationReason</c>; its output (<c>workflowOutput</c>) becomes the workflow's output. Never retried.</summary>
internal sealed class Terminate : Operator
{
    public override string Type => WorkflowTaskTypes.Terminate;

    public override bool Retryable => false;

    public override bool ContinuesAfter(ConductorTask task) => false;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        if (task.Optional)
        {
            errors.Add(new ValidationError(path + ".optional", $"A TERMINATE task cannot be optional (taskReferenceName: {task.TaskReferenceName})"));
        }
        object? status = null;
        task.InputParameters?.TryGetValue("terminationStatus", out status);
        if (status is not ("COMPLETED" or "FAILED" or "TERMINATED"))
        {
            errors.Add(new ValidationError(path + ".inputParameters.terminationStatus",
                $"A TERMINATE task needs inputParameters.terminationStatus set to COMPLETED, FAILED or TERMINATED (taskReferenceName: {task.TaskReferenceName})",
                status is null ? null : DefinitionChecks.Text(status)));
        }
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        var input = task.InputData ?? new();
        input.TryGetValue("terminationStatus", out var statusValue);
        input.TryGetValue("terminationReason", out var reasonValue);
        input.TryGetValue("workflowOutput", out var outputValue);
        var statusText = (statusValue as string ?? "").ToUpperInvariant();
        if (statusText is not ("COMPLETED" or "FAILED" or "TERMINATED"))
        {
            context.Finish(task, ConductorTaskStatus.FAILED,
                $"terminationStatus {statusValue ?? "null"} is invalid: use COMPLETED, FAILED or TERMINATED.");
            return;
        }
        task.OutputData = outputValue switch
        {
            null => new Dictionary<string, object?>(),
            IDictionary<string, object?> map => ConductorJson.CloneMap(map),
            _ => new Dictionary<string, object?> { ["output"] = ConductorJson.DeepClone(outputValue) },
        };
        context.Finish(task, ConductorTaskStatus.COMPLETED);
        task.Executed = true;
        if (statusText == "COMPLETED")
        {
            context.CompleteByTerminate();
            return;
        }
        var status = statusText == "FAILED" ? WorkflowStatus.FAILED : WorkflowStatus.TERMINATED;
        var reason = reasonValue as string;
        context.EndWorkflow(status, string.IsNullOrEmpty(reason) ? $"Workflow is {status} by TERMINATE task: {task.TaskId}" : reason, task);
    }
}
