
namespace ConductorTools.Workers;

// Waiting between attempts, always on the runner's clock (its TimeProvider), so tests drive every wait.
public sealed partial class WorkerRunner
{
    /// <summary>
    /// Calls <paramref name="attempt"/> (with its number, from 1) until it succeeds, at most <paramref name="attempts"/> times.
    /// After each failure <paramref name="again"/> is told of it (the caller logs and counts there) and says whether another
    /// try makes sense; between tries the runner waits a jittered exponential backoff from
    /// <see cref="WorkerRunnerOptions.UpdateRetryDelay"/> on its clock. Returns null on success, otherwise the last failure
    /// (also when <paramref name="cancellationToken"/> ends a wait).
    /// </summary>
    private async Task<Exception?> RetryAsync(int attempts, Func<int, Task> attempt, Func<Exception, int, bool> again,
        CancellationToken cancellationToken)
    {
        for (var n = 1; ; n++)
        {
            Exception failure;
            try
            {
                await attempt(n).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            if (!again(failure, n) || n >= attempts) return failure;
            try
            {
                await Delay(Backoff(_options.UpdateRetryDelay, _options.MaxUpdateRetryDelay, n), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return failure;
            }
        }
    }

    private TimeSpan Backoff(TimeSpan first, TimeSpan max, int attempt)
    {
        var baseMs = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        double factor;
        lock (_jitter) factor = 0.5 + _jitter.NextDouble() / 2; // "equal jitter": between half and all of the delay
        return TimeSpan.FromMilliseconds(baseMs * factor);
    }

    private Task Delay(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : _time.Delay(delay, cancellationToken);
}
