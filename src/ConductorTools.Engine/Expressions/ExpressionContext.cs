using ConductorTools.Model;

namespace ConductorTools.Engine.Expressions;

/// <summary>
/// The document expressions are evaluated against (conductor-oss core/.../utils/ParametersUtils.java, getTaskInputV2): a <c>workflow</c> entry and one entry per
/// task reference name, the latest attempt winning; loop iterations are keyed without their <c>__N</c> suffix.
/// </summary>
public static class ExpressionContext
{
    public static Dictionary<string, object?> Build(Workflow workflow)
    {
        if (workflow is null) throw new ArgumentNullException(nameof(workflow));
        var context = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["workflow"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["input"] = workflow.Input ?? new Dictionary<string, object?>(),
                ["output"] = workflow.Output ?? new Dictionary<string, object?>(),
                ["status"] = workflow.Status.ToString(),
                ["workflowId"] = workflow.WorkflowId,
                ["parentWorkflowId"] = workflow.ParentWorkflowId,
                ["parentWorkflowTaskId"] = workflow.ParentWorkflowTaskId,
                ["workflowType"] = workflow.WorkflowName ?? workflow.WorkflowDefinition?.Name,
                ["version"] = (long)(workflow.WorkflowVersion != 0 ? workflow.WorkflowVersion : workflow.WorkflowDefinition?.Version ?? 0),
                ["correlationId"] = workflow.CorrelationId,
                ["reasonForIncompletion"] = workflow.ReasonForIncompletion,
                ["schemaVersion"] = (long)(workflow.WorkflowDefinition?.SchemaVersion ?? 2),
                ["variables"] = workflow.Variables ?? new Dictionary<string, object?>(),
            },
        };
        foreach (var task in workflow.Tasks.OrderBy(t => t.Seq))
        {
            var reference = task.ReferenceTaskName;
            if (string.IsNullOrEmpty(reference)) continue;
            var split = reference!.IndexOf("__", StringComparison.Ordinal);
            var key = split > 0 ? reference.Substring(0, split) : reference;
            context[key] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["input"] = task.InputData ?? new Dictionary<string, object?>(),
                ["output"] = task.OutputData ?? new Dictionary<string, object?>(),
                ["taskType"] = task.TaskType,
                ["status"] = task.Status?.ToString(),
                ["referenceTaskName"] = task.ReferenceTaskName,
                ["retryCount"] = (long)task.RetryCount,
                ["correlationId"] = task.CorrelationId,
                ["pollCount"] = (long)task.PollCount,
                ["taskDefName"] = task.TaskDefName,
                ["scheduledTime"] = task.ScheduledTime,
                ["startTime"] = task.StartTime,
                ["endTime"] = task.EndTime,
                ["workflowInstanceId"] = task.WorkflowInstanceId,
                ["taskId"] = task.TaskId,
                ["reasonForIncompletion"] = task.ReasonForIncompletion,
                ["callbackAfterSeconds"] = task.CallbackAfterSeconds,
                ["workerId"] = task.WorkerId,
                ["iteration"] = (long)task.Iteration,
            };
        }
        return context;
    }
}
