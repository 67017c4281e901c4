using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>Polling (§4.2) and task updates (§4.3).</summary>
internal sealed partial class Decider
{
    /// <summary>Maximum log lines stored per update (Conductor drops the rest).</summary>
    private const int MaxLogsPerUpdate = 10;

    /// <summary>Hand-out times per task definition, for rateLimitPerFrequency (kept in memory: a restart forgets the
    /// current window, which only lets a few more tasks through once).</summary>
    private readonly Dictionary<string, Queue<long>> _handOuts = new(StringComparer.Ordinal);

    internal sealed class PollOutcome
    {
        public List<ConductorTask> Tasks { get; } = new();

        /// <summary>When something in this queue may next become available (delayed task, rate-limit window), if known.</summary>
        public long? RetryAt { get; set; }
    }

    public PollOutcome Poll(Tx tx, string taskType, string? domain, string? workerId, int count)
    {
        var outcome = new PollOutcome();
        var queue = QueueName(taskType, domain);
        tx.Store.RecordPoll(taskType, domain, workerId, tx.Now);
        var limited = false;
        foreach (var taskId in tx.Store.DueTaskIds(queue, tx.Now, count + 16))
        {
            if (outcome.Tasks.Count >= count)
            {
                break;
            }
            var task = tx.Store.GetTask(taskId, out var definition);
            if (task is null || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                tx.Store.Dequeue(taskId);
                continue;
            }
            var def = EffectiveDef(task);
            if (def.ConcurrentExecLimit is > 0 && tx.Store.CountTasks(task.TaskDefName ?? "", nameof(ConductorTaskStatus.IN_PROGRESS)) >= def.ConcurrentExecLimit.Value)
            {
                // Stays queued; an update that frees a slot wakes this queue's waiters.
                limited = true;
                break;
            }
            if (def.EffectiveRateLimitPerFrequency > 0 && !TryTakeRate(task.TaskDefName ?? "", def, tx.Now, out var freeAt))
            {
                outcome.RetryAt = freeAt;
                limited = true;
                break;
            }
            task.Status = ConductorTaskStatus.IN_PROGRESS;
            if (task.StartTime == 0)
            {
                task.StartTime = tx.Now;
            }
            if (task.FirstStartTime == 0)
            {
                task.FirstStartTime = tx.Now;
            }
            task.CallbackAfterSeconds = 0;
            task.WorkerId = workerId;
            task.PollCount++;
            task.UpdateTime = tx.Now;
            task.QueueWaitTime = Math.Max(0, tx.Now - task.ScheduledTime);
            tx.Store.PutTask(task, TaskShapes.Serialize(task, definition));
            tx.Store.Dequeue(taskId);
            if (task.ResponseTimeoutSeconds > 0)
            {
                tx.Store.WakeNoLaterThan(task.WorkflowInstanceId!, tx.Now + task.ResponseTimeoutSeconds * 1000);
            }
            if (def.TimeoutSeconds > 0 && def.TimeoutPolicy != TaskTimeoutPolicy.ALERT_ONLY)
            {
                tx.Store.WakeNoLaterThan(task.WorkflowInstanceId!, task.StartTime + task.StartDelayInSeconds * 1000L + def.TimeoutSeconds * 1000);
            }
            outcome.Tasks.Add(Clone(task));
        }
        if (!limited && outcome.Tasks.Count == 0)
        {
            outcome.RetryAt = tx.Store.NextVisibleAt(queue);
        }
        return outcome;
    }

    private bool TryTakeRate(string defName, TaskDef def, long now, out long freeAt)
    {
        var window = def.EffectiveRateLimitFrequencyInSeconds * 1000L;
        if (!_handOuts.TryGetValue(defName, out var times))
        {
            times = new Queue<long>();
            _handOuts[defName] = times;
        }
        while (times.Count > 0 && now - times.Peek() >= window)
        {
            times.Dequeue();
        }
        if (times.Count >= def.EffectiveRateLimitPerFrequency)
        {
            freeAt = times.Peek() + window;
            return false;
        }
        times.Enqueue(now);
        freeAt = now;
        return true;
    }

