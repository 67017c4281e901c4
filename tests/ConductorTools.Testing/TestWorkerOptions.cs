using ConductorTools.Workers;

namespace ConductorTools.Testing;

/// <summary>Options that make the worker runtime quick to test: short polls and retry delays, no environment overrides.</summary>
public static class TestWorkerOptions
{
    public static WorkerOptions Fast(int concurrency = 1, string workerId = "test-worker", TimeSpan? longPoll = null) => new()
    {
        Concurrency = concurrency,
        PollInterval = TimeSpan.FromMilliseconds(20),
        LongPollTimeout = longPoll ?? TimeSpan.FromMilliseconds(100),
        WorkerId = workerId,
    };

    public static WorkerRunnerOptions Runner(string? outbox = null) => new()
    {
        UpdateRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxUpdateRetryDelay = TimeSpan.FromMilliseconds(200),
        PollErrorDelay = TimeSpan.FromMilliseconds(10),
        MaxPollErrorDelay = TimeSpan.FromMilliseconds(200),
        AuthErrorDelay = TimeSpan.FromMilliseconds(10),
        DrainTimeout = TimeSpan.FromSeconds(5),
        OutboxDirectory = outbox,
        ApplyEnvironment = false,
    };

    /// <summary>Completes when the token is cancelled (never faults).</summary>
    public static Task WhenCancelled(this CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }
}
