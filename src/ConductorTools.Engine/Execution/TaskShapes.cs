using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Stored task JSON leaves out <c>workflowTask</c> when it is the definition's own node (the common case), since the
/// workflow's definition snapshot already holds it; it is attached again on load. Dynamic tasks keep theirs inline.
/// </summary>
internal static class TaskShapes
{
    public static void Attach(ConductorTask task, WorkflowDef? definition)
    {
        if (task.WorkflowTask is not null || definition is null || task.ReferenceTaskName is null)
        {
            return;
        }
        task.WorkflowTask = Navigator.For(definition).Find(BaseReference(task));
    }

    /// <summary>The definition's reference name of a task: loop iterations drop their <c>__n</c> suffix.</summary>
    public static string BaseReference(ConductorTask task)
    {
        var reference = task.ReferenceTaskName ?? "";
        if (task.Iteration > 0)
        {
            var split = reference.LastIndexOf("__", StringComparison.Ordinal);
            if (split > 0)
            {
                return reference.Substring(0, split);
            }
        }
        return reference;
    }

    /// <summary>The JSON to store for a task.</summary>
    public static string Serialize(ConductorTask task, WorkflowDef? definition)
    {
        var workflowTask = task.WorkflowTask;
        if (workflowTask is not null && definition is not null
            && ReferenceEquals(Navigator.For(definition).Find(BaseReference(task)), workflowTask))
        {
            task.WorkflowTask = null;
            try
            {
                return ConductorJson.Serialize(task);
            }
            finally
            {
                task.WorkflowTask = workflowTask;
            }
        }
        return ConductorJson.Serialize(task);
    }
}
