using ConductorTools.Model;

namespace ConductorTools.Workers;

/// <summary>Builds the results handlers return.</summary>
public static class TaskResults
{
    public static TaskResult Complete(ConductorTask task, IDictionary<string, object?>? output = null) =>
        With(task, TaskResultStatus.COMPLETED, output);

    /// <summary>Not done yet: Conductor re-queues the task and it is polled again after <paramref name="callbackAfterSeconds"/>.</summary>
    public static TaskResult InProgress(ConductorTask task, long callbackAfterSeconds, IDictionary<string, object?>? output = null)
    {
        var result = With(task, TaskResultStatus.IN_PROGRESS, output);
        result.CallbackAfterSeconds = Math.Max(0, callbackAfterSeconds);
        return result;
    }

    /// <summary>Failed; Conductor retries per the task definition.</summary>
    public static TaskResult Fail(ConductorTask task, string reason, IDictionary<string, object?>? output = null)
    {
        var result = With(task, TaskResultStatus.FAILED, output);
        result.ReasonForIncompletion = reason;
        return result;
    }

    /// <summary>Failed with no retries (FAILED_WITH_TERMINAL_ERROR).</summary>
    public static TaskResult FailTerminal(ConductorTask task, string reason, IDictionary<string, object?>? output = null)
    {
        var result = With(task, TaskResultStatus.FAILED_WITH_TERMINAL_ERROR, output);
        result.ReasonForIncompletion = reason;
        return result;
    }

    private static TaskResult With(ConductorTask task, TaskResultStatus status, IDictionary<string, object?>? output)
    {
        var result = TaskResult.For(task, status);
        result.OutputData = output is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(output);
        return result;
    }
}

/// <summary>Thrown by a handler to fail its task with FAILED_WITH_TERMINAL_ERROR: Conductor will not retry it.</summary>
public class NonRetryableException : Exception
{
    public NonRetryableException(string message) : base(message) { }

    public NonRetryableException(string message, Exception innerException) : base(message, innerException) { }
}
