using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConductorTools.Model;

/// <summary>A workflow execution (conductor-oss <c>Workflow</c>).</summary>
public sealed class Workflow
{
    [JsonPropertyName("ownerApp")] public string? OwnerApp { get; set; }
    [JsonPropertyName("createTime")] public long? CreateTime { get; set; }
    [JsonPropertyName("updateTime")] public long? UpdateTime { get; set; }
    [JsonPropertyName("createdBy")] public string? CreatedBy { get; set; }
    [JsonPropertyName("updatedBy")] public string? UpdatedBy { get; set; }
    [JsonPropertyName("status")] public WorkflowStatus Status { get; set; } = WorkflowStatus.RUNNING;
    [JsonPropertyName("endTime")] public long EndTime { get; set; }
    [JsonPropertyName("workflowId")] public string? WorkflowId { get; set; }
    [JsonPropertyName("parentWorkflowId")] public string? ParentWorkflowId { get; set; }
    [JsonPropertyName("parentWorkflowTaskId")] public string? ParentWorkflowTaskId { get; set; }
    [JsonPropertyName("tasks")] public List<ConductorTask> Tasks { get; set; } = new();
    [JsonPropertyName("input")] public Dictionary<string, object?>? Input { get; set; }
    [JsonPropertyName("output")] public Dictionary<string, object?>? Output { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
    [JsonPropertyName("reRunFromWorkflowId")] public string? ReRunFromWorkflowId { get; set; }
    [JsonPropertyName("reasonForIncompletion")] public string? ReasonForIncompletion { get; set; }
    [JsonPropertyName("event")] public string? Event { get; set; }
    [JsonPropertyName("taskToDomain")] public Dictionary<string, string>? TaskToDomain { get; set; }
    [JsonPropertyName("failedReferenceTaskNames")] public List<string>? FailedReferenceTaskNames { get; set; }
    [JsonPropertyName("failedTaskNames")] public List<string>? FailedTaskNames { get; set; }
    [JsonPropertyName("workflowDefinition")] public WorkflowDef? WorkflowDefinition { get; set; }
    [JsonPropertyName("externalInputPayloadStoragePath")] public string? ExternalInputPayloadStoragePath { get; set; }
    [JsonPropertyName("externalOutputPayloadStoragePath")] public string? ExternalOutputPayloadStoragePath { get; set; }
    [JsonPropertyName("priority")] public int Priority { get; set; }
    [JsonPropertyName("variables")] public Dictionary<string, object?>? Variables { get; set; }
    [JsonPropertyName("lastRetriedTime")] public long LastRetriedTime { get; set; }
    [JsonPropertyName("history")] public List<Workflow>? History { get; set; }
    [JsonPropertyName("idempotencyKey")] public string? IdempotencyKey { get; set; }
    [JsonPropertyName("rateLimitKey")] public string? RateLimitKey { get; set; }
    [JsonPropertyName("rateLimited")] public bool RateLimited { get; set; }
    [JsonPropertyName("startTime")] public long StartTime { get; set; }
    [JsonPropertyName("workflowName")] public string? WorkflowName { get; set; }
    [JsonPropertyName("workflowVersion")] public int WorkflowVersion { get; set; }

    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }

    public override string ToString() => $"{WorkflowName} {WorkflowId} ({Status})";
}

/// <summary>The body of <c>POST /api/workflow</c>.</summary>
public sealed class StartWorkflowRequest
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("version")] public int? Version { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
    [JsonPropertyName("input")] public Dictionary<string, object?>? Input { get; set; } = new();
    [JsonPropertyName("taskToDomain")] public Dictionary<string, string>? TaskToDomain { get; set; }
    [JsonPropertyName("workflowDef")] public WorkflowDef? WorkflowDef { get; set; }
    [JsonPropertyName("externalInputPayloadStoragePath")] public string? ExternalInputPayloadStoragePath { get; set; }
    [JsonPropertyName("priority")] public int? Priority { get; set; }
    [JsonPropertyName("createdBy")] public string? CreatedBy { get; set; }
    [JsonPropertyName("idempotencyKey")] public string? IdempotencyKey { get; set; }
    [JsonPropertyName("idempotencyStrategy")] public IdempotencyStrategy? IdempotencyStrategy { get; set; }
}

/// <summary>The body of <c>POST /api/workflow/{id}/rerun</c>.</summary>
public sealed class RerunWorkflowRequest
{
    [JsonPropertyName("reRunFromWorkflowId")] public string? ReRunFromWorkflowId { get; set; }
    [JsonPropertyName("workflowInput")] public Dictionary<string, object?>? WorkflowInput { get; set; }
    [JsonPropertyName("reRunFromTaskId")] public string? ReRunFromTaskId { get; set; }
    [JsonPropertyName("taskInput")] public Dictionary<string, object?>? TaskInput { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
}

/// <summary>Input/output for a pre-skipped task (<c>PUT /api/workflow/{id}/skiptask/{ref}</c>).</summary>
public sealed class SkipTaskRequest
{
    [JsonPropertyName("taskInput")] public Dictionary<string, object?>? TaskInput { get; set; }
    [JsonPropertyName("taskOutput")] public Dictionary<string, object?>? TaskOutput { get; set; }
}

/// <summary>The body of <c>GET /api/workflow/{id}/status</c> (Java class <c>WorkflowStatus</c>).</summary>
public sealed class WorkflowStatusInfo
{
    [JsonPropertyName("workflowId")] public string? WorkflowId { get; set; }
    [JsonPropertyName("correlationId")] public string? CorrelationId { get; set; }
    [JsonPropertyName("status")] public WorkflowStatus Status { get; set; }
    [JsonPropertyName("output")] public Dictionary<string, object?>? Output { get; set; }
    [JsonPropertyName("variables")] public Dictionary<string, object?>? Variables { get; set; }
}
