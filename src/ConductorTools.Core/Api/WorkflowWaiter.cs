using ConductorTools.Model;

namespace ConductorTools.Api;

/// <summary>Waits for workflows to reach a terminal state, polling their status with a growing interval.</summary>
public static class WorkflowWaiter
{
    /// <summary>
    /// Returns the workflow (with tasks) once it is terminal. Throws <see cref="TimeoutException"/> naming the workflow and
    /// its last status when <paramref name="timeout"/> passes first. <paramref name="onStatus"/> is called (on any thread)
    /// after each status check that finds the workflow still running.
    /// </summary>
    public static async Task<Workflow> WaitAsync(IConductorApi api, string workflowId, TimeSpan timeout, CancellationToken cancellationToken = default,
        TimeProvider? timeProvider = null, Action<WorkflowWaitProgress>? onStatus = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        var started = time.GetUtcNow();
        var until = started + timeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var status = await api.GetWorkflowStatusAsync(workflowId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (status.Status.IsTerminal()) return await api.GetWorkflowAsync(workflowId, includeTasks: true, cancellationToken).ConfigureAwait(false);
            onStatus?.Invoke(new WorkflowWaitProgress(workflowId, status.Status, time.GetUtcNow() - started, timeout));
            var left = until - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException(
                    $"Workflow {workflowId} is still {status.Status} after {timeout.TotalSeconds:0.#} s. Wait longer (-Timeout), or check that workers are polling its tasks (Get-Workflow {workflowId}).");
            }
            await time.Delay(delay < left ? delay : left, cancellationToken).ConfigureAwait(false);
            if (delay < TimeSpan.FromSeconds(1)) delay = TimeSpan.FromTicks(delay.Ticks * 2);
        }
    }
}

/// <summary>Where a wait for a workflow stands, for progress displays.</summary>
public sealed record WorkflowWaitProgress(string WorkflowId, WorkflowStatus Status, TimeSpan Elapsed, TimeSpan Timeout)
{
    /// <summary>How much of the timeout has passed, 0-99 (100 is for a finished wait).</summary>
    public int PercentComplete => Timeout <= TimeSpan.Zero ? 0 : (int)Math.Min(99, Math.Max(0, Elapsed.TotalMilliseconds * 100 / Timeout.TotalMilliseconds));

    /// <summary>E.g. "RUNNING for 12 s; gives up in 4 min 48 s".</summary>
    public string Describe() => $"{Status} for {Span(Elapsed)}; gives up in {Span(Timeout - Elapsed)}";

    private static string Span(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        if (span.TotalMinutes < 1) return $"{(int)span.TotalSeconds} s";
        if (span.TotalHours < 1) return $"{(int)span.TotalMinutes} min {span.Seconds} s";
        return $"{(int)span.TotalHours} h {span.Minutes} min";
    }
}

/// <summary>Builds Conductor's search query text from the filters scripts use.</summary>
public static class WorkflowSearchQuery
{
    /// <summary>
    /// <c>workflowType = 'name' AND status IN (A,B) AND correlationId = 'c' AND startTime &gt;= ms AND startTime &lt;= ms</c>;
    /// null when there is no filter.
    /// </summary>
    public static string? Build(string? name, IReadOnlyCollection<WorkflowStatus>? statuses, string? correlationId,
        DateTimeOffset? startedAfter, DateTimeOffset? startedBefore)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(name)) parts.Add($"workflowType = '{Quote(name!)}'");
        if (statuses is { Count: > 0 }) parts.Add($"status IN ({string.Join(",", statuses)})");
        if (!string.IsNullOrEmpty(correlationId)) parts.Add($"correlationId = '{Quote(correlationId!)}'");
        if (startedAfter is { } after) parts.Add($"startTime >= {after.ToUnixTimeMilliseconds()}");
        if (startedBefore is { } before) parts.Add($"startTime <= {before.ToUnixTimeMilliseconds()}");
        return parts.Count == 0 ? null : string.Join(" AND ", parts);
    }

    private static string Quote(string value) => value.Replace("'", "''");

    /// <summary>
    /// True for a value shaped like a workflow id (conductor-oss and this engine issue UUIDs), so that
    /// <c>Get-Workflow &lt;id&gt;</c> gets the workflow instead of searching for a definition of that name.
    /// </summary>
    public static bool LooksLikeWorkflowId(string? value) => Guid.TryParse(value?.Trim(), out _);
}
