using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConductorTools.Model;

/// <summary>A task execution as Conductor returns it from poll and from workflow reads (conductor-oss <c>Task</c>).</summary>
public sealed class ConductorTask
{
    [JsonPropertyName("taskType")] public string? TaskType { get; set; }
    [JsonPropertyName("status")] public ConductorTaskStatus? Status { get; set; }
    [JsonPropertyName("inputData")] public Dictionary<string, object?>? InputData { get; set; }
    [JsonPropertyName("referenceTaskName")] public string? ReferenceTaskName { get; set; }
    [JsonPropertyName("retryCount")] public int RetryCount { get; set; }
    [JsonPropertyName("seq")] public int Seq { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
    [JsonPropertyName("pollCount")] public int PollCount { get; set; }
    [JsonPropertyName("taskDefName")] public string? TaskDefName { get; set; }
    [JsonPropertyName("scheduledTime")] public long ScheduledTime { get; set; }
    [JsonPropertyName("startTime")] public long StartTime { get; set; }
    [JsonPropertyName("endTime")] public long EndTime { get; set; }
    [JsonPropertyName("updateTime")] public long UpdateTime { get; set; }
    [JsonPropertyName("startDelayInSeconds")] public int StartDelayInSeconds { get; set; }
    [JsonPropertyName("retriedTaskId")] public string? RetriedTaskId { get; set; }
    [JsonPropertyName("retried")] public bool Retried { get; set; }
    [JsonPropertyName("executed")] public bool Executed { get; set; }
    [JsonPropertyName("callbackFromWorker")] public bool CallbackFromWorker { get; set; } = true;
    [JsonPropertyName("responseTimeoutSeconds")] public long ResponseTimeoutSeconds { get; set; }
    [JsonPropertyName("workflowInstanceId")] public string? WorkflowInstanceId { get; set; }
    [JsonPropertyName("workflowType")] public string? WorkflowType { get; set; }
    [JsonPropertyName("taskId")] public string? TaskId { get; set; }
    [JsonPropertyName("reasonForIncompletion")] public string? ReasonForIncompletion { get; set; }
    [JsonPropertyName("callbackAfterSeconds")] public long CallbackAfterSeconds { get; set; }
    [JsonPropertyName("workerId")] public string? WorkerId { get; set; }
    [JsonPropertyName("outputData")] public Dictionary<string, object?>? OutputData { get; set; }
    [JsonPropertyName("workflowTask")] public WorkflowTask? WorkflowTask { get; set; }
    [JsonPropertyName("domain")] public string? Domain { get; set; }
    [JsonPropertyName("rateLimitPerFrequency")] public int RateLimitPerFrequency { get; set; }
    [JsonPropertyName("rateLimitFrequencyInSeconds")] public int RateLimitFrequencyInSeconds { get; set; }
    [JsonPropertyName("externalInputPayloadStoragePath")] public string? ExternalInputPayloadStoragePath { get; set; }
    [JsonPropertyName("externalOutputPayloadStoragePath")] public string? ExternalOutputPayloadStoragePath { get; set; }
    [JsonPropertyName("workflowPriority")] public int WorkflowPriority { get; set; }
    [JsonPropertyName("executionNameSpace")] public string? ExecutionNameSpace { get; set; }
    [JsonPropertyName("isolationGroupId")] public string? IsolationGroupId { get; set; }
    [JsonPropertyName("iteration")] public int Iteration { get; set; }
    [JsonPropertyName("subWorkflowId")] public string? SubWorkflowId { get; set; }
    [JsonPropertyName("subworkflowChanged")] public bool SubworkflowChanged { get; set; }
    [JsonPropertyName("firstStartTime")] public long FirstStartTime { get; set; }
    [JsonPropertyName("parentTaskId")] public string? ParentTaskId { get; set; }
    [JsonPropertyName("executionMetadata")] public Dictionary<string, object?>? ExecutionMetadata { get; set; }
    [JsonPropertyName("runtimeMetadata")] public Dictionary<string, string>? RuntimeMetadata { get; set; }
    [JsonPropertyName("queueWaitTime")] public long QueueWaitTime { get; set; }
    [JsonPropertyName("loopOverTask")] public bool LoopOverTask { get; set; }
    [JsonPropertyName("taskDefinition")] public TaskDef? TaskDefinition { get; set; }

    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }

    public override string ToString() => $"{TaskType} {TaskId} ({Status})";
}

/// <summary>One task execution log line.</summary>
public sealed class TaskExecLog
{
    public TaskExecLog() { }

    public TaskExecLog(string log, string? taskId = null, long createdTime = 0)
    {
        Log = log;
        TaskId = taskId;
        CreatedTime = createdTime;
    }

    [JsonPropertyName("log")] public string? Log { get; set; }
    [JsonPropertyName("taskId")] public string? TaskId { get; set; }
    /// <summary>Epoch milliseconds.</summary>
    [JsonPropertyName("createdTime")] public long CreatedTime { get; set; }

    public override string ToString() => Log ?? "";
}

/// <summary>The result a worker (or an external completer) reports for a task: the body of <c>POST /api/tasks</c>.</summary>
public sealed class TaskResult
{
    public TaskResult() { }

    public TaskResult(string workflowInstanceId, string taskId, TaskResultStatus status)
    {
        WorkflowInstanceId = workflowInstanceId;
        TaskId = taskId;
        Status = status;
    }

    /// <summary>A result for a polled task, with its ids and worker id filled in.</summary>
    public static TaskResult For(ConductorTask task, TaskResultStatus status, string? workerId = null) =>
        new(task.WorkflowInstanceId ?? "", task.TaskId ?? "", status) { WorkerId = workerId ?? task.WorkerId };

    [JsonPropertyName("workflowInstanceId")] public string WorkflowInstanceId { get; set; } = "";
    [JsonPropertyName("taskId")] public string TaskId { get; set; } = "";
    [JsonPropertyName("reasonForIncompletion")] public string? ReasonForIncompletion { get; set; }
    [JsonPropertyName("callbackAfterSeconds")] public long CallbackAfterSeconds { get; set; }
    [JsonPropertyName("workerId")] public string? WorkerId { get; set; }
    [JsonPropertyName("status")] public TaskResultStatus? Status { get; set; }
    [JsonPropertyName("outputData")] public Dictionary<string, object?>? OutputData { get; set; }
    [JsonPropertyName("logs")] public List<TaskExecLog>? Logs { get; set; }
    [JsonPropertyName("externalOutputPayloadStoragePath")] public string? ExternalOutputPayloadStoragePath { get; set; }
    [JsonPropertyName("subWorkflowId")] public string? SubWorkflowId { get; set; }
    [JsonPropertyName("extendLease")] public bool ExtendLease { get; set; }
    [JsonPropertyName("executionMetadata")] public Dictionary<string, object?>? ExecutionMetadata { get; set; }

    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Adds a log line stamped now (epoch ms).</summary>
    public TaskResult AddLog(string line)
    {
        (Logs ??= new List<TaskExecLog>()).Add(new TaskExecLog(line, TaskId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        return this;
    }

    public override string ToString() => $"{TaskId} -> {Status}";
}
