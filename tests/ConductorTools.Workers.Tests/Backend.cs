using ConductorTools.Engine;
using ConductorTools.Model;

namespace ConductorTools.Workers.Tests;

/// <summary>The real embedded engine the runner tests drive, and the handler most of them use.</summary>
internal static class Backend
{
    public static EmbeddedConductor Open(string? path = null) =>
        EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path ?? EmbeddedConductorOptions.InMemory });

    /// <summary>Completes a task with output naming its workflow, so a test can check each result landed where it belongs.</summary>
    public static TaskHandler Echo => (task, _) =>
        Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?> { ["workflowId"] = task.WorkflowInstanceId }));
}
