using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Completion;

/// <summary>What a parameter completes.</summary>
public enum CompletionKind
{
    /// <summary>Task definition names (task types workers poll for).</summary>
    TaskType,
    /// <summary>Workflow definition names.</summary>
    WorkflowName,
    /// <summary><see cref="WorkflowStatus"/> values.</summary>
    WorkflowStatus,
    /// <summary><see cref="ConductorTaskStatus"/> values.</summary>
    TaskStatus,
    /// <summary><see cref="TaskResultStatus"/> values (what a worker or caller may report).</summary>
    TaskResultStatus,
}

/// <summary>
/// Tab-completion candidates for the module's argument completers: names from the connection (cached briefly by
/// <see cref="CompletionCache"/>) and status values with a one-line meaning. Nothing here throws: a missing connection,
/// a failing server or a timeout all mean no candidates.
/// </summary>
public sealed class ConductorCompleter
{
    private static readonly Dictionary<string, string> WorkflowStatusTips = new(StringComparer.Ordinal)
    {
        [nameof(Model.WorkflowStatus.RUNNING)] = "RUNNING: started and not finished",
        [nameof(Model.WorkflowStatus.COMPLETED)] = "COMPLETED: finished successfully (terminal)",
        [nameof(Model.WorkflowStatus.FAILED)] = "FAILED: a task failed with no retries left (terminal; Redo-Workflow retries it)",
        [nameof(Model.WorkflowStatus.TIMED_OUT)] = "TIMED_OUT: exceeded its timeoutSeconds (terminal)",
        [nameof(Model.WorkflowStatus.TERMINATED)] = "TERMINATED: stopped by Stop-Workflow or a TERMINATE task (terminal)",
        [nameof(Model.WorkflowStatus.PAUSED)] = "PAUSED: suspended; Resume-Workflow continues it",
    };

    private static readonly Dictionary<string, string> TaskStatusTips = new(StringComparer.Ordinal)
    {
        [nameof(ConductorTaskStatus.SCHEDULED)] = "SCHEDULED: queued, waiting for a worker",
        [nameof(ConductorTaskStatus.IN_PROGRESS)] = "IN_PROGRESS: taken by a worker, or waiting (WAIT, HUMAN)",
        [nameof(ConductorTaskStatus.COMPLETED)] = "COMPLETED: finished successfully (terminal)",
        [nameof(ConductorTaskStatus.COMPLETED_WITH_ERRORS)] = "COMPLETED_WITH_ERRORS: optional task that failed (terminal)",
        [nameof(ConductorTaskStatus.FAILED)] = "FAILED: failed; retried while retries remain (terminal)",
        [nameof(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR)] = "FAILED_WITH_TERMINAL_ERROR: failed without retry (terminal)",
        [nameof(ConductorTaskStatus.TIMED_OUT)] = "TIMED_OUT: exceeded a task timeout (terminal)",
        [nameof(ConductorTaskStatus.CANCELED)] = "CANCELED: its workflow ended first (terminal)",
        [nameof(ConductorTaskStatus.SKIPPED)] = "SKIPPED: skipped by Skip-WorkflowTask or a switch (terminal)",
    };

    private static readonly Dictionary<string, string> TaskResultStatusTips = new(StringComparer.Ordinal)
    {
        [nameof(Model.TaskResultStatus.COMPLETED)] = "COMPLETED: the task succeeded with this output",
        [nameof(Model.TaskResultStatus.FAILED)] = "FAILED: the task failed; Conductor retries it while retries remain",
        [nameof(Model.TaskResultStatus.FAILED_WITH_TERMINAL_ERROR)] = "FAILED_WITH_TERMINAL_ERROR: the task failed; no retry",
        [nameof(Model.TaskResultStatus.IN_PROGRESS)] = "IN_PROGRESS: still working; with a callback, poll it again later",
        [nameof(Model.TaskResultStatus.CANCELED)] = "CANCELED: the task was cancelled",
    };

    public ConductorCompleter(CompletionCache? cache = null) => Cache = cache ?? new CompletionCache();

    /// <summary>The process-wide completer the module's argument completers use.</summary>
    public static ConductorCompleter Shared { get; } = new();

    public CompletionCache Cache { get; }

    /// <summary>
    /// Candidates of <paramref name="kind"/> matching <paramref name="wordToComplete"/>. <paramref name="api"/> is only
    /// called for name lists (statuses need no connection); if it throws or returns null there are no name candidates.
    /// </summary>
    public IReadOnlyList<CompletionCandidate> Complete(CompletionKind kind, string? wordToComplete, Func<IConductorApi?> api)
    {
        try
        {
            return kind switch
            {
                CompletionKind.WorkflowStatus => CompletionText.Complete(wordToComplete, Values<WorkflowStatus>(WorkflowStatusTips)),
                CompletionKind.TaskStatus => CompletionText.Complete(wordToComplete, Values<ConductorTaskStatus>(TaskStatusTips)),
                CompletionKind.TaskResultStatus => CompletionText.Complete(wordToComplete, Values<TaskResultStatus>(TaskResultStatusTips)),
                CompletionKind.TaskType or CompletionKind.WorkflowName => Names(kind, wordToComplete, api),
                _ => Array.Empty<CompletionCandidate>(),
            };
        }
#pragma warning disable CA1031 // Tab completion must never fail.
        catch (Exception)
#pragma warning restore CA1031
        {
            return Array.Empty<CompletionCandidate>();
        }
    }

    private IReadOnlyList<CompletionCandidate> Names(CompletionKind kind, string? wordToComplete, Func<IConductorApi?> getApi)
    {
        var api = getApi?.Invoke();
        if (api is null) return Array.Empty<CompletionCandidate>();
        var names = kind == CompletionKind.TaskType
            ? Cache.Get(api, "taskdefs", async ct => (await api.GetTaskDefsAsync(ct).ConfigureAwait(false)).Select(d => d.Name))
            : Cache.Get(api, "workflowdefs", async ct => (await api.GetWorkflowDefsAsync(ct).ConfigureAwait(false)).Select(d => d.Name));
        var tip = kind == CompletionKind.TaskType ? "task type " : "workflow ";
        return CompletionText.Complete(wordToComplete, names.Select(n => new KeyValuePair<string, string>(n, tip + n)));
    }

    private static IEnumerable<KeyValuePair<string, string>> Values<TEnum>(Dictionary<string, string> tips) where TEnum : struct, Enum =>
        Enum.GetNames(typeof(TEnum)).Select(n => new KeyValuePair<string, string>(n, tips.TryGetValue(n, out var tip) ? tip : n));
}
