using System.Globalization;
using ConductorTools.Model;

namespace ConductorTools.Engine;

/// <summary>Search hits in Conductor's summary shapes (UTC date strings; input/output in Java's Map.toString form).</summary>
internal static class Summaries
{
    public static WorkflowSummary Of(Workflow workflow) => new()
    {
        WorkflowType = workflow.WorkflowName,
        Version = workflow.WorkflowVersion,
        WorkflowId = workflow.WorkflowId,
        CorrelationId = workflow.CorrelationId,
        StartTime = Date(workflow.CreateTime ?? 0),
        UpdateTime = Date(workflow.UpdateTime ?? 0),
        EndTime = Date(workflow.EndTime),
        Status = workflow.Status,
        Input = JavaText.Of(workflow.Input),
        Output = JavaText.Of(workflow.Output),
        ReasonForIncompletion = workflow.ReasonForIncompletion,
        ExecutionTime = workflow.EndTime > 0 ? workflow.EndTime - (workflow.CreateTime ?? 0) : 0,
        Event = workflow.Event,
        FailedReferenceTaskNames = workflow.FailedReferenceTaskNames is { Count: > 0 } names ? string.Join(",", names) : "",
        FailedTaskNames = workflow.FailedTaskNames,
        Priority = workflow.Priority,
        CreatedBy = workflow.CreatedBy,
        TaskToDomain = workflow.TaskToDomain,
        IdempotencyKey = workflow.IdempotencyKey,
        ParentWorkflowId = workflow.ParentWorkflowId ?? "",
    };

    public static TaskSummary Of(ConductorTask task) => new()
    {
        WorkflowId = task.WorkflowInstanceId,
        WorkflowType = task.WorkflowType,
        CorrelationId = task.CorrelationId,
        ScheduledTime = Date(task.ScheduledTime),
        StartTime = Date(task.StartTime),
        UpdateTime = Date(task.UpdateTime),
        EndTime = Date(task.EndTime),
        Status = task.Status ?? ConductorTaskStatus.SCHEDULED,
        ReasonForIncompletion = task.ReasonForIncompletion,
        ExecutionTime = task.EndTime > 0 && task.StartTime > 0 ? task.EndTime - task.StartTime : 0,
        QueueWaitTime = task.QueueWaitTime,
        TaskDefName = task.TaskDefName,
        TaskType = task.TaskType,
        Input = JavaText.Of(task.InputData),
        Output = JavaText.Of(task.OutputData),
        TaskId = task.TaskId,
        WorkflowPriority = task.WorkflowPriority,
        Domain = task.Domain,
    };

    private static string? Date(long epochMs) =>
        epochMs <= 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Java's <c>toString</c> of plain values (maps as <c>{a=1, b=x}</c>, lists as <c>[1, 2]</c>), as Conductor's
/// search index shows input and output.</summary>
internal static class JavaText
{
    public static string Of(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("0.0###############", CultureInfo.InvariantCulture),
        IDictionary<string, object?> map => "{" + string.Join(", ", map.Select(p => p.Key + "=" + Of(p.Value))) + "}",
        IEnumerable<object?> list => "[" + string.Join(", ", list.Select(Of)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };
}
