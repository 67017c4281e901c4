using System.Diagnostics;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Workers;

// Result delivery: update (or update-v2) with retries, the outbox for what cannot be delivered yet, and its flushing.
public sealed partial class WorkerRunner
{
    /// <summary>
    /// Reports a result until Conductor accepts it: up to <see cref="DeliveryAttempts"/> tries on transient failures; a result
    /// Conductor refuses is given up (logged, counted); one still undelivered goes to the outbox. Returns the next task when
    /// update-v2 handed one out.
    /// </summary>
    private async Task<ConductorTask?> DeliverAsync(WorkerState worker, TaskResult result, RunState run, bool takeNext)
    {
        ConductorTask? next = null;
        var shrunk = false;
        var rejected = false;

        async Task Send()
        {
            if (takeNext) next = await _api.UpdateTaskV2Async(result, run.HardStop.Token).ConfigureAwait(false);
            else await _api.UpdateTaskAsync(result, run.HardStop.Token).ConfigureAwait(false);
        }

        var failure = await RetryAsync(DeliveryAttempts, async _ =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await Send().ConfigureAwait(false);
            }
            catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.PayloadTooLarge && !shrunk)
            {
                // Sending the same result again would fail the same way: report the task as failed, without its output, at
                // once (terminal, as Conductor itself fails a task whose output exceeds its limit).
                shrunk = true;
                result = WithoutOutput(worker, result, run, ex);
                await Send().ConfigureAwait(false);
            }
            WorkerMetrics.UpdateTime.Record(WorkerMetrics.Seconds(start), WorkerMetrics.Type(worker.TaskType));
        }, (ex, attempt) =>
        {
            if (ex is OperationCanceledException && run.HardStop.IsCancellationRequested) return false;
            // A 500 with a Conductor body is usually a state error that will not change, but a proxy or gateway can answer the
            // same way for a passing fault: such a result gets the normal retries before it is given up as rejected.
            if (ex is ConductorException refused && !IsWorthRetrying(refused)
                && !(refused.Kind == ConductorErrorKind.InvalidState && attempt < DeliveryAttempts))
            {
                rejected = true;
                run.Add(ref run.UpdateFailureCount, 1);
                WorkerMetrics.UpdateErrors.Add(1, WorkerMetrics.Type(worker.TaskType), WorkerMetrics.Exception(ex));
                Raise(new WorkerEvent(WorkerEventKind.UpdateFailed, worker.TaskType) { Result = result, Error = ex });
                _logger.LogError("Conductor rejected the result of task {TaskId} ({TaskType}, {Status}): {Message}",
                    result.TaskId, worker.TaskType, result.Status, ex.Message);
                return false;
            }
            // Retries use plain updates: if update-v2 was applied but its answer lost, repeating it could hand out
            // (and strand) yet another task, while repeating a plain update of a finished task is harmless.
            takeNext = false;
            run.Add(ref run.UpdateRetryCount, 1);
            WorkerMetrics.UpdateErrors.Add(1, WorkerMetrics.Type(worker.TaskType), WorkerMetrics.Exception(ex));
            Raise(new WorkerEvent(WorkerEventKind.UpdateRetried, worker.TaskType) { Result = result, Error = ex, Count = attempt });
            if (attempt < DeliveryAttempts)
            {
                _logger.LogWarning("Reporting task {TaskId} ({TaskType}) failed (attempt {Attempt}); retrying: {Message}",
                    result.TaskId, worker.TaskType, attempt, ex.Message);
            }
            return true;
        }, run.HardStop.Token).ConfigureAwait(false);

        if (failure is null) return next;
        if (!rejected) KeepForLater(worker, result, run, failure is OperationCanceledException && run.HardStop.IsCancellationRequested ? null : failure);
        return null;
    }

    /// <summary>Tries of one delivery before the result goes to the outbox (which keeps trying).</summary>
    private const int DeliveryAttempts = 3;

    /// <summary>The result to send instead of one the server found too large (413): FAILED_WITH_TERMINAL_ERROR, no output,
    /// and a reason that says why.</summary>
    private TaskResult WithoutOutput(WorkerState worker, TaskResult result, RunState run, ConductorException tooLarge)
    {
        var size = ApproximateSize(result);
        var what = size < 0 ? $"{result.Status}" : $"{result.Status}, about {size / 1024.0:0.#} KiB of output and logs";
        var reason = $"The {worker.TaskType} result ({what}) is too large for the " +
            "Conductor server (413). Return less data, or store it elsewhere and return a reference.";
        _logger.LogError("The result of task {TaskId} ({TaskType}) is too large for the server ({Size} bytes): {Message}. Reporting it as FAILED_WITH_TERMINAL_ERROR without output.",
            result.TaskId, worker.TaskType, size, tooLarge.Message);
        WorkerMetrics.UpdateErrors.Add(1, WorkerMetrics.Type(worker.TaskType), WorkerMetrics.Exception(tooLarge));
        Raise(new WorkerEvent(WorkerEventKind.UpdateFailed, worker.TaskType) { Result = result, Error = tooLarge });
        run.Recount(result.Status, TaskResultStatus.FAILED_WITH_TERMINAL_ERROR);
        var failed = new TaskResult(result.WorkflowInstanceId, result.TaskId, TaskResultStatus.FAILED_WITH_TERMINAL_ERROR)
        {
            WorkerId = result.WorkerId,
            ReasonForIncompletion = reason,
            OutputData = new Dictionary<string, object?>(),
        };
        failed.AddLog(reason + " Server: " + tooLarge.Message);
        return failed;
    }

    private static long ApproximateSize(TaskResult result)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetByteCount(ConductorJson.Serialize(result));
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException or System.Text.Json.JsonException)
        {
            return -1;
        }
    }

    private static bool IsWorthRetrying(ConductorException ex) =>
        ex.Retryable || ex.Kind is ConductorErrorKind.Transport or ConductorErrorKind.Timeout or ConductorErrorKind.Server
            or ConductorErrorKind.RateLimited or ConductorErrorKind.Unauthorized;

    private void KeepForLater(WorkerState worker, TaskResult result, RunState run, Exception? error)
    {
        try
        {
            _outbox.Add(result);
            run.OutboxChanged();
            _logger.LogWarning("The result of task {TaskId} ({TaskType}) could not be delivered yet{Reason}; kept in the outbox{Where} and retried.",
                result.TaskId, worker.TaskType, error is null ? "" : ": " + error.Message,
                _outbox.IsDurable ? " on disk" : " in memory");
        }
        catch (IOException ex)
        {
            _logger.LogError(ex, "Could not write the result of task {TaskId} to the outbox; the result is: {Result}", result.TaskId, ConductorJson.Serialize(result));
        }
    }

    private async Task OutboxLoopAsync(RunState run, CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var wait = _outbox.Count == 0 ? Timeout.InfiniteTimeSpan : Backoff(_options.UpdateRetryDelay, _options.MaxUpdateRetryDelay, failures + 1);
                await run.WaitForOutboxAsync(wait, stop).ConfigureAwait(false);
                failures = await FlushOutboxAsync(run, stop).ConfigureAwait(false) ? 0 : failures + 1;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Tries every pending result once; true when nothing transient failed.</summary>
    private async Task<bool> FlushOutboxAsync(RunState run, CancellationToken stop)
    {
        var ok = true;
        foreach (var result in _outbox.Snapshot())
        {
            try
            {
                await _api.UpdateTaskAsync(result, stop).ConfigureAwait(false);
                _outbox.Remove(result.TaskId);
                _logger.LogInformation("Delivered the kept result of task {TaskId}.", result.TaskId);
            }
            catch (ConductorException ex) when (!IsWorthRetrying(ex))
            {
                _outbox.Remove(result.TaskId);
                run.Add(ref run.UpdateFailureCount, 1);
                _logger.LogError("Conductor rejected the kept result of task {TaskId}: {Message}", result.TaskId, ex.Message);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                ok = false;
                _logger.LogDebug("The kept result of task {TaskId} is still undeliverable: {Message}", result.TaskId, ex.Message);
                break; // the server is still down; try again later
            }
        }
        return ok;
    }

    private void ReportUndelivered()
    {
        if (_outbox.Count == 0) return;
        if (_outbox.IsDurable)
        {
            _logger.LogWarning("{Count} task results could not be delivered; they are kept in {Directory} and delivered by the next run.",
                _outbox.Count, _options.OutboxDirectory);
            return;
        }
        foreach (var result in _outbox.Snapshot())
        {
            // No durable outbox: the result would be lost, so it is at least written out in full for an operator.
            _logger.LogError("Could not deliver the result of task {TaskId} before stopping (configure OutboxDirectory to keep it): {Result}",
                result.TaskId, ConductorJson.Serialize(result));
        }
    }
}
