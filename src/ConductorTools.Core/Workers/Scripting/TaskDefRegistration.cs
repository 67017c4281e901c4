using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>Registers task definitions for worker task types that have none (<c>Invoke-WorkerLoop -RegisterTaskDef</c>).</summary>
public static class TaskDefRegistration
{
    /// <summary>
    /// Looks up each task type and registers a definition with Conductor's defaults for the missing ones; existing
    /// definitions are never changed. Returns the names registered.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RegisterMissingAsync(IMetadataApi api, IEnumerable<string> taskTypes,
        CancellationToken cancellationToken = default)
    {
        if (api is null) throw new ArgumentNullException(nameof(api));
        if (taskTypes is null) throw new ArgumentNullException(nameof(taskTypes));
        var missing = new List<string>();
        foreach (var taskType in taskTypes.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await api.GetTaskDefAsync(taskType, cancellationToken).ConfigureAwait(false);
            }
            catch (ConductorException e) when (e.Kind == ConductorErrorKind.NotFound)
            {
                missing.Add(taskType);
            }
        }
        if (missing.Count == 0) return missing;
        var defs = missing.Select(name => new TaskDef(name) { Description = "Registered by Invoke-WorkerLoop -RegisterTaskDef." }).ToList();
        await api.RegisterTaskDefsAsync(defs, cancellationToken).ConfigureAwait(false);
        return missing;
    }
}
