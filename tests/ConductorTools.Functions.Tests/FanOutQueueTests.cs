using System.Text;
using Azure.Storage.Queues;
using ConductorTools.Hosting;
using ConductorTools.Storage;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// The fan-out queue (ConductorTools.Storage, Azure.Storage.Queues) against Azurite: what the dispatcher sends is what the
/// Functions queue trigger reads (Base64), a taken message stays counted while hidden, messages expire, and a message that
/// keeps failing goes to the poison queue without holding up the others.
/// </summary>
public sealed class FanOutQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sent_message_is_Base64_on_the_queue_as_the_trigger_expects_and_reads_back_as_sent()
    {
        var azurite = await Azurite.SharedAsync(Ct);
        var queue = azurite.NewQueue();
        var message = FanOutMessage.Create("default", DateTimeOffset.UtcNow);
        await queue.SendAsync(message.ToJson(), TimeSpan.FromMinutes(5), Ct);

        // Raw, without the client's decoding: the Functions queue trigger decodes Base64 by default (messageEncoding).
        var raw = new QueueClient(azurite.ConnectionString, queue.Name);
        var peeked = Assert.Single((await raw.PeekMessagesAsync(1, Ct)).Value);
        Assert.Equal(message.ToJson(), Encoding.UTF8.GetString(Convert.FromBase64String(peeked.Body.ToString())));

        var received = await queue.ReceiveAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(received);
        Assert.Equal(message, FanOutMessage.Parse(received.Body.ToString()));
    }

    [Fact]
    public async Task A_taken_message_is_hidden_from_other_consumers_but_still_counted_until_deleted()
    {
        var azurite = await Azurite.SharedAsync(Ct);
        var queue = azurite.NewQueue();
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(Ct));   // not created yet: 0, no error
        await queue.SendAsync(FanOutMessage.Create("default", DateTimeOffset.UtcNow).ToJson(), TimeSpan.FromMinutes(5), Ct);
        await queue.SendAsync(FanOutMessage.Create("default", DateTimeOffset.UtcNow).ToJson(), TimeSpan.FromMinutes(5), Ct);
        Assert.Equal(2, await queue.GetApproximateMessageCountAsync(Ct));

        var first = await queue.ReceiveAsync(TimeSpan.FromSeconds(30), Ct);
        var second = await queue.ReceiveAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first.MessageId, second.MessageId);
        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(30), Ct));   // both hidden: no third cycle for them
        // Being processed still counts: the dispatcher sees these two cycles as in flight.
        Assert.Equal(2, await queue.GetApproximateMessageCountAsync(Ct));

        Assert.True(await queue.DeleteAsync(first, Ct));
        Assert.False(await queue.DeleteAsync(first, Ct));   // already gone: not an error
        Assert.Equal(1, await queue.GetApproximateMessageCountAsync(Ct));

        // A message whose visibility ran out (its consumer died) is delivered again, with a higher dequeue count.
        var shortLived = azurite.NewQueue();
        await shortLived.SendAsync("{}", TimeSpan.FromMinutes(5), Ct);
        var taken = await shortLived.ReceiveAsync(TimeSpan.FromSeconds(1), Ct);
        Assert.NotNull(taken);
        await Task.Delay(1500, Ct);
        var again = await shortLived.ReceiveAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(again);
        Assert.Equal(taken.MessageId, again.MessageId);
        Assert.Equal(2, again.DequeueCount);
    }

    [Fact]
    public async Task A_message_not_taken_within_its_time_to_live_expires()
    {
        var azurite = await Azurite.SharedAsync(Ct);
        var queue = azurite.NewQueue();
        await queue.SendAsync(FanOutMessage.Create("default", DateTimeOffset.UtcNow).ToJson(), TimeSpan.FromSeconds(1), Ct);
        await queue.SendAsync(FanOutMessage.Create("default", DateTimeOffset.UtcNow).ToJson(), TimeSpan.FromMinutes(5), Ct);
        await Task.Delay(2000, Ct);
        var kept = await queue.ReceiveAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(kept);
        Assert.Null(await queue.ReceiveAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.True(await queue.DeleteAsync(kept, Ct));
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(Ct));
    }

    [Fact]
    public async Task A_bad_message_goes_to_the_poison_queue_after_maxDequeueCount_failures_and_the_good_ones_run()
    {
        var azurite = await Azurite.SharedAsync(Ct);
        var queue = azurite.NewQueue();
        await queue.SendAsync("this is not a work message", TimeSpan.FromMinutes(5), Ct);
        for (var i = 0; i < 3; i++)
            await queue.SendAsync(FanOutMessage.Create("default", DateTimeOffset.UtcNow).ToJson(), TimeSpan.FromMinutes(5), Ct);

        var consumer = new FanOutQueueConsumer(queue, TimeSpan.FromSeconds(30), maxDequeueCount: 2);
        var ran = 0;
        var outcomes = new List<FanOutDelivery>();
        for (var i = 0; i < 10; i++)
        {
            var outcome = await consumer.RunOnceAsync((text, _) =>
            {
                FanOutMessage.Parse(text);   // throws for the bad one, as the queue function's body does
                ran++;
                return Task.CompletedTask;
            }, Ct);
            outcomes.Add(outcome);
            if (outcome == FanOutDelivery.None) break;
        }

        Assert.Equal(3, ran);
        Assert.Equal(3, outcomes.Count(o => o == FanOutDelivery.Completed));
        Assert.Equal(1, outcomes.Count(o => o == FanOutDelivery.Failed));
        Assert.Equal(1, outcomes.Count(o => o == FanOutDelivery.Poisoned));
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(Ct));
        var poisoned = Assert.Single((await queue.PoisonClient.PeekMessagesAsync(10, Ct)).Value);
        Assert.Equal("this is not a work message", poisoned.Body.ToString());
        Assert.Equal(queue.Name + "-poison", queue.PoisonClient.Name);
    }

    [Fact]
    public void Connection_settings_are_read_the_way_the_queue_trigger_reads_them()
    {
        var local = StorageFanOutQueue.ServiceFromSettings(k => k == "AzureWebJobsStorage" ? "UseDevelopmentStorage=true" : null);
        Assert.Equal("devstoreaccount1", local.AccountName);
        var missing = Assert.Throws<ConductorSettingsException>(() => StorageFanOutQueue.ServiceFromSettings(_ => null));
        Assert.Contains("AzureWebJobsStorage is not set", missing.Message, StringComparison.Ordinal);
        // Identity-based, as the trigger reads it: the account (or the queue service URI) and the app's managed identity.
        var withIdentity = StorageFanOutQueue.ServiceFromSettings(k => k == "AzureWebJobsStorage__accountName" ? "acct" : null);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net/"), withIdentity.Uri);
        var byUri = StorageFanOutQueue.ServiceFromSettings(k => k switch { "AzureWebJobsStorage__queueServiceUri" => "https://other.queue.core.windows.net", "AzureWebJobsStorage__clientId" => "00000000-0000-0000-0000-000000000002", _ => null });
        Assert.Equal("other", byUri.AccountName);
        Assert.Throws<ConductorSettingsException>(() => StorageFanOutQueue.ServiceFromSettings(k => k == "AzureWebJobsStorage__queueServiceUri" ? "not a url" : null));
        Assert.Throws<ConductorSettingsException>(() => StorageFanOutQueue.ServiceFromSettings(k => k == "AzureWebJobsStorage" ? "nonsense" : null));
    }
}