    /// <summary>Applies a worker's result (§4.3). Returns the task as updated, or null when the update was ignored
    /// (terminal task or workflow).</summary>
    public ConductorTask? UpdateTask(Tx tx, TaskResult result)
    {
        var workflowId = tx.Store.GetTaskWorkflowId(result.TaskId)
            ?? throw ConductorException.NotFound($"No such task found by id: {result.TaskId}");
        var state = tx.Load(workflowId) ?? throw ConductorException.NotFound($"No such workflow found by id: {workflowId}");
        var task = state.TaskById(result.TaskId) ?? throw ConductorException.NotFound($"No such task found by id: {result.TaskId}");
        var current = task.Status ?? ConductorTaskStatus.SCHEDULED;
        if (result.ExtendLease)
        {
            if (!current.IsTerminal())
            {
                task.UpdateTime = tx.Now;
            }
            return null;
        }
        if (current.IsTerminal() || state.Workflow.Status.IsTerminal())
        {
            tx.Store.Dequeue(task.TaskId!);
            return null;
        }
        var status = result.Status ?? throw ConductorException.BadRequest("Task status cannot be null: set status to IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or CANCELED.");
        task.OutputData = result.OutputData is null ? new Dictionary<string, object?>() : ConductorJson.CloneMap(result.OutputData);
        task.ReasonForIncompletion = Truncate(result.ReasonForIncompletion, 500);
        if (result.WorkerId is not null)
        {
            task.WorkerId = result.WorkerId;
        }
        if (result.SubWorkflowId is not null)
        {
            task.SubWorkflowId = result.SubWorkflowId;
        }
        if (result.ExecutionMetadata is not null)
        {
            task.ExecutionMetadata = ConductorJson.CloneMap(result.ExecutionMetadata);
        }
        task.CallbackAfterSeconds = result.CallbackAfterSeconds;
        task.UpdateTime = tx.Now;
        AppendLogs(tx, task.TaskId!, result.Logs);

        if (status == TaskResultStatus.IN_PROGRESS)
        {
            if (IsWorkerTask(task))
            {
                // Back to the queue, visible again after callbackAfterSeconds (§4.3 step 3).
                task.Status = ConductorTaskStatus.SCHEDULED;
                var queue = QueueName(task.TaskType!, task.Domain);
                tx.Store.Enqueue(task.TaskId!, queue, tx.Now + result.CallbackAfterSeconds * 1000, state.Workflow.Priority, tx.Now);
                tx.WokenQueues.Add(queue);
            }
            else
            {
                task.Status = ConductorTaskStatus.IN_PROGRESS;
            }
            return task;
        }
        task.Status = status.ToTaskStatus();
        task.EndTime = tx.Now;
        if (task.StartTime == 0)
        {
            task.StartTime = tx.Now;
        }
        tx.Store.Dequeue(task.TaskId!);
        if (IsWorkerTask(task))
        {
            // A finished task may free a concurrentExecLimit slot for waiting pollers.
            tx.WokenQueues.Add(QueueName(task.TaskType!, task.Domain));
        }
        Decide(tx, state);
        return task;
    }

    private static void AppendLogs(Tx tx, string taskId, List<TaskExecLog>? logs)
    {
        if (logs is null)
        {
            return;
        }
        foreach (var log in logs.Take(MaxLogsPerUpdate))
        {
            if (log.Log is null)
            {
                continue;
            }
            tx.Store.AddLog(taskId, log.Log, log.CreatedTime > 0 ? log.CreatedTime : tx.Now);
        }
    }

    private static string? Truncate(string? text, int max) =>
        text is null || text.Length <= max ? text : text.Substring(0, max);
}
