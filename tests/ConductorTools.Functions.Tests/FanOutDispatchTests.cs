using ConductorTools.Hosting;

namespace ConductorTools.Functions.Tests;

/// <summary>The fan-out dispatcher's rule (Core): messages for a backlog, cycles in flight, the instance cap, message life.</summary>
public class FanOutDispatchTests
{
    private static FanOutRequest Request(Dictionary<string, int> backlog, int concurrency = 4, int queued = 0, int running = 0, int max = 100) => new()
    {
        Backlog = backlog,
        ConcurrencyPerCycle = backlog.Keys.ToDictionary(k => k, _ => concurrency),
        PollWindow = TimeSpan.FromMinutes(4),      // e.g. 5 min timeout − 30 s margin − 30 s drain
        TaskDuration = TimeSpan.FromSeconds(30),   // 8 rounds per cycle
        QueuedMessages = queued,
        RunningCycles = running,
        MaxCycles = max,
        DispatchInterval = TimeSpan.FromMinutes(2),
    };

    [Fact]
    public void An_empty_backlog_dispatches_nothing()
    {
        var plan = FanOutDispatch.Plan(Request(new() { ["a"] = 0, ["b"] = 0 }));
        Assert.True(plan.IsIdle);
        Assert.Equal(0, plan.Messages);
        Assert.Equal("no backlog", plan.Reason);

        Assert.True(FanOutDispatch.Plan(Request(new())).IsIdle);
    }

    [Theory]
    [InlineData(1, 1)]     // a single task still needs a cycle
    [InlineData(32, 1)]    // 4 at once × 8 rounds = 32 per cycle
    [InlineData(33, 2)]
    [InlineData(320, 10)]
    public void One_message_per_cycle_the_backlog_needs(int backlog, int messages)
    {
        var plan = FanOutDispatch.Plan(Request(new() { ["a"] = backlog }));
        Assert.Equal(32, plan.TasksPerCycle["a"]);
        Assert.Equal(messages, plan.CyclesNeeded);
        Assert.Equal(messages, plan.Messages);
    }

    [Fact]
    public void The_most_loaded_task_type_decides_for_its_group()
    {
        var request = Request(new() { ["small"] = 10, ["big"] = 100 });
        request.ConcurrencyPerCycle = new Dictionary<string, int> { ["small"] = 1, ["big"] = 16 };
        var plan = FanOutDispatch.Plan(request);
        Assert.Equal(8, plan.TasksPerCycle["small"]);
        Assert.Equal(128, plan.TasksPerCycle["big"]);
        Assert.Equal(2, plan.Messages);   // small: ⌈10/8⌉ = 2; big: ⌈100/128⌉ = 1
    }

    [Fact]
    public void Cycles_queued_or_running_are_not_dispatched_again()
    {
        Assert.Equal(6, FanOutDispatch.Plan(Request(new() { ["a"] = 320 }, queued: 3, running: 1)).Messages);
        Assert.Equal(0, FanOutDispatch.Plan(Request(new() { ["a"] = 320 }, queued: 4, running: 8)).Messages);
    }

    [Fact]
    public void Never_more_cycles_than_the_instance_budget()
    {
        var plan = FanOutDispatch.Plan(Request(new() { ["a"] = 100_000 }, max: 20, running: 5));
        Assert.Equal(3125, plan.CyclesNeeded);
        Assert.Equal(15, plan.Messages);
    }

    [Fact]
    public void Tasks_longer_than_the_poll_window_still_get_one_round_per_cycle()
    {
        var request = Request(new() { ["a"] = 9 }, concurrency: 2);
        request.TaskDuration = TimeSpan.FromMinutes(10);
        var plan = FanOutDispatch.Plan(request);
        Assert.Equal(2, plan.TasksPerCycle["a"]);
        Assert.Equal(5, plan.Messages);
    }

    [Fact]
    public void A_message_lives_one_dispatch_interval_and_at_least_a_minute()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), FanOutDispatch.Plan(Request(new() { ["a"] = 1 })).MessageTimeToLive);
        var fast = Request(new() { ["a"] = 1 });
        fast.DispatchInterval = TimeSpan.FromSeconds(10);
        Assert.Equal(FanOutDispatch.MinimumMessageTimeToLive, FanOutDispatch.Plan(fast).MessageTimeToLive);
    }

    [Fact]
    public void Nonsense_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FanOutDispatch.Plan(Request(new() { ["a"] = -1 })));
        Assert.Throws<ArgumentException>(() => FanOutDispatch.Plan(Request(new() { ["a"] = 1 }, queued: -1)));
        Assert.Throws<ArgumentException>(() => FanOutDispatch.Plan(Request(new() { ["a"] = 1 }, max: 0)));
        var noWindow = Request(new() { ["a"] = 1 });
        noWindow.PollWindow = TimeSpan.Zero;
        Assert.Throws<ArgumentException>(() => FanOutDispatch.Plan(noWindow));
    }
}
