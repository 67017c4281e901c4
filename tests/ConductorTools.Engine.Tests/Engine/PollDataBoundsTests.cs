using ConductorTools.Engine.Storage;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: poll data is bounded: pollers with ever new worker ids cannot grow it without end.</summary>
public sealed class PollDataBoundsTests : EngineTestBase
{
    [Fact]
    public async Task Poll_data_keeps_at_most_the_cap_and_forgets_the_least_recently_polled()
    {
        await Engine.PollAsync("bounded", "keeper", null, Ct);
        for (var i = 0; i < SqliteStore.MaxPollKeys + 500; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(1));
            await Engine.PollAsync("bounded", "worker-" + i, null, Ct);
            if (i % 1000 == 0)
            {
                await Engine.PollAsync("bounded", "keeper", null, Ct); // polls on and on: never the least recent
            }
        }

        var all = await Engine.GetPollDataAsync("bounded", Ct);
        Assert.InRange(all.Count, SqliteStore.MaxPollKeys - SqliteStore.MaxPollKeys / 10, SqliteStore.MaxPollKeys);
        Assert.Contains(all, p => p.WorkerId == "keeper");
        Assert.DoesNotContain(all, p => p.WorkerId == "worker-0");
        Assert.Contains(all, p => p.WorkerId == $"worker-{SqliteStore.MaxPollKeys + 499}");
    }
}
