using ConductorTools.Engine.Storage;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// One unit of work under the engine's writer lock: the open SQLite transaction, the clock reading, every workflow
/// loaded so far (so nested work — a child finishing, a failure workflow starting — shares one in-memory copy), single
/// tasks read without their workflow (a poll), and the queues to wake once the transaction has committed. Workflows
/// and tasks are written back by <see cref="Save"/>, once, at the end; reads made through the Tx see the changes made
/// in it before they are written.
/// </summary>
internal sealed class Tx
{
    private readonly Dictionary<string, WorkflowState> _loaded = new(StringComparer.Ordinal);

    /// <summary>Tasks read on their own (without their workflow), by id.</summary>
    private readonly Dictionary<string, LooseTask> _loose = new(StringComparer.Ordinal);

    private sealed class LooseTask(ConductorTask task, string storedJson, WorkflowDef? definition)
    {
        public ConductorTask Task { get; } = task;

        public string StoredJson { get; set; } = storedJson;

        public ConductorTaskStatus? StoredStatus { get; set; } = task.Status;

        public WorkflowDef? Definition { get; } = definition;
    }

    public Tx(SqliteStore store, long now)
    {
        Store = store;
        Now = now;
    }

    public SqliteStore Store { get; }

    /// <summary>When this engine opened its store (epoch milliseconds): response timeouts count from no earlier.</summary>
    public long EngineStarted { get; init; }

    /// <summary>Epoch milliseconds, fixed for the whole transaction.</summary>
    public long Now { get; }

    /// <summary>Queue names that received a task; their long-poll waiters are woken after commit.</summary>
    public HashSet<string> WokenQueues { get; } = new(StringComparer.Ordinal);

    /// <summary>Script evaluations this transaction asked for, run once it has committed (outside the writer lock).</summary>
    public List<ScriptJob> ScriptJobs { get; } = new();

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
        foreach (var (stored, taskJson) in Store.GetTasks(workflowId))
        {
            var task = stored;
            var storedJson = taskJson;
            ConductorTaskStatus? storedStatus = task.Status;
            // A task this transaction already read on its own (and may have changed) is the current one.
            if (_loose.TryGetValue(task.TaskId!, out var loose))
            {
                _loose.Remove(task.TaskId!);
                task = loose.Task;
                storedJson = loose.StoredJson;
                storedStatus = loose.StoredStatus;
            }
            TaskShapes.Attach(task, workflow.WorkflowDefinition);
            workflow.Tasks.Add(task);
            if (ReferenceEquals(task, stored) && (task.Retried || (task.Executed && (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())))
            {
                state.SettledAtLoad.Add(task.TaskId!);
            }
            state.StoredTaskJson[task.TaskId!] = storedJson;
            state.StoredTaskStatus[task.TaskId!] = storedStatus;
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

    /// <summary>
    /// A task by id, as this transaction sees it: the copy inside a loaded workflow, else one read on its own (without
    /// loading its workflow, so a poll stays cheap in a workflow of many tasks) and tracked here, so that changes to it
    /// are saved and a later <see cref="Load"/> of its workflow uses it. Its <c>workflowTask</c> is attached.
    /// </summary>
    public ConductorTask? Task(string taskId)
    {
        foreach (var state in _loaded.Values)
        {
            if (!state.Removed && state.TaskById(taskId) is { } task)
            {
                return task;
            }
        }
        if (_loose.TryGetValue(taskId, out var loose))
        {
            return loose.Task;
        }
        if (Store.GetTask(taskId, out var definition) is not { } row)
        {
            return null;
        }
        if (_loaded.TryGetValue(row.Task.WorkflowInstanceId ?? "", out var owner) && owner.Removed)
        {
            return null;
        }
        TaskShapes.Attach(row.Task, definition);
        _loose[taskId] = new LooseTask(row.Task, row.Json, definition);
        return row.Task;
    }

    /// <summary>How many tasks of a TaskDef have a status, counting this transaction's unsaved changes.</summary>
    public int CountTasks(string defName, ConductorTaskStatus status)
    {
        var count = Store.CountTasks(defName, status.ToString());
        void Adjust(ConductorTask task, bool isStored, ConductorTaskStatus? storedStatus)
        {
            if (task.TaskDefName != defName)
            {
                return;
            }
            if (isStored && storedStatus == status)
            {
                count--;
            }
            if (task.Status == status)
            {
                count++;
            }
        }
        foreach (var state in _loaded.Values)
        {
            if (state.Removed)
            {
                continue;
            }
            foreach (var task in state.Tasks)
            {
                var isStored = state.StoredTaskStatus.TryGetValue(task.TaskId!, out var storedStatus);
                Adjust(task, isStored, storedStatus);
            }
        }
        foreach (var loose in _loose.Values)
        {
            Adjust(loose.Task, true, loose.StoredStatus);
        }
        return count;
    }

    /// <summary>Writes every workflow and task whose JSON changed.</summary>
    public void Save(Func<WorkflowState, long?> wakeAt)
    {
        foreach (var loose in _loose.Values)
        {
            if (_loaded.TryGetValue(loose.Task.WorkflowInstanceId ?? "", out var owner) && owner.Removed)
            {
                continue;
            }
            var json = TaskShapes.Serialize(loose.Task, loose.Definition);
            if (json != loose.StoredJson)
            {
                Store.PutTask(loose.Task, json);
                loose.StoredJson = json;
                loose.StoredStatus = loose.Task.Status;
            }
        }
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
                    state.Stored(task, json);
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
