using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>Registration-time validation of definitions: every problem, as Conductor's 400 lists them.</summary>
internal static class DefinitionChecks
{
    private const string Message = "Validation failed, check below errors for detail.";

    public static IEnumerable<ValidationError> Validate(TaskDef def)
    {
        if (def is null)
        {
            yield return new ValidationError("taskDef", "TaskDef cannot be null");
            yield break;
        }
        if (string.IsNullOrWhiteSpace(def.Name))
        {
            yield return new ValidationError("taskDef.name", "TaskDef name cannot be null or empty");
        }
    }

    public static IEnumerable<ValidationError> Validate(WorkflowDef def)
    {
        if (def is null)
        {
            yield return new ValidationError("workflowDef", "WorkflowDef cannot be null");
            yield break;
        }
        if (string.IsNullOrWhiteSpace(def.Name))
        {
            yield return new ValidationError("workflowDef.name", "WorkflowDef name cannot be null or empty");
        }
        if (def.Tasks is null || def.Tasks.Count == 0)
        {
            yield return new ValidationError("workflowDef.tasks", "WorkflowTask list cannot be empty");
            yield break;
        }
        foreach (var task in def.AllTasks())
        {
            if (Unsupported.Contains(task.Type))
            {
                yield return new ValidationError("workflowDef.tasks",
                    $"Task type {task.Type} (taskReferenceName: {task.TaskReferenceName}) is not supported by the embedded engine; run this workflow on a Conductor server or use another task type.",
                    task.Type);
            }
        }
    }

    /// <summary>System task types Conductor has but the embedded engine does not run.</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        // No jq implementation exists for .NET here; a partial one could answer wrongly, so the type is refused.
        WorkflowTaskTypes.JsonJqTransform,
        WorkflowTaskTypes.Event, WorkflowTaskTypes.KafkaPublish, WorkflowTaskTypes.Lambda, WorkflowTaskTypes.ExclusiveJoin,
        "JDBC", "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE", "LLM_GENERATE_EMBEDDINGS", "LLM_GET_EMBEDDINGS", "LLM_INDEX_TEXT",
        "LLM_INDEX_DOCUMENT", "LLM_SEARCH_INDEX", "LLM_STORE_EMBEDDINGS", "LIST_MCP_TOOLS", "CALL_MCP_TOOL",
        "PULL_WORKFLOW_MESSAGES", "AGENT", "GET_AGENT_CARD", "CANCEL_AGENT",
    };

    public static void ThrowIfInvalid(TaskDef def)
    {
        var errors = Validate(def).ToList();
        if (errors.Count > 0)
        {
            throw ConductorException.BadRequest(Message, errors);
        }
    }

    public static void ThrowIfInvalid(WorkflowDef def)
    {
        var errors = Validate(def).ToList();
        if (errors.Count > 0)
        {
            throw ConductorException.BadRequest(Message, errors);
        }
    }
}
