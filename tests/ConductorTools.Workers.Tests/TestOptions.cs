namespace ConductorTools.Workers.Tests;

/// <summary>Options that make the runtime quick to test: short polls and retry delays, no environment overrides.</summary>
internal static class TestOptions
{
    public static WorkerOptions Fast(int concurrency = 1) => new()
    {
        Concurrency = concurrency,
        PollInterval = TimeSpan.FromMilliseconds(20),
        LongPollTimeout = TimeSpan.FromMilliseconds(100),
        WorkerId = "test-worker",
    };

    public static WorkerRunnerOptions Runner(string? outbox = null) => new()
    {
        UpdateRetryDelay = TimeSpan.FromMilliseconds(10),
        PollErrorDelay = TimeSpan.FromMilliseconds(10),
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
