using System.Collections.Concurrent;
using ConductorTools.Model;

namespace ConductorTools.Workers;

// The runner's per-worker, per-execution and per-run state.
public sealed partial class WorkerRunner
{
    private sealed class WorkerState
    {
        public WorkerState(WorkerDefinition definition, WorkerOptions options)
        {
            Definition = definition;
            Options = options;
            Slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
            Paused = options.Paused;
        }

        public WorkerDefinition Definition { get; }
        public WorkerOptions Options { get; }
        public string TaskType => Definition.TaskType;
        public SemaphoreSlim Slots { get; }
        public volatile bool Paused;
        public long IdleVersion = -1;
    }

    private sealed class Execution
    {
        private int _state; // 0 running, 1 finished, 2 abandoned

        public Execution(WorkerState worker, ConductorTask task)
        {
            Worker = worker;
            Task = task;
        }

        public WorkerState Worker { get; }
        public ConductorTask Task { get; private set; }
        public Task? Completion { get; set; }

        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

        public bool TryFinish() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

        public void Retarget(ConductorTask next)
        {
            Task = next;
            Interlocked.Exchange(ref _state, 0);
        }
    }

    private sealed class RunState : IDisposable
    {
        private readonly object _budgetLock = new();
        private int? _budget;
        private long _activity;
        private readonly SemaphoreSlim _outboxSignal = new(0);

        public RunState(WorkerRunLimits limits, CancellationToken stop)
        {
            Limits = limits;
            _budget = limits.MaxTasks;
            StopPolling = CancellationTokenSource.CreateLinkedTokenSource(stop);
            HardStop = new CancellationTokenSource();
        }

        public WorkerRunLimits Limits { get; }
        public CancellationTokenSource StopPolling { get; }
        public CancellationTokenSource HardStop { get; }
        public ConcurrentDictionary<string, Execution> InFlight { get; } = new(StringComparer.Ordinal);
        public long ActivityVersion => Interlocked.Read(ref _activity);

        public long PolledCount, CompletedCount, FailedCount, InProgressCount, HandedBackCount, UpdateRetryCount, UpdateFailureCount, PollErrorCount;

        public void Add(ref long counter, long value) => Interlocked.Add(ref counter, value);

        /// <summary>Moves one task from the summary column of <paramref name="from"/> to that of <paramref name="to"/>.</summary>
        public void Recount(TaskResultStatus? from, TaskResultStatus? to)
        {
            Add(ref Column(from), -1);
            Add(ref Column(to), 1);
        }

        private ref long Column(TaskResultStatus? status)
        {
            switch (status)
            {
                case TaskResultStatus.COMPLETED: return ref CompletedCount;
                case TaskResultStatus.IN_PROGRESS: return ref InProgressCount;
                default: return ref FailedCount;
            }
        }

        public void Activity() => Interlocked.Increment(ref _activity);

        public int ReserveBudget(int wanted)
        {
            lock (_budgetLock)
            {
                if (_budget is null) return wanted;
                var granted = Math.Min(wanted, _budget.Value);
                _budget -= granted;
                return granted;
            }
        }

        public void ReturnBudget(int count)
        {
            lock (_budgetLock)
            {
                if (_budget is not null) _budget += count;
            }
        }

        public void StopPollingSafe()
        {
            try
            {
                StopPolling.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void HardStopSafe()
        {
            StopPollingSafe();
            try
            {
                HardStop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private readonly TaskCompletionSource<bool> _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _cancelledAtTicks = long.MinValue;

        /// <summary>When the caller cancelled the run; null while it has not.</summary>
        public DateTimeOffset? CancelledAt
        {
            get
            {
                var ticks = Interlocked.Read(ref _cancelledAtTicks);
                return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
            }
        }

        /// <summary>Completes when the caller cancels the run.</summary>
        public Task Cancelled => _cancelled.Task;

        public void MarkCancelled(DateTimeOffset at)
        {
            Interlocked.CompareExchange(ref _cancelledAtTicks, at.UtcTicks, long.MinValue);
            _cancelled.TrySetResult(true);
        }

        public void OutboxChanged() => _outboxSignal.Release();

        public async Task WaitForOutboxAsync(TimeSpan wait, CancellationToken stop)
        {
            await _outboxSignal.WaitAsync(wait, stop).ConfigureAwait(false);
        }

        private int _stopReason = -1;

        /// <summary>Why polling stopped (the first reason set wins); null while polling.</summary>
        public WorkerStopReason? StopReason
        {
            get
            {
                var value = Volatile.Read(ref _stopReason);
                return value < 0 ? null : (WorkerStopReason)value;
            }
        }

        public void SetStopReason(WorkerStopReason reason) => Interlocked.CompareExchange(ref _stopReason, (int)reason, -1);

        public WorkerCycleSummary Summary(DateTimeOffset start, TimeSpan duration, IReadOnlyList<string> taskTypes) => new()
        {
            TaskTypes = taskTypes,
            StartTime = start,
            StopReason = StopReason,
            Polled = Interlocked.Read(ref PolledCount),
            Completed = Interlocked.Read(ref CompletedCount),
            Failed = Interlocked.Read(ref FailedCount),
            InProgress = Interlocked.Read(ref InProgressCount),
            HandedBack = Interlocked.Read(ref HandedBackCount),
            UpdateRetries = Interlocked.Read(ref UpdateRetryCount),
            UpdateFailures = Interlocked.Read(ref UpdateFailureCount),
            PollErrors = Interlocked.Read(ref PollErrorCount),
            Duration = duration,
        };

        public void Dispose()
        {
            StopPolling.Dispose();
            HardStop.Dispose();
            _outboxSignal.Dispose();
        }
    }
}
