using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Workers;

// Leases of running tasks: extension for long handlers, and handing unfinished tasks back to Conductor.
public sealed partial class WorkerRunner
{
    private IDisposable? StartLeaseExtension(WorkerState worker, ConductorTask task)
    {
        if (!worker.Options.LeaseExtendEnabled || task.ResponseTimeoutSeconds <= 0) return null;
        var interval = TimeSpan.FromSeconds(Math.Max(1, task.ResponseTimeoutSeconds * 0.8));
        return _time.CreateTimer(_ => _ = ExtendLeaseAsync(worker, task), null, interval, interval);
    }

    private async Task ExtendLeaseAsync(WorkerState worker, ConductorTask task)
    {
        var keepAlive = new TaskResult(task.WorkflowInstanceId ?? "", task.TaskId ?? "", TaskResultStatus.IN_PROGRESS)
        {
            ExtendLease = true,
            WorkerId = worker.Options.WorkerId,
        };
        var failure = await RetryAsync(LeaseAttempts, _ => _api.UpdateTaskAsync(keepAlive), (ex, attempt) =>
        {
            _logger.LogWarning("Extending the lease of task {TaskId} failed (attempt {Attempt} of {Attempts}): {Message}",
                task.TaskId, attempt, LeaseAttempts, ex.Message);
            return true;
        }, CancellationToken.None).ConfigureAwait(false);
        if (failure is null) Raise(new WorkerEvent(WorkerEventKind.LeaseExtended, worker.TaskType) { Task = task });
    }

    /// <summary>Tries of one lease extension or hand-back; after that Conductor's own timeouts take over.</summary>
    private const int LeaseAttempts = 3;

    private async Task HandBackAsync(WorkerState worker, ConductorTask task, RunState run, WorkerHandBackReason reason)
    {
        var result = new TaskResult(task.WorkflowInstanceId ?? "", task.TaskId ?? "", TaskResultStatus.IN_PROGRESS)
        {
            CallbackAfterSeconds = _options.HandBackCallbackSeconds,
            WorkerId = worker.Options.WorkerId,
        };
        var failure = await RetryAsync(LeaseAttempts, _ => _api.UpdateTaskAsync(result), (ex, attempt) =>
        {
            _logger.LogDebug("Handing back task {TaskId} failed (attempt {Attempt}): {Message}", task.TaskId, attempt, ex.Message);
            return true;
        }, CancellationToken.None).ConfigureAwait(false);
        if (failure is null)
        {
            run.Add(ref run.HandedBackCount, 1);
            Raise(new WorkerEvent(WorkerEventKind.HandedBack, worker.TaskType) { Task = task, HandBackReason = reason, Count = (int)reason });
            return;
        }
        _logger.LogWarning("Could not hand task {TaskId} ({TaskType}) back: {Message}. Conductor re-queues it after its response timeout.",
            task.TaskId, worker.TaskType, failure.Message);
    }
}
