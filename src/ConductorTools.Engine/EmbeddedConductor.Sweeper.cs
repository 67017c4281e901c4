using System.Collections.Concurrent;
using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine;

/// <summary>
/// The sweeper and health. A sweeper pass re-evaluates due workflows in chunks (one transaction per chunk); a chunk that
/// fails is retried one workflow per transaction, so a failure is contained to the workflow that causes it: its timer is
/// retried with backoff, and after <see cref="SweepFailuresBeforeFailing"/> failures in a row it is FAILED with the
/// reason. Failures that are not a workflow's fault (the database is busy, the engine is stopping) fail the pass, and
/// health reports a sweeper that has not completed a pass for <see cref="SweeperStallThreshold"/>.
/// </summary>
public sealed partial class EmbeddedConductor
{
    /// <summary>How many sweeps in a row may fail on one workflow before it is FAILED with the reason.</summary>
    internal const int SweepFailuresBeforeFailing = 3;

    /// <summary>The longest a failing workflow's timer is put off between attempts.</summary>
    private static readonly TimeSpan MaxSweepBackoff = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, int> _sweepFailures = new(StringComparer.Ordinal);

    /// <summary>When a workflow that failed to sweep is tried again (engine clock, ms). Kept here because any transaction
    /// that loads the workflow recomputes its stored wake time from its timers.</summary>
    private readonly ConcurrentDictionary<string, long> _sweepRetryAt = new(StringComparer.Ordinal);
    private long _lastPassCompleted;
    private long _sweeperStarted;
    private int _failedPasses;
    private string? _lastPassError;

    /// <summary>Test hook: called with each workflow id the sweeper is about to evaluate, inside its transaction; an
    /// exception it throws is what a workflow that cannot be evaluated does.</summary>
    internal Action<string>? SweepFault { get; set; }

