using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>A workflow and its tasks loaded for one transaction, with the JSON they were loaded from so that only
/// what changed is written back.</summary>
internal sealed class WorkflowState
{
    public WorkflowState(Workflow workflow, string? storedJson)
    {
        Workflow = workflow;
        StoredJson = storedJson;
    }

    public Workflow Workflow { get; }

    public string? StoredJson { get; set; }

    public long? StoredWake { get; set; }

    /// <summary>Tasks that were finished and fully processed when loaded. Normal decider work never changes them, so
    /// saving skips re-serialising them (a long workflow then costs little per update); operations that do change them
    /// (retry, rerun, reviving a parent) set <see cref="FullSave"/>.</summary>
    public HashSet<string> SettledAtLoad { get; } = new(StringComparer.Ordinal);

    public bool FullSave { get; set; }

    /// <summary>The JSON of each task as last read from or written to the store (absent: not stored yet).</summary>
    public Dictionary<string, string> StoredTaskJson { get; } = new(StringComparer.Ordinal);

    /// <summary>The status of each task as last read from or written to the store (absent: not stored yet).</summary>
    public Dictionary<string, ConductorTaskStatus?> StoredTaskStatus { get; } = new(StringComparer.Ordinal);

    /// <summary>Records what the store holds for a task.</summary>
    public void Stored(ConductorTask task, string json)
    {
        StoredTaskJson[task.TaskId!] = json;
        StoredTaskStatus[task.TaskId!] = task.Status;
    }

    /// <summary>The task's row was deleted from the store.</summary>
    public void Unstored(string taskId)
    {
        StoredTaskJson.Remove(taskId);
        StoredTaskStatus.Remove(taskId);
    }

    public List<ConductorTask> Tasks => Workflow.Tasks;

    /// <summary>Set while the decider runs on this workflow, so nested notifications (a child finishing inside the
    /// parent's own pass) update state without re-entering the decider.</summary>
    public bool Deciding { get; set; }

    /// <summary>Removed from the store in this transaction: nothing to save.</summary>
    public bool Removed { get; set; }

    public WorkflowDef Definition => Workflow.WorkflowDefinition ?? throw new InvalidOperationException("Workflow " + Workflow.WorkflowId + " has no definition snapshot.");

    public Navigator Navigator => Navigator.For(Definition);

    /// <summary>Id of the stored definition snapshot this workflow uses.</summary>
    public long? DefinitionId { get; set; }

    public string Id => Workflow.WorkflowId!;

    public ConductorTask? TaskById(string taskId) => Tasks.Find(t => t.TaskId == taskId);

    /// <summary>The latest attempt of a reference name (loop iterations carry their <c>__n</c> suffix).</summary>
    public ConductorTask? LatestByRef(string referenceName)
    {
        for (var i = Tasks.Count - 1; i >= 0; i--)
        {
            if (Tasks[i].ReferenceTaskName == referenceName)
            {
                return Tasks[i];
            }
        }
        return null;
    }

    public int NextSeq() => Tasks.Count == 0 ? 1 : Tasks.Max(t => t.Seq) + 1;
}
