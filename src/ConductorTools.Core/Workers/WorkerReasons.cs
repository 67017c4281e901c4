namespace ConductorTools.Workers;

/// <summary>Why a run stopped polling.</summary>
public enum WorkerStopReason
{
    /// <summary>The caller's stop token (Ctrl+C, host shutdown).</summary>
    Stopped,
    /// <summary><see cref="WorkerRunLimits.MaxTasks"/> tasks were taken.</summary>
    MaxTasks,
    /// <summary><see cref="WorkerRunLimits.StopPollingAt"/> or a bounded cycle's deadline.</summary>
    Deadline,
    /// <summary><see cref="WorkerRunLimits.StopWhenIdle"/>: every queue was empty with nothing in flight.</summary>
    QueuesEmpty,
}

/// <summary>Why a task was given back to Conductor unfinished (IN_PROGRESS with a short callback; it is polled again).</summary>
public enum WorkerHandBackReason
{
    /// <summary>Its handler was cancelled at the end of the drain (or of a bounded cycle) before it finished.</summary>
    Cancelled = 0,
    /// <summary>Taken but not started: the run stopped, or more came back than the run may take.</summary>
    Surplus = 1,
    /// <summary>Its handler ignored cancellation; the task was given back without waiting for it.</summary>
    Abandoned = 2,
}
