using ConductorTools.Api;
using ConductorTools.Engine.Execution;
using ConductorTools.Model;

namespace ConductorTools.Engine;

/// <summary>Polling, updates, logs and queues (conductor-oss rest/.../controllers/TaskResource.java).</summary>
public sealed partial class EmbeddedConductor
{
    /// <summary>Conductor's cap on a batch poll's server-side wait.</summary>
    private static readonly TimeSpan MaxPollTimeout = TimeSpan.FromSeconds(5);

    public async Task<ConductorTask?> PollAsync(string taskType, string? workerId = null, string? domain = null,
        CancellationToken cancellationToken = default)
    {
        var tasks = await BatchPollAsync(taskType, 1, TimeSpan.Zero, workerId, domain, cancellationToken).ConfigureAwait(false);
        return tasks.Count > 0 ? tasks[0] : null;
    }

    public async Task<IReadOnlyList<ConductorTask>> BatchPollAsync(string taskType, int count, TimeSpan timeout, string? workerId = null,
        string? domain = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(taskType))
        {
            throw ConductorException.BadRequest("Task type cannot be null or empty.");
        }
        if (count < 1)
        {
            throw ConductorException.BadRequest($"count must be at least 1 (was {count}).");
        }
        if (timeout > MaxPollTimeout)
        {
            throw ConductorException.BadRequest("Long Poll Timeout value cannot be more than 5 seconds");
        }
        domain = string.IsNullOrEmpty(domain) ? null : domain;
        var queue = Decider.QueueName(taskType, domain);
        var signal = _queueSignals.GetOrAdd(queue, _ => new Signal());
        var deadline = Now() + (long)timeout.TotalMilliseconds;
        while (true)
        {
            // Take the wake-up before looking, so a task scheduled between the look and the wait is not missed.
            var wake = signal.Current;
            var outcome = await RunAsync(tx => _poller.Poll(tx, taskType, domain, workerId, count), cancellationToken).ConfigureAwait(false);
            if (outcome.Tasks.Count > 0)
            {
                PolledCounter.Add(outcome.Tasks.Count);
                return outcome.Tasks;
            }
            var now = Now();
            if (now >= deadline)
            {
                return Array.Empty<ConductorTask>();
            }
            var until = outcome.RetryAt is { } retryAt && retryAt < deadline ? Math.Max(retryAt, now + 1) : deadline;
            using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            var delay = _time.Delay(TimeSpan.FromMilliseconds(until - now), delayCancel.Token);
            var first = await Task.WhenAny(wake, delay).ConfigureAwait(false);
            delayCancel.Cancel();
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposed();
            _ = first;
        }
    }

    public async Task<string> UpdateTaskAsync(TaskResult result, CancellationToken cancellationToken = default)
    {
        ValidateResult(result);
        await RunAsync(tx => _decider.UpdateTask(tx, result), cancellationToken).ConfigureAwait(false);
        UpdatedCounter.Add(1);
        return result.TaskId;
    }

    public async Task<ConductorTask?> UpdateTaskV2Async(TaskResult result, CancellationToken cancellationToken = default)
    {
        ValidateResult(result);
        var next = await RunAsync(tx =>
        {
            var updated = _decider.UpdateTask(tx, result);
            if (updated is null || !(updated.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal() || !Decider.IsWorkerTask(updated))
            {
                return null;
            }
            // The poll goes through the same transaction, so it sees the task the update just scheduled.
            var outcome = _poller.Poll(tx, updated.TaskType!, updated.Domain, result.WorkerId ?? updated.WorkerId, 1);
            return outcome.Tasks.FirstOrDefault();
        }, cancellationToken).ConfigureAwait(false);
        UpdatedCounter.Add(1);
        if (next is not null)
        {
            PolledCounter.Add(1);
        }
        return next;
    }

    private static void ValidateResult(TaskResult result)
    {
        if (result is null)
        {
            throw ConductorException.BadRequest("Task result cannot be null.");
        }
        PayloadLimits.CheckData(result.OutputData, "The task output");
        var errors = new List<ValidationError>();
        if (string.IsNullOrEmpty(result.TaskId))
        {
            errors.Add(new ValidationError("updateTask.taskResult.taskId", "Task ID cannot be null or empty"));
        }
        if (string.IsNullOrEmpty(result.WorkflowInstanceId))
        {
            errors.Add(new ValidationError("updateTask.taskResult.workflowInstanceId", "Workflow Id cannot be null or empty"));
        }
        if (errors.Count > 0)
        {
            throw ConductorException.BadRequest(DefinitionChecks.Message, errors);
        }
    }

    public Task<string?> UpdateTaskByRefNameAsync(string workflowId, string taskReferenceName, TaskResultStatus status,
        IDictionary<string, object?>? output, string? workerId = null, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var state = tx.Load(workflowId) ?? throw ConductorException.NotFound($"No such workflow found by id: {workflowId}");
            var task = state.Tasks.FirstOrDefault(t => !(t.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal()
                && (t.ReferenceTaskName == taskReferenceName || (t.ReferenceTaskName ?? "").StartsWith(taskReferenceName + "__", StringComparison.Ordinal)));
            if (task is null)
            {
                return null;
            }
            ApplyMerged(tx, task, status, output, workerId);
            return task.TaskId;
        }, cancellationToken);

    public Task SignalWorkflowTaskAsync(string workflowId, TaskResultStatus status, IDictionary<string, object?>? output,
        CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var state = tx.Load(workflowId) ?? throw ConductorException.NotFound($"No such workflow found by id: {workflowId}");
            var task = state.Tasks.FirstOrDefault(t => t.TaskType is WorkflowTaskTypes.Wait or WorkflowTaskTypes.Human
                && !(t.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
                ?? throw ConductorException.NotFound($"Workflow {workflowId} has no pending WAIT or HUMAN task to signal.");
            ApplyMerged(tx, task, status, output, null);
        }, cancellationToken);

    /// <summary>Conductor's "update by reference name": the given output is merged into the task's existing output (conductor-oss
    /// core/.../service/TaskServiceImpl.java, updateTask by workflowId and taskRefName).</summary>
    private void ApplyMerged(Tx tx, ConductorTask task, TaskResultStatus status, IDictionary<string, object?>? output, string? workerId)
    {
        PayloadLimits.CheckData(output, "The task output");
        var merged = ConductorJson.CloneMap(task.OutputData);
        foreach (var pair in output ?? new Dictionary<string, object?>())
        {
            merged[pair.Key] = ConductorJson.DeepClone(pair.Value);
        }
        _decider.UpdateTask(tx, new TaskResult(task.WorkflowInstanceId!, task.TaskId!, status)
        {
            OutputData = merged,
            WorkerId = workerId ?? task.WorkerId,
            ReasonForIncompletion = task.ReasonForIncompletion,
        });
    }

    public Task<ConductorTask> GetTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        RunAsync(tx => Decider.Clone(tx.Task(taskId) ?? throw ConductorException.NotFound($"No such task found by id: {taskId}")), cancellationToken);

    public async Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.GetLogs(taskId), cancellationToken).ConfigureAwait(false);

    public Task AddTaskLogAsync(string taskId, string log, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            if (tx.Store.GetTaskWorkflowId(taskId) is null)
            {
                throw ConductorException.NotFound($"No such task found by id: {taskId}");
            }
            tx.Store.AddLog(taskId, log ?? "", tx.Now);
        }, cancellationToken);

    public async Task<IReadOnlyDictionary<string, int>> GetQueueSizesAsync(IEnumerable<string> taskTypes, CancellationToken cancellationToken = default)
    {
        var types = (taskTypes ?? Array.Empty<string>()).ToList();
        return await RunAsync(tx =>
        {
            var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var type in types)
            {
                sizes[type] = tx.Store.QueueSize(type);
            }
            return (IReadOnlyDictionary<string, int>)sizes;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> GetQueueSizeAsync(string taskType, string? domain = null, CancellationToken cancellationToken = default) =>
        RunAsync(tx => tx.Store.QueueSize(Decider.QueueName(taskType, string.IsNullOrEmpty(domain) ? null : domain)), cancellationToken);

    public async Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.GetPollData(taskType), cancellationToken).ConfigureAwait(false);

    /// <summary>conductor-oss's <c>GET /api/tasks/queue/all</c>: the size of every task queue (domain queues as
    /// <c>domain:type</c>).</summary>
    public async Task<IReadOnlyDictionary<string, int>> GetAllQueueSizesAsync(CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.QueueSizes(), cancellationToken).ConfigureAwait(false);

    /// <summary>conductor-oss's <c>GET /api/tasks/queue/polldata/all</c>: the last poll of every task type, domain and worker.</summary>
    public async Task<IReadOnlyList<PollData>> GetAllPollDataAsync(CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.GetPollData(null), cancellationToken).ConfigureAwait(false);

    /// <summary>conductor-oss's <c>POST /api/tasks/queue/requeue/{taskType}</c>: puts every SCHEDULED worker task of the
    /// type that is missing from its queue back in it (visible now) and returns how many. The engine keeps every such task
    /// queued, so this is normally 0; it repairs a database edited by hand.</summary>
    public Task<int> RequeuePendingTasksAsync(string taskType, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var count = 0;
            foreach (var taskId in tx.Store.TaskIdsByTypeAndStatus(taskType, nameof(ConductorTaskStatus.SCHEDULED)))
            {
                if (tx.Store.IsQueued(taskId) || tx.Task(taskId) is not { } task || !Decider.IsWorkerTask(task))
                {
                    continue;
                }
                var queue = Decider.QueueName(task.TaskType!, task.Domain);
                tx.Store.Enqueue(taskId, queue, tx.Now, task.WorkflowPriority, tx.Now);
                tx.WokenQueues.Add(queue);
                count++;
            }
            return count;
        }, cancellationToken);
}
