using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Testing;

/// <summary>
/// The workflow most tests need: one SIMPLE task of a given type (reference <c>only</c>) whose input <c>i</c> is the
/// workflow's input <c>i</c>, and whose output <c>result</c> becomes the workflow's output <c>result</c>.
/// </summary>
public static class OneTaskWorkflow
{
    public const string TaskReference = "only";

    /// <summary>Registers the task type (no retry delay, no overall timeout) and the workflow <c>wf_{taskType}</c>
    /// (or <paramref name="workflowName"/>); returns the workflow's name.</summary>
    /// <param name="taskInput">The task's input parameters instead of <c>i</c> from the workflow input.</param>
    public static async Task<string> RegisterAsync(IConductorApi api, string taskType, int retryCount = 0, long responseTimeoutSeconds = 3600,
        IDictionary<string, object?>? taskInput = null, string? workflowName = null, CancellationToken cancellationToken = default)
    {
        await api.RegisterTaskDefsAsync([new TaskDef(taskType)
        {
            RetryCount = retryCount,
            RetryDelaySeconds = 0,
            ResponseTimeoutSeconds = responseTimeoutSeconds,
            TimeoutSeconds = 0,
        }], cancellationToken);
        var name = workflowName ?? "wf_" + taskType;
        await api.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = name,
            Tasks = [new WorkflowTask
            {
                Name = taskType,
                TaskReferenceName = TaskReference,
                InputParameters = taskInput is null
                    ? new Dictionary<string, object?> { ["i"] = "${workflow.input.i}" }
                    : new Dictionary<string, object?>(taskInput),
            }],
            OutputParameters = new Dictionary<string, object?> { ["result"] = "${" + TaskReference + ".output.result}" },
        }, overwrite: true, cancellationToken);
        return name;
    }

    /// <summary>Starts <paramref name="count"/> runs of <paramref name="workflowName"/>, run k with input <c>i = k</c>; returns their ids in order.</summary>
    public static async Task<List<string>> StartAsync(IConductorApi api, string workflowName, int count, CancellationToken cancellationToken = default)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add(await api.StartWorkflowAsync(workflowName, new Dictionary<string, object?> { ["i"] = (long)i }, cancellationToken: cancellationToken));
        }
        return ids;
    }

    /// <summary>Registers the task type and workflow, then starts <paramref name="count"/> runs; returns their ids.</summary>
    public static async Task<List<string>> RegisterAndStartAsync(IConductorApi api, string taskType, int count, int retryCount = 0,
        long responseTimeoutSeconds = 3600, CancellationToken cancellationToken = default)
    {
        var name = await RegisterAsync(api, taskType, retryCount, responseTimeoutSeconds, cancellationToken: cancellationToken);
        return await StartAsync(api, name, count, cancellationToken);
    }
}
