using ConductorTools.Api;
using Microsoft.Extensions.Time.Testing;

namespace ConductorTools.Core.Tests;

/// <summary>The one waiter both the cmdlets' -Wait and the local server's execute use, on a fake clock.</summary>
public sealed class WorkflowWaiterTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Looks_again_after_intervals_that_double_up_to_the_maximum_until_done()
    {
        var clock = new FakeTimeProvider(Start);
        var looks = new List<TimeSpan>();
        var wait = WorkflowWaiter.LookUntilAsync(_ =>
        {
            looks.Add(clock.GetUtcNow() - Start);
            return Task.FromResult(looks.Count);
        }, n => n == 5, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300), timeProvider: clock);

        for (var i = 0; i < 20 && !wait.IsCompleted; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
            clock.Advance(TimeSpan.FromMilliseconds(50));
        }
        var (last, done) = await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(done);
        Assert.Equal(5, last);
        // 100 ms, then 200, then 300 (the maximum), then 300 again.
        Assert.Equal([0, 100, 300, 600, 900], looks.Select(t => (int)t.TotalMilliseconds));
    }

    [Fact]
    public async Task Stopping_the_wait_looks_once_more_and_answers_not_done_while_cancellation_throws()
    {
        var clock = new FakeTimeProvider(Start);
        using var stop = new CancellationTokenSource();
        var looks = 0;
        var wait = WorkflowWaiter.LookUntilAsync(_ => Task.FromResult(++looks), _ => false, TimeSpan.FromHours(1),
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), timeProvider: clock, stopWaiting: stop.Token);
        stop.Cancel();
        var (last, done) = await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(done);
        Assert.Equal(2, last); // the look before the stop and one after it: the answer shows the workflow as it is then

        using var abort = new CancellationTokenSource();
        var aborted = WorkflowWaiter.LookUntilAsync(_ => Task.FromResult(0), _ => false, TimeSpan.FromHours(1),
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), timeProvider: clock, cancellationToken: abort.Token);
        abort.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => aborted.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_timeout_answers_not_done_with_the_last_look()
    {
        var clock = new FakeTimeProvider(Start);
        var looks = 0;
        var wait = WorkflowWaiter.LookUntilAsync(_ => Task.FromResult(++looks), _ => false, TimeSpan.FromSeconds(2),
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), timeProvider: clock);
        for (var i = 0; i < 50 && !wait.IsCompleted; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        var (last, done) = await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(done);
        Assert.Equal(3, last); // at 0, 1 and 2 s
    }
}
