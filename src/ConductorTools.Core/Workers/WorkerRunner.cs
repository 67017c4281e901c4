using System.Collections.Concurrent;
using System.Diagnostics;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;


namespace ConductorTools.Workers;

/// <summary>
/// The worker runtime: polls each task type for exactly its free slots (server-side long poll), runs handlers with
/// bounded concurrency, reports results with retries (update-v2 chaining where the server has it) and an outbox for
/// results that cannot be delivered, extends leases of long handlers, and drains gracefully. One runner per process
/// is enough for any number of task types; it only talks to Conductor through <see cref="IConductorApi"/>.
/// </summary>
public sealed partial class WorkerRunner
{
    private readonly IConductorApi _api;
    private readonly IReadOnlyList<WorkerState> _workers;
    private readonly WorkerRunnerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResultOutbox _outbox;
    private readonly Random _jitter = new();

    public WorkerRunner(IConductorApi api, IEnumerable<WorkerDefinition> workers, WorkerRunnerOptions? options = null,
        ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _options = options ?? new WorkerRunnerOptions();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<WorkerRunner>();
        _time = timeProvider ?? TimeProvider.System;
        var list = new List<WorkerState>();
        foreach (var definition in workers ?? throw new ArgumentNullException(nameof(workers)))
        {
            if (list.Any(w => w.TaskType == definition.TaskType))
            {
                throw new ArgumentException($"The task type '{definition.TaskType}' has more than one worker; give each task type one worker.", nameof(workers));
            }
            var effective = definition.Options.Clone();
            if (_options.ApplyEnvironment) WorkerEnvironment.Apply(effective, definition.TaskType);
            if (effective.Concurrency < 1)
            {
                throw new ArgumentException($"Worker '{definition.TaskType}' has concurrency {effective.Concurrency}; it must be at least 1.", nameof(workers));
            }
            list.Add(new WorkerState(definition, effective));
        }
        if (list.Count == 0) throw new ArgumentException("The runner needs at least one worker.", nameof(workers));
        _workers = list;
        _outbox = new ResultOutbox(_options.OutboxDirectory);
    }

    /// <summary>Raised for everything the runner does; handlers run on worker threads and must be quick.</summary>
    public event EventHandler<WorkerEvent>? Event;

    public IReadOnlyList<string> TaskTypes => _workers.Select(w => w.TaskType).ToList();

    /// <summary>Effective options of a worker (after environment overrides).</summary>
    public WorkerOptions GetOptions(string taskType) => Find(taskType).Options;

    /// <summary>Results waiting in the outbox for delivery.</summary>
    public int PendingResults => _outbox.Count;

    public void Pause(string taskType)
    {
        Find(taskType).Paused = true;
        Raise(new WorkerEvent(WorkerEventKind.Paused, taskType));
    }

    public void Resume(string taskType)
    {
        Find(taskType).Paused = false;
        Raise(new WorkerEvent(WorkerEventKind.Resumed, taskType));
    }

    private volatile RunState? _current;
    private DateTimeOffset _currentStart;

    /// <summary>The counts of the run in progress so far (for progress displays); null when no run is in progress.</summary>
    public WorkerCycleSummary? CurrentSummary
    {
        get
        {
            var run = _current;
            return run?.Summary(_currentStart, _time.GetUtcNow() - _currentStart, TaskTypes);
        }
    }

    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled (or a limit is reached), then drains and returns.</summary>
    public Task<WorkerCycleSummary> RunAsync(CancellationToken stoppingToken, WorkerRunLimits? limits = null) =>
        RunCoreAsync(limits ?? new WorkerRunLimits(), stoppingToken);

