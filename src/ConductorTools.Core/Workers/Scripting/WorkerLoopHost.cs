using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>One worker of a loop: a task type and its handler.</summary>
public sealed class WorkerLoopWorker
{
    public WorkerLoopWorker(string taskType, Func<ConductorTask, CancellationToken, Task<TaskResult>> handler, int concurrency = 1)
    {
        if (string.IsNullOrWhiteSpace(taskType)) throw new ArgumentException("The task type is empty.", nameof(taskType));
        if (concurrency < 1) throw new ArgumentOutOfRangeException(nameof(concurrency), concurrency, "Concurrency must be at least 1.");
        TaskType = taskType;
        Handler = handler ?? throw new ArgumentNullException(nameof(handler));
        Concurrency = concurrency;
    }

    public string TaskType { get; }
    public Func<ConductorTask, CancellationToken, Task<TaskResult>> Handler { get; }
    /// <summary>Tasks of this type run at once (1 in sequential mode, ThrottleLimit in parallel mode).</summary>
    public int Concurrency { get; }
}

/// <summary>How a worker loop polls and stops.</summary>
public sealed class WorkerLoopSettings
{
    public string? Domain { get; init; }
    public string? WorkerId { get; init; }
    public TimeSpan? PollInterval { get; init; }
    /// <summary>How long in-flight handlers may run after polling stopped before they are cancelled and their tasks handed back.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public WorkerLoopStopConditions StopConditions { get; init; } = WorkerLoopStopConditions.Create(null, null, null, false, DateTimeOffset.UtcNow);
}

/// <summary>What the worker loop needs from the worker runtime (ConductorTools.Workers).</summary>
public interface IWorkerLoopRuntime
{
    /// <summary>
    /// Runs the workers, polling no more than <paramref name="maxTasks"/> tasks in all, until <paramref name="stopPolling"/> is
    /// cancelled, or (when <paramref name="stopWhenIdle"/>) every queue was found empty with nothing in flight; then drains
    /// (in-flight handlers get the drain timeout, then their token is cancelled and their tasks are handed back) and returns.
    /// Counts go to <paramref name="tally"/>: polled, update retries, handed back.
    /// </summary>
    Task RunAsync(IReadOnlyList<WorkerLoopWorker> workers, WorkerLoopSettings settings, int? maxTasks, bool stopWhenIdle,
        WorkerLoopTally tally, CancellationToken stopPolling);
}

/// <summary>
/// Runs a worker loop to one of its stop conditions (Ctrl+C, -MaxTasks, -Duration/-Until, -Once) through the worker
/// runtime and returns the summary. Shared by Invoke-WorkerLoop and anything else that hosts script workers.
/// </summary>
public sealed class WorkerLoopHost
{
    private readonly IWorkerLoopRuntime _runtime;
    private readonly TimeProvider _time;

    public WorkerLoopHost(IWorkerLoopRuntime runtime, TimeProvider? timeProvider = null)
    {
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Runs until a stop condition of <paramref name="settings"/> is met or <paramref name="stop"/> is cancelled
    /// (Ctrl+C); always drains before returning.
    /// </summary>
    public async Task<WorkerLoopSummary> RunAsync(IReadOnlyList<WorkerLoopWorker> workers, WorkerLoopSettings settings, WorkerLoopTally tally,
        CancellationToken stop)
    {
        if (workers is null) throw new ArgumentNullException(nameof(workers));
        if (settings is null) throw new ArgumentNullException(nameof(settings));
        if (tally is null) throw new ArgumentNullException(nameof(tally));
        if (workers.Count == 0) throw new ArgumentException("A worker loop needs at least one worker.", nameof(workers));
        var duplicate = workers.GroupBy(w => w.TaskType, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"The task type '{duplicate.Key}' has more than one worker.", nameof(workers));

        var conditions = settings.StopConditions;
        var start = _time.GetUtcNow();
        using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var deadline = conditions.Deadline is { } at ? new DeadlineTimer(_time, at - start, stopPolling) : null;

        await _runtime.RunAsync(workers, settings, conditions.MaxTasks, conditions.Once, tally, stopPolling.Token).ConfigureAwait(false);

        var end = _time.GetUtcNow();
        WorkerLoopStopReason reason;
        if (stop.IsCancellationRequested) reason = WorkerLoopStopReason.Stopped;
        else if (conditions.MaxTasks is { } max && tally.Polled >= max) reason = WorkerLoopStopReason.MaxTasks;
        else if (deadline?.Fired == true) reason = WorkerLoopStopReason.Deadline;
        else if (conditions.Once) reason = WorkerLoopStopReason.QueuesEmpty;
        else reason = WorkerLoopStopReason.Stopped;
        return tally.ToSummary(workers.Select(w => w.TaskType).ToArray(), start, end, reason);
    }

    // Cancels polling at the deadline, on the injected clock.
    private sealed class DeadlineTimer : IDisposable
    {
        private readonly ITimer _timer;
        private int _fired;

        public DeadlineTimer(TimeProvider time, TimeSpan due, CancellationTokenSource stopPolling)
        {
            _timer = time.CreateTimer(_ =>
            {
                Interlocked.Exchange(ref _fired, 1);
                try
                {
                    stopPolling.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }, null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }

        public bool Fired => Volatile.Read(ref _fired) == 1;

        public void Dispose() => _timer.Dispose();
    }
}
