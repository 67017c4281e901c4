namespace ConductorTools.Workers.Scripting;

/// <summary>
/// When a worker loop stops taking new tasks (<c>-MaxTasks</c>, <c>-Duration</c>, <c>-Until</c>, <c>-Once</c>). In every case
/// the loop then drains: tasks already taken finish and their results are delivered. Without any condition the loop
/// runs until stopped (Ctrl+C).
/// </summary>
public sealed class WorkerLoopStopConditions
{
    private WorkerLoopStopConditions(int? maxTasks, DateTimeOffset? deadline, bool once)
    {
        MaxTasks = maxTasks;
        Deadline = deadline;
        Once = once;
    }

    /// <summary>Stop after this many tasks were taken (each is executed and reported).</summary>
    public int? MaxTasks { get; }

    /// <summary>Stop polling at this time (the earlier of now + Duration and Until).</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Stop when every queue was found empty and nothing is in flight (drain what is queued, then return).</summary>
    public bool Once { get; }

    /// <summary>True when no condition is set: run until stopped.</summary>
    public bool RunsUntilStopped => MaxTasks is null && Deadline is null && !Once;

    /// <summary>Validates and combines the stop parameters; <paramref name="now"/> anchors Duration and checks Until.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the parameter and what to do.</exception>
    public static WorkerLoopStopConditions Create(int? maxTasks, TimeSpan? duration, DateTimeOffset? until, bool once, DateTimeOffset now)
    {
        if (maxTasks is <= 0)
            throw new ArgumentException($"-MaxTasks must be 1 or more (got {maxTasks}).", nameof(maxTasks));
        if (duration is { } d && d <= TimeSpan.Zero)
            throw new ArgumentException($"-Duration must be positive (got {d}).", nameof(duration));
        if (until is { } u && u <= now)
            throw new ArgumentException($"-Until {u:u} is not in the future (now {now:u}); give a later time or use -Duration.", nameof(until));

        DateTimeOffset? deadline = null;
        if (duration is { } dd) deadline = now + dd;
        if (until is { } uu && (deadline is null || uu < deadline)) deadline = uu;
        return new WorkerLoopStopConditions(maxTasks, deadline, once);
    }

    /// <summary>How many more tasks may be taken after <paramref name="taken"/>; null when unlimited.</summary>
    public int? RemainingBudget(long taken) => MaxTasks is { } max ? (int)Math.Max(0, max - taken) : null;

    /// <summary>The reason to stop polling now, or null to keep going.</summary>
    public WorkerLoopStopReason? Check(long taken, DateTimeOffset now, bool idle)
    {
        if (MaxTasks is { } max && taken >= max) return WorkerLoopStopReason.MaxTasks;
        if (Deadline is { } deadline && now >= deadline) return WorkerLoopStopReason.Deadline;
        if (Once && idle) return WorkerLoopStopReason.QueuesEmpty;
        return null;
    }
}

/// <summary>Why a worker loop ended.</summary>
public enum WorkerLoopStopReason
{
    /// <summary>Stopped by the user (Ctrl+C) or the host.</summary>
    Stopped,
    MaxTasks,
    /// <summary>-Duration or -Until reached.</summary>
    Deadline,
    /// <summary>-Once: every queue was empty and nothing was in flight.</summary>
    QueuesEmpty,
    /// <summary>The loop ended on an error it could not recover from.</summary>
    Error,
}
