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
        }
    }

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
