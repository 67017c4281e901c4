using System.Globalization;
using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>One executed task, as <c>Invoke-WorkerLoop -PassThru</c> writes it.</summary>
public sealed class WorkerLoopTaskRecord
{
    public string TaskType { get; init; } = "";
    public string TaskId { get; init; } = "";
    public string WorkflowInstanceId { get; init; } = "";
    public TaskResultStatus Status { get; init; }
    public string? ReasonForIncompletion { get; init; }
    public IReadOnlyDictionary<string, object?>? OutputData { get; init; }
    /// <summary>The execution log lines sent with the result.</summary>
    public IReadOnlyList<string> Logs { get; init; } = Array.Empty<string>();
    public int RetryCount { get; init; }
    public DateTimeOffset StartTime { get; init; }
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{TaskType} {TaskId} {Status}";
}
