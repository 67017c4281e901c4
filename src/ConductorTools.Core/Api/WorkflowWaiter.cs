using ConductorTools.Model;

namespace ConductorTools.Api;

/// <summary>Waits for workflows: until they are terminal, or until any condition a caller looks for (the local server's
/// execute waits for a workflow that ends or blocks). Conductor has no change feed, so every wait looks again and again.</summary>
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
        // The status alone while waiting (a small answer), the whole workflow once at the end.
        var (status, done) = await LookUntilAsync(
            ct => api.GetWorkflowStatusAsync(workflowId, cancellationToken: ct),
            s => s.Status.IsTerminal(),
            timeout, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1),
            (s, elapsed) => onStatus?.Invoke(new WorkflowWaitProgress(workflowId, s.Status, elapsed, timeout)),
            timeProvider, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!done)
        {
            throw new TimeoutException(
                $"Workflow {workflowId} is still {status.Status} after {timeout.TotalSeconds:0.#} s. Wait longer (-Timeout), or check that workers are polling its tasks (Get-Workflow {workflowId}).");
        }
        return await api.GetWorkflowAsync(workflowId, includeTasks: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Calls <paramref name="look"/> until <paramref name="done"/> holds for what it returns, <paramref name="timeout"/>
    /// passes or <paramref name="stopWaiting"/> fires; between looks it waits <paramref name="firstInterval"/>, doubling
    /// up to <paramref name="maxInterval"/>, on <paramref name="timeProvider"/>'s clock. Returns the last look and whether
    /// it was done. <paramref name="onLook"/> gets each look that is not done, with the time waited so far.
    /// <paramref name="cancellationToken"/> aborts the wait (it throws).
    /// </summary>
    public static async Task<(T Last, bool Done)> LookUntilAsync<T>(Func<CancellationToken, Task<T>> look, Func<T, bool> done,
        TimeSpan timeout, TimeSpan firstInterval, TimeSpan maxInterval, Action<T, TimeSpan>? onLook = null,
        TimeProvider? timeProvider = null, CancellationToken stopWaiting = default, CancellationToken cancellationToken = default)
    {
        if (look is null) throw new ArgumentNullException(nameof(look));
        if (done is null) throw new ArgumentNullException(nameof(done));
        var time = timeProvider ?? TimeProvider.System;
        var started = time.GetUtcNow();
        var until = started + timeout;
        var interval = firstInterval;
        while (true)
        {
            var last = await look(cancellationToken).ConfigureAwait(false);
            if (done(last)) return (last, true);
            onLook?.Invoke(last, time.GetUtcNow() - started);
            var left = until - time.GetUtcNow();
            if (left <= TimeSpan.Zero || stopWaiting.IsCancellationRequested) return (last, false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopWaiting, cancellationToken);
            try
            {
                await time.Delay(interval < left ? interval : left, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Told to stop waiting: one more look, then the answer is what it shows.
            }
            if (interval < maxInterval) interval = TimeSpan.FromTicks(Math.Min(maxInterval.Ticks, interval.Ticks * 2));
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
