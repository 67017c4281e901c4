using ConductorTools.Model;

namespace ConductorTools.Api;

/// <summary>Workflow operations whose failures the cmdlets report more precisely than the server's answer.</summary>
public static class WorkflowOperations
{
    /// <summary>Every task reference name of a definition, nested ones (forks, switch cases, loops) included, in order.</summary>
    public static IEnumerable<string> TaskReferenceNames(WorkflowDef definition)
    {
        foreach (var task in definition.Tasks ?? new List<WorkflowTask>())
        {
            foreach (var name in Walk(task)) yield return name;
        }
    }

    private static IEnumerable<string> Walk(WorkflowTask task)
    {
        if (!string.IsNullOrEmpty(task.TaskReferenceName)) yield return task.TaskReferenceName;
        var nested = new List<WorkflowTask>();
        if (task.ForkTasks is not null) nested.AddRange(task.ForkTasks.SelectMany(branch => branch));
        if (task.DecisionCases is not null) nested.AddRange(task.DecisionCases.Values.SelectMany(branch => branch));
        if (task.DefaultCase is not null) nested.AddRange(task.DefaultCase);
        if (task.LoopOver is not null) nested.AddRange(task.LoopOver);
        foreach (var child in nested)
        {
            foreach (var name in Walk(child)) yield return name;
        }
    }

    /// <summary>
    /// Skips a task of a running workflow. When the server refuses, and the reason is that the workflow's definition has
    /// no task of that reference name, the failure is a <see cref="ConductorErrorKind.NotFound"/> that lists the names
    /// there are (Conductor answers such a skip as an invalid state).
    /// </summary>
    public static async Task SkipTaskAsync(IConductorApi api, string workflowId, string taskReferenceName, SkipTaskRequest request,
        CancellationToken cancellationToken = default)
    {
        try
        {
            await api.SkipTaskFromWorkflowAsync(workflowId, taskReferenceName, request, cancellationToken).ConfigureAwait(false);
        }
        catch (ConductorException ex) when (ex.Kind is not ConductorErrorKind.NotFound and not ConductorErrorKind.Transport and not ConductorErrorKind.Timeout
            and not ConductorErrorKind.Unauthorized and not ConductorErrorKind.Forbidden)
        {
            var workflow = await api.GetWorkflowAsync(workflowId, includeTasks: false, cancellationToken).ConfigureAwait(false);
            var definition = workflow.WorkflowDefinition
                ?? await api.GetWorkflowDefAsync(workflow.WorkflowName ?? "", workflow.WorkflowVersion, cancellationToken).ConfigureAwait(false);
            var names = TaskReferenceNames(definition).ToList();
            if (names.Contains(taskReferenceName, StringComparer.Ordinal)) throw;
            throw new ConductorException(
                $"Workflow {workflowId} ({definition.Name} v{definition.Version}) has no task with reference name '{taskReferenceName}'. Its task reference names: {string.Join(", ", names)}.",
                ConductorErrorKind.NotFound, 404, ex) { ServerMessage = ex.ServerMessage };
        }
    }
}
