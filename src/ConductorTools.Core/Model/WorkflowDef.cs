using System.Text.Json.Serialization;

namespace ConductorTools.Model;

/// <summary>A workflow definition (conductor-oss <c>WorkflowDef</c>).</summary>
public sealed class WorkflowDef : Auditable
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("version")] public int Version { get; set; } = 1;
    [JsonPropertyName("tasks")] public List<WorkflowTask> Tasks { get; set; } = new();
    [JsonPropertyName("inputParameters")] public List<string>? InputParameters { get; set; }
    [JsonPropertyName("outputParameters")] public Dictionary<string, object?>? OutputParameters { get; set; }
    [JsonPropertyName("failureWorkflow")] public string? FailureWorkflow { get; set; }
    [JsonPropertyName("failureWorkflowVersion")] public int? FailureWorkflowVersion { get; set; }
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; } = 2;
    [JsonPropertyName("restartable")] public bool Restartable { get; set; } = true;
    [JsonPropertyName("workflowStatusListenerEnabled")] public bool WorkflowStatusListenerEnabled { get; set; }
    [JsonPropertyName("workflowStatusListenerSink")] public string? WorkflowStatusListenerSink { get; set; }
    [JsonPropertyName("ownerEmail")] public string? OwnerEmail { get; set; }
    [JsonPropertyName("timeoutPolicy")] public WorkflowTimeoutPolicy TimeoutPolicy { get; set; } = WorkflowTimeoutPolicy.ALERT_ONLY;
    [JsonPropertyName("timeoutSeconds")] public long TimeoutSeconds { get; set; }
    [JsonPropertyName("variables")] public Dictionary<string, object?>? Variables { get; set; }
    [JsonPropertyName("inputTemplate")] public Dictionary<string, object?>? InputTemplate { get; set; }
    [JsonPropertyName("rateLimitConfig")] public RateLimitConfig? RateLimitConfig { get; set; }
    [JsonPropertyName("inputSchema")] public SchemaDef? InputSchema { get; set; }
    [JsonPropertyName("outputSchema")] public SchemaDef? OutputSchema { get; set; }
    [JsonPropertyName("enforceSchema")] public bool? EnforceSchema { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, object?>? Metadata { get; set; }
    [JsonPropertyName("cacheConfig")] public CacheConfig? CacheConfig { get; set; }
    [JsonPropertyName("maskedFields")] public List<string>? MaskedFields { get; set; }

    /// <summary>Every task of the definition, depth first, including those nested in operators.</summary>
    public IEnumerable<WorkflowTask> AllTasks() => Tasks.SelectMany(t => t.SelfAndDescendants());

    public override string ToString() => $"{Name} v{Version}";
}

public sealed class RateLimitConfig
{
    [JsonPropertyName("rateLimitKey")] public string? RateLimitKey { get; set; }
    [JsonPropertyName("concurrentExecLimit")] public int ConcurrentExecLimit { get; set; }
    [JsonPropertyName("policy")] public string? Policy { get; set; }
}

public sealed class CacheConfig
{
    [JsonPropertyName("key")] public string? Key { get; set; }
    [JsonPropertyName("ttlInSecond")] public int TtlInSecond { get; set; }
}

/// <summary>Parameters of a SUB_WORKFLOW task.</summary>
public sealed class SubWorkflowParams
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("version")] public int? Version { get; set; }
    [JsonPropertyName("taskToDomain")] public Dictionary<string, string>? TaskToDomain { get; set; }
    /// <summary>An inline <see cref="WorkflowDef"/> (as a plain map) or a <c>${...}</c> expression string.</summary>
    [JsonPropertyName("workflowDefinition")] public object? WorkflowDefinition { get; set; }
    [JsonPropertyName("idempotencyKey")] public string? IdempotencyKey { get; set; }
    [JsonPropertyName("idempotencyStrategy")] public IdempotencyStrategy? IdempotencyStrategy { get; set; }
    /// <summary>A number or an expression.</summary>
    [JsonPropertyName("priority")] public object? Priority { get; set; }
}

