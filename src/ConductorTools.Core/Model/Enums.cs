// Enum members are spelled exactly as Conductor spells them on the wire, so JSON, PowerShell parameter
// binding (-Status IN_PROGRESS) and displayed values all read the same.
#pragma warning disable CA1707 // Identifiers should not contain underscores: these are Conductor's names.

namespace ConductorTools.Model;

/// <summary>Status of a task execution (Conductor <c>Task.Status</c>).</summary>
public enum ConductorTaskStatus
{
    IN_PROGRESS,
    CANCELED,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    SCHEDULED,
    TIMED_OUT,
    SKIPPED,
}

/// <summary>Status a worker or an external caller may report in a <see cref="TaskResult"/>.</summary>
public enum TaskResultStatus
{
    IN_PROGRESS,
    FAILED,
    FAILED_WITH_TERMINAL_ERROR,
    COMPLETED,
    CANCELED,
}

/// <summary>Status of a workflow execution.</summary>
public enum WorkflowStatus
{
    RUNNING,
    COMPLETED,
    FAILED,
    TIMED_OUT,
    TERMINATED,
    PAUSED,
}

/// <summary>What happens when a task times out.</summary>
public enum TaskTimeoutPolicy
{
    RETRY,
    TIME_OUT_WF,
    ALERT_ONLY,
}

/// <summary>What happens when a workflow times out.</summary>
public enum WorkflowTimeoutPolicy
{
    TIME_OUT_WF,
    ALERT_ONLY,
}

/// <summary>How the delay between task retries grows.</summary>
public enum RetryLogic
{
    FIXED,
    EXPONENTIAL_BACKOFF,
    LINEAR_BACKOFF,
}

/// <summary>Conductor's idempotency strategies for starts.</summary>
public enum IdempotencyStrategy
{
    FAIL,
    RETURN_EXISTING,
    FAIL_ON_RUNNING,
}

/// <summary>Extension methods answering Conductor's questions about statuses (terminal, successful, retriable).</summary>
public static class StatusExtensions
{
    public static bool IsTerminal(this ConductorTaskStatus status) =>
        status is not (ConductorTaskStatus.IN_PROGRESS or ConductorTaskStatus.SCHEDULED);

    public static bool IsSuccessful(this ConductorTaskStatus status) =>
        status is ConductorTaskStatus.COMPLETED or ConductorTaskStatus.COMPLETED_WITH_ERRORS or ConductorTaskStatus.SKIPPED;

    public static bool IsRetriable(this ConductorTaskStatus status) =>
        status is ConductorTaskStatus.FAILED or ConductorTaskStatus.TIMED_OUT
            or ConductorTaskStatus.IN_PROGRESS or ConductorTaskStatus.SCHEDULED;

    public static bool IsTerminal(this WorkflowStatus status) =>
        status is WorkflowStatus.COMPLETED or WorkflowStatus.FAILED or WorkflowStatus.TIMED_OUT or WorkflowStatus.TERMINATED;

    public static bool IsSuccessful(this WorkflowStatus status) =>
        status is WorkflowStatus.COMPLETED or WorkflowStatus.PAUSED;

    public static ConductorTaskStatus ToTaskStatus(this TaskResultStatus status) => status switch
    {
        TaskResultStatus.IN_PROGRESS => ConductorTaskStatus.IN_PROGRESS,
        TaskResultStatus.FAILED => ConductorTaskStatus.FAILED,
        TaskResultStatus.FAILED_WITH_TERMINAL_ERROR => ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
        TaskResultStatus.COMPLETED => ConductorTaskStatus.COMPLETED,
        TaskResultStatus.CANCELED => ConductorTaskStatus.CANCELED,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown task result status."),
    };
}
