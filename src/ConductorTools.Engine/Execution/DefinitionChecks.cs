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
            foreach (var (field, script) in Scripts(task))
            {
                if (Scripting.JavaScript.SyntaxError(script) is { } problem)
                {
                    yield return new ValidationError($"workflowDef.tasks.{task.TaskReferenceName}.{field}",
                        $"{field} of {task.Type} task {task.TaskReferenceName} is not valid JavaScript (ES5.1): {problem}", script);
                }
            }
        }
    }

    private static IEnumerable<(string Field, string Script)> Scripts(WorkflowTask task)
    {
        if (task.Type == WorkflowTaskTypes.Switch && task.EvaluatorType is "javascript" or "graaljs" && !string.IsNullOrWhiteSpace(task.Expression))
        {
            yield return ("expression", task.Expression!);
        }
        if (task.Type == WorkflowTaskTypes.Decision && !string.IsNullOrWhiteSpace(task.CaseExpression))
        {
            yield return ("caseExpression", task.CaseExpression!);
        }
        if (task.Type == WorkflowTaskTypes.DoWhile && !string.IsNullOrWhiteSpace(task.LoopCondition))
        {
            yield return ("loopCondition", task.LoopCondition!);
        }
        if (task.Type == WorkflowTaskTypes.Inline && task.InputParameters is { } input
            && (!input.TryGetValue("evaluatorType", out var e) || e is null or "javascript" or "graaljs")
            && input.TryGetValue("expression", out var expression) && expression is string text && !text.Contains("${"))
        {
            yield return ("inputParameters.expression", text);
        }
    }

    /// <summary>System task types Conductor has but the embedded engine does not run.</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        WorkflowTaskTypes.Event, WorkflowTaskTypes.KafkaPublish, WorkflowTaskTypes.JsonJqTransform, WorkflowTaskTypes.Lambda, WorkflowTaskTypes.ExclusiveJoin,
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