/// <summary>A task inside a workflow definition (conductor-oss <c>WorkflowTask</c>), every operator's fields included.</summary>
public sealed class WorkflowTask
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("taskReferenceName")] public string TaskReferenceName { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("inputParameters")] public Dictionary<string, object?>? InputParameters { get; set; }
    [JsonPropertyName("type")] public string Type { get; set; } = WorkflowTaskTypes.Simple;
    [JsonPropertyName("dynamicTaskNameParam")] public string? DynamicTaskNameParam { get; set; }
    [JsonPropertyName("caseValueParam")] public string? CaseValueParam { get; set; }
    [JsonPropertyName("caseExpression")] public string? CaseExpression { get; set; }
    [JsonPropertyName("scriptExpression")] public string? ScriptExpression { get; set; }
    [JsonPropertyName("decisionCases")] public Dictionary<string, List<WorkflowTask>>? DecisionCases { get; set; }
    [JsonPropertyName("dynamicForkJoinTasksParam")] public string? DynamicForkJoinTasksParam { get; set; }
    [JsonPropertyName("dynamicForkTasksParam")] public string? DynamicForkTasksParam { get; set; }
    [JsonPropertyName("dynamicForkTasksInputParamName")] public string? DynamicForkTasksInputParamName { get; set; }
    [JsonPropertyName("defaultCase")] public List<WorkflowTask>? DefaultCase { get; set; }
    [JsonPropertyName("forkTasks")] public List<List<WorkflowTask>>? ForkTasks { get; set; }
    [JsonPropertyName("startDelay")] public int StartDelay { get; set; }
    [JsonPropertyName("subWorkflowParam")] public SubWorkflowParams? SubWorkflowParam { get; set; }
    [JsonPropertyName("joinOn")] public List<string>? JoinOn { get; set; }
    [JsonPropertyName("sink")] public string? Sink { get; set; }
    [JsonPropertyName("optional")] public bool Optional { get; set; }
    [JsonPropertyName("taskDefinition")] public TaskDef? TaskDefinition { get; set; }
    [JsonPropertyName("rateLimited")] public bool? RateLimited { get; set; }
    [JsonPropertyName("defaultExclusiveJoinTask")] public List<string>? DefaultExclusiveJoinTask { get; set; }
    [JsonPropertyName("asyncComplete")] public bool AsyncComplete { get; set; }
    [JsonPropertyName("loopCondition")] public string? LoopCondition { get; set; }
    [JsonPropertyName("loopOver")] public List<WorkflowTask>? LoopOver { get; set; }
    [JsonPropertyName("items")] public string? Items { get; set; }
    [JsonPropertyName("retryCount")] public int? RetryCount { get; set; }
    [JsonPropertyName("evaluatorType")] public string? EvaluatorType { get; set; }
    [JsonPropertyName("expression")] public string? Expression { get; set; }
    [JsonPropertyName("onStateChange")] public Dictionary<string, object?>? OnStateChange { get; set; }
    [JsonPropertyName("joinStatus")] public string? JoinStatus { get; set; }
    [JsonPropertyName("joinMode")] public string? JoinMode { get; set; }
    [JsonPropertyName("cacheConfig")] public CacheConfig? CacheConfig { get; set; }
    [JsonPropertyName("permissive")] public bool Permissive { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, object?>? Metadata { get; set; }

    [JsonExtensionData] public Dictionary<string, System.Text.Json.JsonElement>? AdditionalProperties { get; set; }

    /// <summary>This task and every task nested in it (cases, fork branches, loop bodies), depth first.</summary>
    public IEnumerable<WorkflowTask> SelfAndDescendants()
    {
        yield return this;
        foreach (var child in Children().SelectMany(c => c.SelfAndDescendants()))
        {
            yield return child;
        }
    }

    /// <summary>Tasks directly nested in this one.</summary>
    public IEnumerable<WorkflowTask> Children()
    {
        if (DecisionCases is not null)
        {
            foreach (var branch in DecisionCases.Values)
            {
                foreach (var task in branch) yield return task;
            }
        }
        if (DefaultCase is not null)
        {
            foreach (var task in DefaultCase) yield return task;
        }
        if (ForkTasks is not null)
        {
            foreach (var branch in ForkTasks)
            {
                foreach (var task in branch) yield return task;
            }
        }
        if (LoopOver is not null)
        {
            foreach (var task in LoopOver) yield return task;
        }
    }

    public override string ToString() => $"{TaskReferenceName} ({Type} {Name})";
}

/// <summary>The <c>type</c> strings Conductor knows.</summary>
public static class WorkflowTaskTypes
{
    public const string Simple = "SIMPLE";
    public const string Dynamic = "DYNAMIC";
    public const string ForkJoin = "FORK_JOIN";
    public const string ForkJoinDynamic = "FORK_JOIN_DYNAMIC";
    public const string Fork = "FORK";
    public const string Decision = "DECISION";
    public const string Switch = "SWITCH";
    public const string Join = "JOIN";
    public const string ExclusiveJoin = "EXCLUSIVE_JOIN";
    public const string DoWhile = "DO_WHILE";
    public const string SubWorkflow = "SUB_WORKFLOW";
    public const string StartWorkflow = "START_WORKFLOW";
    public const string Event = "EVENT";
    public const string Wait = "WAIT";
    public const string Human = "HUMAN";
    public const string UserDefined = "USER_DEFINED";
    public const string Http = "HTTP";
    public const string Lambda = "LAMBDA";
    public const string Inline = "INLINE";
    public const string Terminate = "TERMINATE";
    public const string KafkaPublish = "KAFKA_PUBLISH";
    public const string JsonJqTransform = "JSON_JQ_TRANSFORM";
    public const string SetVariable = "SET_VARIABLE";
    public const string Noop = "NOOP";
}
