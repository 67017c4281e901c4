using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Hands queued worker tasks to pollers (conductor-oss core/.../service/ExecutionService.java, poll): takes due task ids from the queue in order, applies the TaskDef's
/// <c>concurrentExecLimit</c> and <c>rateLimitPerFrequency</c>, and marks what it hands out IN_PROGRESS. Works through
/// the <see cref="Tx"/> like every other change, so a poll sees the tasks an update scheduled in the same transaction
/// (update-v2) without writing them first.
/// </summary>
internal sealed class TaskPoller
{
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
        var queue = Decider.QueueName(taskType, domain);
        tx.Store.RecordPoll(taskType, domain, workerId, tx.Now);
        var limited = false;
        foreach (var taskId in tx.Store.DueTaskIds(queue, tx.Now, count + 16))
        {
            if (outcome.Tasks.Count >= count)
            {
                break;
            }
            var task = tx.Task(taskId);
            if (task is null || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                tx.Store.Dequeue(taskId);
                continue;
            }
            var def = Decider.EffectiveDef(task);
            if (def.ConcurrentExecLimit is > 0 && tx.CountTasks(task.TaskDefName ?? "", ConductorTaskStatus.IN_PROGRESS) >= def.ConcurrentExecLimit.Value)
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
            tx.Store.Dequeue(taskId);
            if (task.ResponseTimeoutSeconds > 0)
            {
                tx.Store.WakeNoLaterThan(task.WorkflowInstanceId!, tx.Now + task.ResponseTimeoutSeconds * 1000);
            }
            if (def.TimeoutSeconds > 0 && def.TimeoutPolicy != TaskTimeoutPolicy.ALERT_ONLY)
            {
                tx.Store.WakeNoLaterThan(task.WorkflowInstanceId!, task.StartTime + task.StartDelayInSeconds * 1000L + def.TimeoutSeconds * 1000);
            }
            outcome.Tasks.Add(Decider.Clone(task));
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
}
