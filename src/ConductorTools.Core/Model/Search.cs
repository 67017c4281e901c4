using System.Text.Json.Serialization;

namespace ConductorTools.Model;

/// <summary>A page of search results.</summary>
public sealed class SearchResult<T>
{
    [JsonPropertyName("totalHits")] public long TotalHits { get; set; }
    [JsonPropertyName("results")] public List<T> Results { get; set; } = new();
}

/// <summary>Query parameters of <c>GET /api/workflow/search</c> (and the task search).</summary>
public sealed class SearchRequest
{
    public int Start { get; set; }
    /// <summary>Page size; Conductor's default 100, maximum 5000.</summary>
    public int Size { get; set; } = 100;
    /// <summary><c>field:ASC|field2:DESC</c>.</summary>
    public string? Sort { get; set; }
    public string FreeText { get; set; } = "*";
    /// <summary>Conductor's SQL-like query, e.g. <c>workflowType = 'x' AND status IN (FAILED,TIMED_OUT)</c>.</summary>
    public string? Query { get; set; }
}

/// <summary>A workflow search hit (dates as UTC strings and input/output as strings, as Conductor's index returns them).</summary>
public sealed class WorkflowSummary
{
    [JsonPropertyName("workflowType")] public string? WorkflowType { get; set; }
    [JsonPropertyName("version")] public int Version { get; set; }
    [JsonPropertyName("workflowId")] public string? WorkflowId { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
    [JsonPropertyName("startTime")] public string? StartTime { get; set; }
    [JsonPropertyName("updateTime")] public string? UpdateTime { get; set; }
    [JsonPropertyName("endTime")] public string? EndTime { get; set; }
    [JsonPropertyName("status")] public WorkflowStatus Status { get; set; }
    [JsonPropertyName("input")] public string? Input { get; set; }
    [JsonPropertyName("output")] public string? Output { get; set; }
    [JsonPropertyName("reasonForIncompletion")] public string? ReasonForIncompletion { get; set; }
    [JsonPropertyName("executionTime")] public long ExecutionTime { get; set; }
    [JsonPropertyName("event")] public string? Event { get; set; }
    [JsonPropertyName("failedReferenceTaskNames")] public string? FailedReferenceTaskNames { get; set; }
    [JsonPropertyName("failedTaskNames")] public List<string>? FailedTaskNames { get; set; }
    [JsonPropertyName("externalInputPayloadStoragePath")] public string? ExternalInputPayloadStoragePath { get; set; }
    [JsonPropertyName("externalOutputPayloadStoragePath")] public string? ExternalOutputPayloadStoragePath { get; set; }
    [JsonPropertyName("priority")] public int Priority { get; set; }
    [JsonPropertyName("createdBy")] public string? CreatedBy { get; set; }
    [JsonPropertyName("taskToDomain")] public Dictionary<string, string>? TaskToDomain { get; set; }
    [JsonPropertyName("idempotencyKey")] public string? IdempotencyKey { get; set; }
    [JsonPropertyName("parentWorkflowId")] public string? ParentWorkflowId { get; set; }

    public override string ToString() => $"{WorkflowType} {WorkflowId} ({Status})";
}

/// <summary>A task search hit.</summary>
public sealed class TaskSummary
{
    [JsonPropertyName("workflowId")] public string? WorkflowId { get; set; }
    [JsonPropertyName("workflowType")] public string? WorkflowType { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
    [JsonPropertyName("scheduledTime")] public string? ScheduledTime { get; set; }
    [JsonPropertyName("startTime")] public string? StartTime { get; set; }
    [JsonPropertyName("updateTime")] public string? UpdateTime { get; set; }
    [JsonPropertyName("endTime")] public string? EndTime { get; set; }
    [JsonPropertyName("status")] public ConductorTaskStatus Status { get; set; }
    [JsonPropertyName("reasonForIncompletion")] public string? ReasonForIncompletion { get; set; }
    [JsonPropertyName("executionTime")] public long ExecutionTime { get; set; }
    [JsonPropertyName("queueWaitTime")] public long QueueWaitTime { get; set; }
    [JsonPropertyName("taskDefName")] public string? TaskDefName { get; set; }
    [JsonPropertyName("taskType")] public string? TaskType { get; set; }
    [JsonPropertyName("input")] public string? Input { get; set; }
    [JsonPropertyName("output")] public string? Output { get; set; }
    [JsonPropertyName("taskId")] public string? TaskId { get; set; }
    [JsonPropertyName("workflowPriority")] public int WorkflowPriority { get; set; }
    [JsonPropertyName("domain")] public string? Domain { get; set; }
}

/// <summary>Per-item outcome of a bulk call.</summary>
public sealed class BulkResponse
{
    [JsonPropertyName("bulkErrorResults")] public Dictionary<string, string> BulkErrorResults { get; set; } = new();
    [JsonPropertyName("bulkSuccessfulResults")] public List<string> BulkSuccessfulResults { get; set; } = new();
    [JsonPropertyName("message")] public string? Message { get; set; }
}

/// <summary>Last poll time per queue, domain and worker.</summary>
public sealed class PollData
{
    [JsonPropertyName("queueName")] public string? QueueName { get; set; }
    [JsonPropertyName("domain")] public string? Domain { get; set; }
    [JsonPropertyName("workerId")] public string? WorkerId { get; set; }
    [JsonPropertyName("lastPollTime")] public long LastPollTime { get; set; }
}

/// <summary>The body of <c>GET /health</c>.</summary>
public sealed class HealthResponse
{
    [JsonPropertyName("healthResults")] public List<Dictionary<string, object?>> HealthResults { get; set; } = new();
    [JsonPropertyName("suppressedHealthResults")] public List<Dictionary<string, object?>> SuppressedHealthResults { get; set; } = new();
    [JsonPropertyName("healthy")] public bool Healthy { get; set; }
}

/// <summary>Conductor's error body (<c>ErrorResponse</c>).</summary>
public sealed class ErrorResponse
{
    [JsonPropertyName("status")] public int Status { get; set; }
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("instance")] public string? Instance { get; set; }
    [JsonPropertyName("retryable")] public bool Retryable { get; set; }
    [JsonPropertyName("validationErrors")] public List<ValidationError>? ValidationErrors { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, object?>? Metadata { get; set; }
}

/// <summary>One problem found by validation.</summary>
public sealed class ValidationError
{
    public ValidationError() { }

    public ValidationError(string path, string message, string? invalidValue = null)
    {
        Path = path;
        Message = message;
        InvalidValue = invalidValue;
    }

    [JsonPropertyName("path")] public string? Path { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("invalidValue")] public string? InvalidValue { get; set; }

    public override string ToString() => string.IsNullOrEmpty(Path) ? Message ?? "" : $"{Path}: {Message}";
}
