using ConductorTools.Engine.Storage;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// One unit of work under the engine's writer lock: the open SQLite transaction, the clock reading, every workflow
/// loaded so far (so nested work — a child finishing, a failure workflow starting — shares one in-memory copy) and the
/// queues to wake once the transaction has committed.
/// </summary>
internal sealed class Tx
{
    private readonly Dictionary<string, WorkflowState> _loaded = new(StringComparer.Ordinal);

    public Tx(SqliteStore store, long now)
    {
        Store = store;
        Now = now;
    }

    public SqliteStore Store { get; }

    /// <summary>Epoch milliseconds, fixed for the whole transaction.</summary>
    public long Now { get; }

    /// <summary>Queue names that received a task; their long-poll waiters are woken after commit.</summary>
    public HashSet<string> WokenQueues { get; } = new(StringComparer.Ordinal);

    /// <summary>Set when a system task (HTTP) was queued for the sweeper to run.</summary>
    public bool SystemTaskQueued { get; set; }

    public WorkflowState? Load(string workflowId)
    {
        if (_loaded.TryGetValue(workflowId, out var state))
        {
            return state.Removed ? null : state;
        }
        var row = Store.GetWorkflow(workflowId);
        if (row is null)
        {
            return null;
        }
        var (workflow, json, wake, definitionId) = row.Value;
        state = new WorkflowState(workflow, json) { StoredWake = wake, DefinitionId = definitionId };
        workflow.Tasks = new List<ConductorTask>();
        foreach (var (task, taskJson) in Store.GetTasks(workflowId))
        {
            TaskShapes.Attach(task, workflow.WorkflowDefinition);
            workflow.Tasks.Add(task);
            if (task.Retried || (task.Executed && (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal()))
            {
                state.SettledAtLoad.Add(task.TaskId!);
            }
            state.StoredTaskJson[task.TaskId!] = taskJson;
        }
        _loaded[workflowId] = state;
        return state;
    }

    public WorkflowState Add(Workflow workflow)
    {
        var state = new WorkflowState(workflow, null);
        _loaded[workflow.WorkflowId!] = state;
        return state;
    }

    public void Forget(string workflowId)
    {
        if (_loaded.TryGetValue(workflowId, out var state))
        {
            state.Removed = true;
        }
    }

    /// <summary>Writes everything loaded so far and forgets it, so that what follows (a poll reading the store
    /// directly) sees the current rows and nothing stale is written back later.</summary>
    public void Flush(Func<WorkflowState, long?> wakeAt)
    {
        Save(wakeAt);
        _loaded.Clear();
    }

    /// <summary>Writes every workflow and task whose JSON changed.</summary>
    public void Save(Func<WorkflowState, long?> wakeAt)
    {
        foreach (var state in _loaded.Values)
        {
            if (state.Removed)
            {
                continue;
            }
            var tasksChanged = false;
            var definition = state.Workflow.WorkflowDefinition;
            var definitionChanged = false;
            if (definition is not null && (state.DefinitionId is not { } defId || !Store.IsCachedDefinition(defId, definition)))
            {
                var id = Store.PutDefinition(definition);
                definitionChanged = id != state.DefinitionId;
                state.DefinitionId = id;
            }
            foreach (var task in state.Tasks)
            {
                if (!state.FullSave && state.SettledAtLoad.Contains(task.TaskId!))
                {
                    continue;
                }
                var json = TaskShapes.Serialize(task, definition);
                if (!state.StoredTaskJson.TryGetValue(task.TaskId!, out var stored) || stored != json)
                {
                    Store.PutTask(task, json);
                    state.StoredTaskJson[task.TaskId!] = json;
                    tasksChanged = true;
                }
            }
            var workflow = state.Workflow;
            var wake = wakeAt(state);
            var tasks = workflow.Tasks;
            workflow.Tasks = new List<ConductorTask>();
            // The definition lives in its own table (shared by every workflow of that snapshot).
            workflow.WorkflowDefinition = null;
            try
            {
                var json = ConductorJson.Serialize(workflow);
                if (tasksChanged || definitionChanged || json != state.StoredJson)
                {
                    workflow.UpdateTime = Now;
                    json = ConductorJson.Serialize(workflow);
                    Store.PutWorkflow(workflow, json, wake, state.DefinitionId);
                    state.StoredJson = json;
                    state.StoredWake = wake;
                }
                else if (wake != state.StoredWake)
                {
                    Store.SetWake(state.Id, wake);
                    state.StoredWake = wake;
                }
            }
            finally
            {
                workflow.Tasks = tasks;
                workflow.WorkflowDefinition = definition;
            }
        }
    }
}