    /// <summary>
    /// One bounded cycle for serverless hosts: polls only while a task can still finish before <paramref name="deadline"/>,
    /// hands back anything unfinished, and returns by the deadline. When <paramref name="cancellationToken"/> is cancelled
    /// (the host shutting down) polling stops at once, in-flight handlers may run until
    /// min(deadline − <see cref="WorkerRunnerOptions.HandBackMargin"/>, cancellation + <see cref="WorkerRunnerOptions.DrainTimeout"/>),
    /// then what still runs is handed back (IN_PROGRESS with <see cref="WorkerRunnerOptions.HandBackCallbackSeconds"/>),
    /// finished results are delivered and the summary is returned. Never throws for server errors or for the cancellation:
    /// they show in the summary.
    /// </summary>
    public Task<WorkerCycleSummary> RunCycleAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default) =>
        RunCoreAsync(new WorkerRunLimits { Deadline = deadline }, cancellationToken);

    private WorkerState Find(string taskType) =>
        _workers.FirstOrDefault(w => string.Equals(w.TaskType, taskType, StringComparison.Ordinal))
        ?? throw new ArgumentException($"No worker polls task type '{taskType}'. Known: {string.Join(", ", _workers.Select(w => w.TaskType))}.", nameof(taskType));

    private async Task<WorkerCycleSummary> RunCoreAsync(WorkerRunLimits limits, CancellationToken stop)
    {
        var started = _time.GetUtcNow();
        using var run = new RunState(limits, stop);
        _current = run;
        _currentStart = started;
        foreach (var worker in _workers) worker.IdleVersion = -1;

        await FlushOutboxAsync(run, CancellationToken.None).ConfigureAwait(false);
        using var outboxLoopStop = new CancellationTokenSource();
        var outboxLoop = OutboxLoopAsync(run, outboxLoopStop.Token);

        using var stopAtDeadline = limits.Deadline is { } d
            ? _time.CreateTimer(_ => run.HardStopSafe(), null, Max(TimeSpan.Zero, d - _options.HandBackMargin - _time.GetUtcNow()), Timeout.InfiniteTimeSpan)
            : null;

        var stopAt = limits.StopPollingAfter is { } after ? started + after : (DateTimeOffset?)null;
        if (limits.StopPollingAt is { } at0 && (stopAt is null || at0 < stopAt)) stopAt = at0;
        ITimer? stopPollingAt = null;
        if (stopAt is { } at)
        {
            // System timers may fire a few milliseconds before the clock reaches the time: then wait for the rest.
            stopPollingAt = _time.CreateTimer(_ =>
            {
                var left = at - _time.GetUtcNow();
                if (left > TimeSpan.Zero)
                {
                    try
                    {
                        stopPollingAt?.Change(left, Timeout.InfiniteTimeSpan);
                        return;
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
                run.SetStopReason(WorkerStopReason.Deadline);
                run.StopPollingSafe();
            }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            stopPollingAt.Change(Max(TimeSpan.Zero, at - _time.GetUtcNow()), Timeout.InfiniteTimeSpan);
        }
        using var stopPollingAtTimer = stopPollingAt;

        // The moment the caller cancels (host shutting down), in-flight handlers get at most DrainTimeout from then on.
        using var onCancel = stop.Register(() =>
        {
            run.SetStopReason(WorkerStopReason.Stopped);
            run.MarkCancelled(_time.GetUtcNow());
        });

        await Task.WhenAll(_workers.Select(w => PollLoopAsync(w, run))).ConfigureAwait(false);

        // Drain: in-flight handlers finish within the grace period, then are cancelled and handed back. A bounded cycle's
        // grace period runs to its hand-back point (deadline − HandBackMargin), unless the caller cancels: then it ends at
        // min(hand-back point, cancellation + DrainTimeout), also when the cancellation comes during the drain.
        var pollingEnded = _time.GetUtcNow();
        DateTimeOffset DrainEnd()
        {
            var end = limits.Deadline is { } deadline ? deadline - _options.HandBackMargin : pollingEnded + _options.DrainTimeout;
            return run.CancelledAt is { } cancelled && cancelled + _options.DrainTimeout < end ? cancelled + _options.DrainTimeout : end;
        }
        if (!await WaitForInFlightAsync(run, DrainEnd).ConfigureAwait(false))
        {
            run.HardStopSafe();
            var grace = _time.GetUtcNow() + TimeSpan.FromSeconds(2);
            if (!await WaitForInFlightAsync(run, () => grace).ConfigureAwait(false))
            {
                // Handlers that ignore cancellation: give their tasks back now rather than strand them until responseTimeout.
                foreach (var execution in run.InFlight.Values)
                {
                    if (execution.TryAbandon())
                    {
                        await HandBackAsync(execution.Worker, execution.Task, run, WorkerHandBackReason.Abandoned).ConfigureAwait(false);
                    }
                }
            }
        }

        outboxLoopStop.Cancel();
        await outboxLoop.ConfigureAwait(false);
        // Results still kept get the rest of the drain window (at least one more try) before the run returns.
        var drainUntil = DrainEnd();
        var flushUntil = drainUntil > _time.GetUtcNow() ? drainUntil : _time.GetUtcNow();
        for (var attempt = 1; _outbox.Count > 0; attempt++)
        {
            if (await FlushOutboxAsync(run, CancellationToken.None).ConfigureAwait(false) && _outbox.Count == 0) break;
            var pause = Backoff(_options.UpdateRetryDelay, _options.MaxUpdateRetryDelay, attempt);
            if (_time.GetUtcNow() + pause > flushUntil) break;
            await Delay(pause, CancellationToken.None).ConfigureAwait(false);
        }
        ReportUndelivered();

        if (limits.Deadline is not null) run.SetStopReason(WorkerStopReason.Deadline);
        run.SetStopReason(WorkerStopReason.Stopped);
        var summary = run.Summary(started, _time.GetUtcNow() - started, TaskTypes);
        _current = null;
        _logger.LogInformation("Worker run finished: {Summary}", summary);
        return summary;
    }

    private async Task PollLoopAsync(WorkerState worker, RunState run)
    {
        var options = worker.Options;
        var stop = run.StopPolling.Token;
        var errors = 0;
        var authErrors = 0;
        var empties = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (worker.Paused)
                {
                    WorkerMetrics.Paused.Add(1, WorkerMetrics.Type(worker.TaskType));
                    await Delay(options.PollInterval < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : options.PollInterval, stop).ConfigureAwait(false);
                    continue;
                }
                if (run.Limits.Deadline is { } deadline && _time.GetUtcNow() + options.ExpectedExecutionTime > deadline)
                {
                    return; // nothing polled now could finish in time
                }

                await worker.Slots.WaitAsync(stop).ConfigureAwait(false);
                // Waiting for a slot can outlast the deadline (a long handler holds it until the cycle hands it back): check
                // again, or this poll would take the very task just handed back, past the point where it could finish.
                if (run.HardStop.IsCancellationRequested
                    || (run.Limits.Deadline is { } late && _time.GetUtcNow() + options.ExpectedExecutionTime > late))
                {
                    worker.Slots.Release();
                    return;
                }
                var free = 1;
                while (free < options.Concurrency && worker.Slots.Wait(0)) free++;
                var count = run.ReserveBudget(free);
                if (count < free) worker.Slots.Release(free - count);
                if (count == 0)
                {
                    run.SetStopReason(WorkerStopReason.MaxTasks);
                    run.StopPollingSafe(); // task budget spent
                    return;
                }

                IReadOnlyList<ConductorTask> tasks;
                var pollStart = Stopwatch.GetTimestamp();
                try
                {
                    WorkerMetrics.Polls.Add(1, WorkerMetrics.Type(worker.TaskType));
                    tasks = await _api.BatchPollAsync(worker.TaskType, count, options.LongPollTimeout, options.WorkerId, options.Domain, stop)
                        .ConfigureAwait(false);
                    WorkerMetrics.PollTime.Record(WorkerMetrics.Seconds(pollStart), WorkerMetrics.Type(worker.TaskType));
                }
                catch
                {
                    worker.Slots.Release(count);
                    run.ReturnBudget(count);
                    throw;
                }

                errors = 0;
                authErrors = 0;
                if (run.HardStop.IsCancellationRequested && tasks.Count > 0)
                {
                    // A long poll that was still waiting when the cycle handed back its work can come back with one of those
                    // very tasks: give them back at once rather than start what cannot finish.
                    worker.Slots.Release(count);
                    run.ReturnBudget(count);
                    run.Add(ref run.PolledCount, tasks.Count);
                    foreach (var returned in tasks) await HandBackAsync(worker, returned, run, WorkerHandBackReason.Surplus).ConfigureAwait(false);
                    return;
                }
                var runnable = Math.Min(count, tasks.Count);
                if (runnable < count)
                {
                    worker.Slots.Release(count - runnable);
                    run.ReturnBudget(count - runnable);
                }
                if (tasks.Count == 0)
                {
                    if (run.Limits.StopWhenIdle) MarkIdle(worker, run);
                    empties++;
                    // Adaptive idle backoff: 1, 2, 4 ... ms up to the poll interval (the long poll already waited server-side).
                    var idle = TimeSpan.FromMilliseconds(Math.Min(options.PollInterval.TotalMilliseconds, Math.Pow(2, Math.Min(empties, 20) - 1)));
                    await Delay(idle, stop).ConfigureAwait(false);
                    continue;
                }

                empties = 0;
                run.Activity();
                run.Add(ref run.PolledCount, tasks.Count);
                Raise(new WorkerEvent(WorkerEventKind.Polled, worker.TaskType) { Count = tasks.Count });
                for (var i = 0; i < tasks.Count; i++)
                {
                    if (i < runnable)
                    {
                        StartExecution(worker, tasks[i], run);
                    }
                    else
                    {
                        // The server handed out more than asked: never run beyond the limit, give the surplus back.
                        _ = HandBackAsync(worker, tasks[i], run, WorkerHandBackReason.Surplus);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                run.Add(ref run.PollErrorCount, 1);
                WorkerMetrics.PollErrors.Add(1, WorkerMetrics.Type(worker.TaskType), WorkerMetrics.Exception(ex));
                // Auth failures (401/403) and other failures back off on separate schedules and counters: a token that
                // is being renewed should not make a later outage wait longer, nor the reverse.
                var isAuth = ex is ConductorException { Kind: ConductorErrorKind.Unauthorized or ConductorErrorKind.Forbidden };
                var delay = isAuth
                    ? Backoff(_options.AuthErrorDelay, _options.MaxAuthErrorDelay, ++authErrors)
                    : Backoff(_options.PollErrorDelay, _options.MaxPollErrorDelay, ++errors);
                Raise(new WorkerEvent(WorkerEventKind.PollFailed, worker.TaskType) { Error = ex, Duration = delay, Count = isAuth ? authErrors : errors });
                _logger.LogWarning(ex, "Polling {TaskType} failed ({Kind}); retrying in {Delay:0.0} s: {Message}",
                    worker.TaskType, isAuth ? "authorization" : "error", delay.TotalSeconds, ex.Message);
                try
                {
                    await Delay(delay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void MarkIdle(WorkerState worker, RunState run)
    {
        var version = run.ActivityVersion;
        if (run.InFlight.Count > 0) return;
        worker.IdleVersion = version;
        if (_workers.All(w => w.IdleVersion == version) && run.InFlight.Count == 0 && run.ActivityVersion == version)
        {
            run.SetStopReason(WorkerStopReason.QueuesEmpty);
            run.StopPollingSafe();
        }
    }

    private void StartExecution(WorkerState worker, ConductorTask task, RunState run)
    {
        var execution = new Execution(worker, task);
        run.InFlight[task.TaskId ?? Guid.NewGuid().ToString()] = execution;
        execution.Completion = Task.Run(() => ExecuteChainAsync(execution, run));
    }

    private async Task ExecuteChainAsync(Execution execution, RunState run)
    {
        var worker = execution.Worker;
        var key = execution.Task.TaskId ?? "";
        try
        {
            ConductorTask? current = execution.Task;
            while (current is not null)
            {
                var result = await ExecuteOneAsync(worker, current, execution, run).ConfigureAwait(false);
                if (result is null) break;
                // The next task is asked for only when the run may still take one (-MaxTasks): the budget is reserved
                // before update-v2 claims a task, so a run never takes more than its limit and hands the surplus back.
                var takeNext = _options.UseUpdateV2 && !run.StopPolling.IsCancellationRequested && !worker.Paused && run.ReserveBudget(1) == 1;
                var stopReasonBefore = run.StopReason;
                var next = await DeliverAsync(worker, result, run, takeNext).ConfigureAwait(false);
                if (next is null)
                {
                    if (takeNext) run.ReturnBudget(1);
                    break;
                }
                // Polling may have stopped meanwhile only because the budget is now spent (the reserved task is this one):
                // any other stop (the caller, -Duration, a deadline) sends the claimed task back.
                var stoppedSince = run.StopPolling.IsCancellationRequested && !(stopReasonBefore is null && run.StopReason == WorkerStopReason.MaxTasks);
                if (!stoppedSince && run.CancelledAt is null && !run.HardStop.IsCancellationRequested)
                {
                    // update-v2 handed us the next task: run it in the same slot without polling.
                    run.Add(ref run.PolledCount, 1);
                    Raise(new WorkerEvent(WorkerEventKind.Polled, worker.TaskType) { Count = 1 });
                    current = next;
                    execution.Retarget(next);
                    continue;
                }
                await HandBackAsync(worker, next, run, WorkerHandBackReason.Surplus).ConfigureAwait(false);
                break;
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unexpected failure running a {TaskType} task; the runner goes on.", worker.TaskType);
        }
        finally
        {
            run.InFlight.TryRemove(key, out _);
            run.Activity();
            worker.Slots.Release();
        }
    }

    private async Task<TaskResult?> ExecuteOneAsync(WorkerState worker, ConductorTask task, Execution execution, RunState run)
    {
        var options = worker.Options;
        var timeout = HandlerTimeout(options, task);
        // The time limit runs on the runner's clock (TimeProvider), like every other wait here.
        using var timeoutCts = timeout is { } limit ? _time.CreateCancellationTokenSource(limit) : null;
        using var handlerCts = timeoutCts is null
            ? CancellationTokenSource.CreateLinkedTokenSource(run.HardStop.Token)
            : CancellationTokenSource.CreateLinkedTokenSource(run.HardStop.Token, timeoutCts.Token);
        using var lease = StartLeaseExtension(worker, task);

        Raise(new WorkerEvent(WorkerEventKind.ExecutionStarted, worker.TaskType) { Task = task });
        WorkerMetrics.ExecutionsStarted.Add(1, WorkerMetrics.Type(worker.TaskType));
        WorkerMetrics.WorkerStarted(worker.TaskType);
        var start = Stopwatch.GetTimestamp();
        TaskResult result;
        try
        {
            result = await worker.Definition.Handler(task, handlerCts.Token).ConfigureAwait(false) ?? TaskResults.Complete(task);
        }
        catch (OperationCanceledException) when (run.HardStop.IsCancellationRequested || !handlerCts.IsCancellationRequested)
        {
            // Stopped by the drain, or the handler gave up on its own: the task goes back to Conductor, not FAILED.
            WorkerMetrics.WorkerFinished(worker.TaskType);
            if (execution.TryAbandon()) await HandBackAsync(worker, task, run, WorkerHandBackReason.Cancelled).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException ex)
        {
            result = TaskResults.Fail(task, $"The {worker.TaskType} handler did not finish within {timeout!.Value.TotalSeconds:0.#} s and was cancelled.");
            Failed(worker, task, result, ex);
        }
        catch (NonRetryableException ex)
        {
            result = TaskResults.FailTerminal(task, ex.Message);
            Failed(worker, task, result, ex);
        }
        catch (Exception ex)
        {
            result = TaskResults.Fail(task, ex.Message);
            Failed(worker, task, result, ex);
        }
        WorkerMetrics.WorkerFinished(worker.TaskType);
        var duration = TimeSpan.FromSeconds(WorkerMetrics.Seconds(start));
        WorkerMetrics.ExecuteTime.Record(duration.TotalSeconds, WorkerMetrics.Type(worker.TaskType));

        if (!execution.TryFinish()) return null; // abandoned and handed back by the drain while it ran
        if (string.IsNullOrEmpty(result.TaskId)) result.TaskId = task.TaskId ?? "";
        if (string.IsNullOrEmpty(result.WorkflowInstanceId)) result.WorkflowInstanceId = task.WorkflowInstanceId ?? "";
        result.WorkerId ??= options.WorkerId;
        result.Status ??= TaskResultStatus.COMPLETED;

        switch (result.Status)
        {
            case TaskResultStatus.COMPLETED: run.Add(ref run.CompletedCount, 1); break;
            case TaskResultStatus.IN_PROGRESS: run.Add(ref run.InProgressCount, 1); break;
            default: run.Add(ref run.FailedCount, 1); break;
        }
        Raise(new WorkerEvent(result.Status is TaskResultStatus.FAILED or TaskResultStatus.FAILED_WITH_TERMINAL_ERROR or TaskResultStatus.CANCELED
            ? WorkerEventKind.ExecutionFailed : WorkerEventKind.ExecutionCompleted, worker.TaskType)
        { Task = task, Result = result, Duration = duration });
        return result;
    }

    private void Failed(WorkerState worker, ConductorTask task, TaskResult result, Exception ex)
    {
        result.AddLog(ex.ToString());
        WorkerMetrics.ExecuteErrors.Add(1, WorkerMetrics.Type(worker.TaskType), WorkerMetrics.Exception(ex));
        _logger.LogWarning(ex, "Task {TaskId} ({TaskType}) failed: {Message}", task.TaskId, worker.TaskType, ex.Message);
    }


    private static TimeSpan? HandlerTimeout(WorkerOptions options, ConductorTask task)
    {
        if (options.HandlerTimeout is { } explicitLimit) return explicitLimit;
        var perAttempt = task.TaskDefinition?.TimeoutSeconds ?? task.WorkflowTask?.TaskDefinition?.TimeoutSeconds ?? 0;
        if (perAttempt > 0) return TimeSpan.FromSeconds(perAttempt);
        if (!options.LeaseExtendEnabled && task.ResponseTimeoutSeconds > 0) return TimeSpan.FromSeconds(task.ResponseTimeoutSeconds);
        return null;
    }

    /// <summary>Waits until nothing is in flight (true) or <paramref name="until"/> passes (false); <paramref name="until"/> is
    /// read again when the run is cancelled, which may bring it forward.</summary>
    private async Task<bool> WaitForInFlightAsync(RunState run, Func<DateTimeOffset> until)
    {
        while (true)
        {
            var pending = run.InFlight.Values.Select(e => e.Completion).Where(t => t is not null).Cast<Task>().ToArray();
            if (pending.Length == 0) return true;
            var remaining = until() - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero) return false;
            using var wake = new CancellationTokenSource();
            var waits = new List<Task>(3) { Task.WhenAll(pending), _time.Delay(remaining, wake.Token) };
            if (!run.Cancelled.IsCompleted) waits.Add(run.Cancelled);
            await Task.WhenAny(waits).ConfigureAwait(false);
            wake.Cancel(); // release the timer
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void Raise(WorkerEvent e)
    {
        try
        {
            Event?.Invoke(this, e);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "A worker event handler threw; the runner goes on.");
        }
    }
}
