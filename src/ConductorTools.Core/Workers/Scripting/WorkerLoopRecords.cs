using System.Globalization;
using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>One executed task, as <c>Invoke-WorkerLoop -PassThru</c> writes it.</summary>
public sealed class WorkerLoopTaskRecord
{
    public string TaskType { get; init; } = "";
    public string TaskId { get; init; } = "";
    public string WorkflowInstanceId { get; init; } = "";
    public TaskResultStatus Status { get; init; }
    public string? ReasonForIncompletion { get; init; }
    public IReadOnlyDictionary<string, object?>? OutputData { get; init; }
    /// <summary>The execution log lines sent with the result.</summary>
    public IReadOnlyList<string> Logs { get; init; } = Array.Empty<string>();
    public int RetryCount { get; init; }
    public DateTimeOffset StartTime { get; init; }
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{TaskType} {TaskId} {Status}";
}

/// <summary>What a worker loop did, written once when <c>Invoke-WorkerLoop</c> returns.</summary>
public sealed class WorkerLoopSummary
{
    public IReadOnlyList<string> TaskTypes { get; init; } = Array.Empty<string>();
    public long Polled { get; init; }
    public long Completed { get; init; }
    public long Failed { get; init; }
    /// <summary>Tasks whose handler reported IN_PROGRESS (to be called back later).</summary>
    public long InProgress { get; init; }
    public long UpdateRetries { get; init; }
    /// <summary>Tasks given back to Conductor unfinished at stop (they are requeued, never lost).</summary>
    public long HandedBack { get; init; }
    public DateTimeOffset StartTime { get; init; }
    public TimeSpan Duration { get; init; }
    public WorkerLoopStopReason StopReason { get; init; }

    public override string ToString() => string.Format(CultureInfo.InvariantCulture,
        "polled {0}, completed {1}, failed {2}, retried updates {3}, in {4:0.0} s ({5})",
        Polled, Completed, Failed, UpdateRetries, Duration.TotalSeconds, StopReason);
}

/// <summary>
/// Thread-safe live counts of a worker loop: fed by the script adapter and the runtime's events from any thread, read by
/// the pipeline thread for Write-Progress and the final summary.
/// </summary>
public sealed class WorkerLoopTally
{
    private long _polled, _completed, _failed, _inProgress, _updateRetries, _handedBack, _running;

    public long Polled => Interlocked.Read(ref _polled);
    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public long InProgress => Interlocked.Read(ref _inProgress);
    public long UpdateRetries => Interlocked.Read(ref _updateRetries);
    public long HandedBack => Interlocked.Read(ref _handedBack);
    /// <summary>Handlers running right now.</summary>
    public long Running => Interlocked.Read(ref _running);
    /// <summary>Tasks whose handler has finished.</summary>
    public long Done => Completed + Failed + InProgress;

    public void AddPolled(int count) => Interlocked.Add(ref _polled, count);
    public void AddUpdateRetry() => Interlocked.Increment(ref _updateRetries);
    public void AddHandedBack(int count = 1) => Interlocked.Add(ref _handedBack, count);
    public void Started() => Interlocked.Increment(ref _running);

    /// <summary>Counts a finished handler by the status it reported.</summary>
    public void Finished(TaskResultStatus status)
    {
        Interlocked.Decrement(ref _running);
        switch (status)
        {
            case TaskResultStatus.COMPLETED: Interlocked.Increment(ref _completed); break;
            case TaskResultStatus.IN_PROGRESS: Interlocked.Increment(ref _inProgress); break;
            default: Interlocked.Increment(ref _failed); break;
        }
    }

    /// <summary>Counts a handler that was cancelled before it finished: its task goes back to Conductor.</summary>
    public void Abandoned()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref _handedBack);
    }

    /// <summary>The Write-Progress status line.</summary>
    public string ProgressStatus() => string.Format(CultureInfo.InvariantCulture,
        "Polled {0}, completed {1}, failed {2}, running {3}", Polled, Completed, Failed, Running);

    /// <summary>Write-Progress percentage when there is a task budget (-MaxTasks), else -1 (no bar).</summary>
    public int PercentComplete(int? maxTasks) =>
        maxTasks is { } max && max > 0 ? (int)Math.Min(100, Done * 100 / max) : -1;

    public WorkerLoopSummary ToSummary(IReadOnlyList<string> taskTypes, DateTimeOffset start, DateTimeOffset end, WorkerLoopStopReason reason) => new()
    {
        TaskTypes = taskTypes,
        Polled = Polled,
        Completed = Completed,
        Failed = Failed,
        InProgress = InProgress,
        UpdateRetries = UpdateRetries,
        HandedBack = HandedBack,
        StartTime = start,
        Duration = end - start,
        StopReason = reason,
    };
}
