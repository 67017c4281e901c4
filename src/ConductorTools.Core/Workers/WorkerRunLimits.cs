namespace ConductorTools.Workers;

/// <summary>Limits of one run besides its stop token.</summary>
public sealed class WorkerRunLimits
{
    /// <summary>Poll no more than this many tasks in all, then drain and return.</summary>
    public int? MaxTasks { get; init; }

    /// <summary>Return once every worker found its queue empty with nothing in flight (drain what is queued).</summary>
    public bool StopWhenIdle { get; init; }

    /// <summary>Bounded cycle: stop polling what cannot finish by then, hand back what is unfinished just before it.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Stop polling at this time, then drain as after a stop (in-flight handlers get the drain timeout).</summary>
    public DateTimeOffset? StopPollingAt { get; init; }

    /// <summary>Stop polling this long after the run starts (the earlier of this and <see cref="StopPollingAt"/> wins), then drain.</summary>
    public TimeSpan? StopPollingAfter { get; init; }

    /// <summary>
    /// The limits of a worker loop (<c>Invoke-WorkerLoop -MaxTasks -Duration -Until -Once</c>): polling stops at the earlier
    /// of the run's start + <paramref name="duration"/> and <paramref name="until"/>; <paramref name="now"/> checks -Until.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the parameter and what to do.</exception>
    public static WorkerRunLimits ForLoop(int? maxTasks, TimeSpan? duration, DateTimeOffset? until, bool once, DateTimeOffset now)
    {
        if (maxTasks is <= 0)
            throw new ArgumentException($"-MaxTasks must be 1 or more (got {maxTasks}).", nameof(maxTasks));
        if (duration is { } d && d <= TimeSpan.Zero)
            throw new ArgumentException($"-Duration must be positive (got {d}).", nameof(duration));
        if (until is { } u && u <= now)
            throw new ArgumentException($"-Until {u:u} is not in the future (now {now:u}); give a later time or use -Duration.", nameof(until));
        return new WorkerRunLimits { MaxTasks = maxTasks, StopWhenIdle = once, StopPollingAt = until, StopPollingAfter = duration };
    }
}