    /// <summary>A background sweeper that has not completed a pass for this long (engine clock) is reported unhealthy:
    /// ten intervals, and at least 30 s.</summary>
    internal TimeSpan SweeperStallThreshold =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, _options.SweepInterval.Ticks * 10));

    // ---- health -------------------------------------------------------------------------------------------------

    /// <summary>Healthy when the database answers and the background sweeper (when running) completes passes. The
    /// <c>healthResults</c> say which check failed and why.</summary>
    /// <summary>How long a health check waits for the writer lock before it reports the database as blocked.</summary>
    private static readonly TimeSpan HealthLockWait = TimeSpan.FromSeconds(1);

    public async Task<HealthResponse> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        var response = new HealthResponse();
        bool database;
        string? databaseError = null;
        try
        {
            // Bounded: a health check answers even while an operation is blocked on a database another process holds.
            (database, _) = await RunInTransactionAsync(tx => tx.Store.Ping(), cancellationToken, HealthLockWait).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException or ConductorException)
        {
            database = false;
            databaseError = e.Message;
        }
        var databaseResult = new Dictionary<string, object?> { ["healthCheck"] = "database", ["healthy"] = database };
        if (databaseError is not null)
        {
            var details = new Dictionary<string, object?> { ["error"] = databaseError };
            if (DatabaseBusySince is { } busySince)
            {
                details["reason"] = "database busy: another process holds its lock";
                details["busySince"] = busySince;
            }
            databaseResult["details"] = details;
        }
        response.HealthResults.Add(databaseResult);

        var sweeperHealthy = true;
        if (_sweeper is not null)
        {
            var now = Now();
            var last = Interlocked.Read(ref _lastPassCompleted);
            var since = now - (last == 0 ? Interlocked.Read(ref _sweeperStarted) : last);
            sweeperHealthy = since <= (long)SweeperStallThreshold.TotalMilliseconds;
            var details = new Dictionary<string, object?>
            {
                ["lastPassCompletedTime"] = last == 0 ? null : last,
                ["failedPassesInARow"] = (long)Volatile.Read(ref _failedPasses),
                ["workflowsFailingToSweep"] = (long)_sweepFailures.Count,
            };
            if (Volatile.Read(ref _lastPassError) is { } error)
            {
                details["lastError"] = error;
            }
            if (!sweeperHealthy)
            {
                details["reason"] = string.Format(CultureInfo.InvariantCulture,
                    "The sweeper (timers, timeouts, HTTP tasks) has not completed a pass for {0} s.", since / 1000);
            }
            response.HealthResults.Add(new Dictionary<string, object?> { ["healthCheck"] = "sweeper", ["healthy"] = sweeperHealthy, ["details"] = details });
        }
        response.Healthy = database && sweeperHealthy;
        return response;
    }

    // ---- sweeper ------------------------------------------------------------------------------------------------

    /// <summary>
    /// One sweeper pass: re-evaluates every workflow whose timer is due on the engine's clock (WAIT deadlines, response,
    /// poll and task timeouts, workflow timeouts) and runs due HTTP tasks, waiting for those calls to finish (the
    /// background sweeper does not wait for them). Tests call it after moving a fake clock.
    /// </summary>
    public Task SweepAsync(CancellationToken cancellationToken = default) => SweepPassAsync(waitForHttp: true, cancellationToken);

    private async Task SweepPassAsync(bool waitForHttp, CancellationToken cancellationToken)
    {
        // One bounded pass; whatever is still due afterwards is picked up by the next pass.
        var now = Now();
        var due = (await RunAsync(tx => tx.Store.DueWorkflows(tx.Now, 2000), cancellationToken).ConfigureAwait(false))
            .Where(id => !_sweepRetryAt.TryGetValue(id, out var at) || at <= now).ToList();
        for (var i = 0; i < due.Count; i += 100)
        {
            var chunk = due.Skip(i).Take(100).ToList();
            try
            {
                await RunAsync(tx =>
                {
                    foreach (var id in chunk)
                    {
                        DecideForSweep(tx, id);
                    }
                }, cancellationToken).ConfigureAwait(false);
                foreach (var id in chunk)
                {
                    Forget(id);
                }
            }
            catch (Exception e) when (IsWorkflowFault(e, cancellationToken))
            {
                // Find the workflow(s) at fault: one transaction each.
                foreach (var id in chunk)
                {
                    await SweepOneAsync(id, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        // Script evaluations whose lease ran out (their process stopped before applying them).
        var scripts = await RunAsync(tx => _decider.ClaimDueScripts(tx, 100), cancellationToken).ConfigureAwait(false);
        await RunScriptsAsync(scripts).ConfigureAwait(false);
        var calls = await _http.DispatchDueAsync(cancellationToken).ConfigureAwait(false);
        if (waitForHttp)
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
        }
        Interlocked.Exchange(ref _lastPassCompleted, Now());
        Volatile.Write(ref _failedPasses, 0);
        Volatile.Write(ref _lastPassError, null);
    }

    private void Forget(string id)
    {
        if (_sweepFailures.TryRemove(id, out _))
        {
            _sweepRetryAt.TryRemove(id, out _);
        }
    }

    private void DecideForSweep(Execution.Tx tx, string id)
    {
        SweepFault?.Invoke(id);
        if (tx.Load(id) is { } state)
        {
            _decider.Decide(tx, state);
        }
    }

    /// <summary>Whether a failure may be the evaluated workflow's own (so it is contained to it) rather than the
    /// engine's: stopping, and a busy or failing database, are the engine's.</summary>
    private static bool IsWorkflowFault(Exception e, CancellationToken cancellationToken) =>
        e is not ObjectDisposedException
        && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        && e is not ConductorException { Retryable: true }
        && !(e is ConductorException { InnerException: Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: not 1 } });

    private async Task SweepOneAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(tx => DecideForSweep(tx, id), cancellationToken).ConfigureAwait(false);
            Forget(id);
        }
        catch (Exception e) when (IsWorkflowFault(e, cancellationToken))
        {
            await ContainAsync(id, e, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A workflow whose evaluation failed: FAILED with the reason after enough failures in a row, else (or when
    /// even failing it fails) its timer is put off with exponential backoff. Other workflows are not affected.</summary>
    private async Task ContainAsync(string id, Exception error, CancellationToken cancellationToken)
    {
        var count = _sweepFailures.AddOrUpdate(id, 1, (_, n) => n + 1);
        var reason = $"The engine could not evaluate this workflow in {count} sweeps in a row ({error.GetType().Name}: {error.Message})";
        _logger.LogError(error, "Sweeping workflow {WorkflowId} failed ({Count} time(s) in a row); other workflows continue", id, count);
        if (count >= SweepFailuresBeforeFailing)
        {
            foreach (var triggerFailureWorkflow in new[] { true, false })
            {
                try
                {
                    await RunAsync(tx =>
                    {
                        if (tx.Load(id) is { } state && !state.Workflow.Status.IsTerminal())
                        {
                            _decider.EndWorkflow(tx, state, WorkflowStatus.FAILED, reason, null, triggerFailureWorkflow);
                        }
                    }, cancellationToken).ConfigureAwait(false);
                    Forget(id);
                    _logger.LogError("Workflow {WorkflowId} FAILED: {Reason}", id, reason);
                    return;
                }
                catch (Exception e) when (IsWorkflowFault(e, cancellationToken))
                {
                    _logger.LogError(e, "Failing workflow {WorkflowId} failed too (failure workflow: {Trigger})", id, triggerFailureWorkflow);
                }
            }
        }
        var backoff = TimeSpan.FromTicks(Math.Min(MaxSweepBackoff.Ticks, _options.SweepInterval.Ticks << Math.Min(count, 20)));
        _sweepRetryAt[id] = Now() + (long)backoff.TotalMilliseconds;
        try
        {
            await RunAsync(tx => tx.Store.SetWake(id, tx.Now + (long)backoff.TotalMilliseconds), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsWorkflowFault(e, cancellationToken))
        {
            _logger.LogError(e, "Putting off workflow {WorkflowId} failed; it is retried on the next pass", id);
        }
    }

    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var wake = _sweepSignal.Current;
                await SweepPassAsync(waitForHttp: false, cancellationToken).ConfigureAwait(false);
                await Task.WhenAny(wake, _time.Delay(_options.SweepInterval, cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
#pragma warning disable CA1031 // The sweeper must survive any single failure and try again next interval.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failedPasses);
                Volatile.Write(ref _lastPassError, e.Message);
                _logger.LogError(e, "Embedded Conductor sweeper pass failed; retrying in {Interval}", _options.SweepInterval);
                try
                {
                    await _time.Delay(_options.SweepInterval, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Wakes the sweeper now (an HTTP call finished, so a slot is free for the next).</summary>
    internal void WakeSweeper() => _sweepSignal.Set();
}
