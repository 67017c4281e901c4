using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConductorTools.Model;

/// <summary>Fields every Conductor definition carries for auditing (server-managed).</summary>
public abstract class Auditable
{
    [JsonPropertyName("ownerApp")] public string? OwnerApp { get; set; }
    [JsonPropertyName("createTime")] public long? CreateTime { get; set; }
    [JsonPropertyName("updateTime")] public long? UpdateTime { get; set; }
    [JsonPropertyName("createdBy")] public string? CreatedBy { get; set; }
    [JsonPropertyName("updatedBy")] public string? UpdatedBy { get; set; }

    /// <summary>Properties this version of the model does not know; kept so a get-then-update round trip loses nothing.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}

/// <summary>A JSON/Avro/Protobuf schema reference attached to a definition.</summary>
public sealed class SchemaDef
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("version")] public int Version { get; set; } = 1;
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("data")] public Dictionary<string, object?>? Data { get; set; }
    [JsonPropertyName("externalRef")] public string? ExternalRef { get; set; }
}

/// <summary>A task definition (conductor-oss <c>TaskDef</c>), with Conductor's defaults.</summary>
public sealed class TaskDef : Auditable
{
    public TaskDef() { }

    public TaskDef(string name) => Name = name;

    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("retryCount")] public int RetryCount { get; set; } = 3;
    [JsonPropertyName("timeoutSeconds")] public long TimeoutSeconds { get; set; }
    [JsonPropertyName("inputKeys")] public List<string>? InputKeys { get; set; }
    [JsonPropertyName("outputKeys")] public List<string>? OutputKeys { get; set; }
    [JsonPropertyName("runtimeMetadata")] public List<string>? RuntimeMetadata { get; set; }
    [JsonPropertyName("timeoutPolicy")] public TaskTimeoutPolicy TimeoutPolicy { get; set; } = TaskTimeoutPolicy.TIME_OUT_WF;
    [JsonPropertyName("retryLogic")] public RetryLogic RetryLogic { get; set; } = RetryLogic.FIXED;
    [JsonPropertyName("retryDelaySeconds")] public int RetryDelaySeconds { get; set; } = 60;
    [JsonPropertyName("responseTimeoutSeconds")] public long ResponseTimeoutSeconds { get; set; } = 3600;
    [JsonPropertyName("concurrentExecLimit")] public int? ConcurrentExecLimit { get; set; }
    [JsonPropertyName("inputTemplate")] public Dictionary<string, object?>? InputTemplate { get; set; }
    [JsonPropertyName("rateLimitPerFrequency")] public int? RateLimitPerFrequency { get; set; }
    [JsonPropertyName("rateLimitFrequencyInSeconds")] public int? RateLimitFrequencyInSeconds { get; set; }
    [JsonPropertyName("isolationGroupId")] public string? IsolationGroupId { get; set; }
    [JsonPropertyName("executionNameSpace")] public string? ExecutionNameSpace { get; set; }
    [JsonPropertyName("ownerEmail")] public string? OwnerEmail { get; set; }
    [JsonPropertyName("pollTimeoutSeconds")] public int? PollTimeoutSeconds { get; set; }
    [JsonPropertyName("backoffScaleFactor")] public int BackoffScaleFactor { get; set; } = 1;
    [JsonPropertyName("maxRetryDelaySeconds")] public int? MaxRetryDelaySeconds { get; set; }
    [JsonPropertyName("backoffJitterMs")] public int? BackoffJitterMs { get; set; }
    [JsonPropertyName("baseType")] public string? BaseType { get; set; }
    [JsonPropertyName("totalTimeoutSeconds")] public long? TotalTimeoutSeconds { get; set; }
    [JsonPropertyName("taskStatusListenerEnabled")] public bool? TaskStatusListenerEnabled { get; set; }
    [JsonPropertyName("inputSchema")] public SchemaDef? InputSchema { get; set; }
    [JsonPropertyName("outputSchema")] public SchemaDef? OutputSchema { get; set; }
    [JsonPropertyName("enforceSchema")] public bool? EnforceSchema { get; set; }

    /// <summary>Effective rate limit per frequency window (Conductor's getter: null means 0, unlimited).</summary>
    [JsonIgnore] public int EffectiveRateLimitPerFrequency => RateLimitPerFrequency ?? 0;

    /// <summary>Effective rate limit window (Conductor's getter: null means 1 second).</summary>
    [JsonIgnore] public int EffectiveRateLimitFrequencyInSeconds => RateLimitFrequencyInSeconds ?? 1;

    public override string ToString() => Name;
}
