using System.Collections;
using System.Collections.Concurrent;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Server;
using ConductorTools.Workers;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// The fan-out's Core side without storage: work messages, the settings that choose and shape the fan-out, and the
/// dispatcher (<see cref="FanOutDispatcher"/>) against the local server with an in-memory queue that counts its calls.
/// </summary>
public sealed class FanOutDispatcherTests : IAsyncLifetime
{
    private const string TaskType = "fan_task";
    private LocalBackend _backend = null!;
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public async ValueTask InitializeAsync()
    {
        _backend = await LocalBackend.StartAsync(LogLevel.Debug);
        // Every call made through the wrapper, per method name (the injected failures included).
        _backend.Faults.Before = name => _calls.AddOrUpdate(name, 1, (_, n) => n + 1);
        await _backend.Http.RegisterTaskDefsAsync([new TaskDef(TaskType)]);
        await _backend.Http.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = TaskType + "_flow",
            Tasks = [new WorkflowTask { Name = TaskType, TaskReferenceName = "t" }],
        }, overwrite: true);
    }

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    internal static ConductorHostSettings Settings(params (string Key, string Value)[] extra) => TestSettings.Bind(
        [
            (ConductorHostSettings.FunctionTimeoutKey, "00:05:00"),
            (ConductorHostSettings.SafetyMarginKey, "00:00:30"),
            (ConductorHostSettings.DrainTimeoutKey, "00:00:30"),
            (ConductorHostSettings.ConcurrencyKey, "4"),
            (ConductorHostSettings.DispatchModeKey, "FanOut"),
            .. extra,
        ]);

    private (FanOutDispatcher Dispatcher, FunctionCycleRunner Cycles, MemoryQueues Queues) Dispatcher(ConductorHostSettings settings)
    {
        var cycles = new FunctionCycleRunner(settings, _backend.Client, [new WorkerDefinition(TaskType, (t, _) => Task.FromResult(TaskResults.Complete(t, null)))], null, _backend.LoggerFactory);
        var queues = new MemoryQueues();
        return (new FanOutDispatcher(cycles, queues.For, _backend.LoggerFactory), cycles, queues);
    }

    private async Task StartAsync(int count)
    {
        for (var i = 0; i < count; i++)
            await _backend.Http.StartWorkflowAsync(TaskType + "_flow", new Dictionary<string, object?>(), cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_empty_backlog_costs_one_queue_size_call_and_touches_no_queue()
    {
        var (dispatcher, _, queues) = Dispatcher(Settings());
        for (var i = 0; i < 3; i++)
        {
            var result = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Empty(result.Sent);
            Assert.True(result.Plan!.IsIdle);
            Assert.Equal(1, result.ConductorCalls);
        }
        Assert.Equal(3, _calls.Values.Sum());
        Assert.Equal(3, _calls[nameof(IConductorApi.GetQueueSizesAsync)]);
        Assert.Equal(0, queues.Operations);
        Assert.Contains(_backend.Logs.Messages, m => m.Message == "Conductor fan-out [default]: no backlog, nothing dispatched");
    }

    [Fact]
    public async Task In_timer_mode_the_dispatcher_does_nothing_and_the_timer_runs_the_cycle()
    {
        var settings = Settings((ConductorHostSettings.DispatchModeKey, "Timer"));
        var (dispatcher, _, queues) = Dispatcher(settings);
        await StartAsync(3);
        var result = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(result.Sent);
        Assert.Contains("fan-out is off", result.Outcome, StringComparison.Ordinal);
        Assert.Empty(_calls);
        Assert.Equal(0, queues.Operations);
    }

    [Fact]
    public async Task In_fan_out_mode_the_timer_runs_no_cycle()
    {
        var (_, cycles, _) = Dispatcher(Settings());
        await StartAsync(1);
        var result = await cycles.RunTimerAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);
        Assert.NotNull(result.Skipped);
        Assert.Equal(0, result.Summary.Polled);
        Assert.False(_calls.ContainsKey(nameof(IConductorApi.BatchPollAsync)));
    }

    [Fact]
    public async Task A_backlog_becomes_one_message_per_cycle_less_the_cycles_in_flight()
    {
        // 5 min timeout − 30 s margin − 30 s drain = a 4 min window of 30 s tasks: 8 rounds × 4 at once = 32 tasks per cycle.
        var (dispatcher, _, queues) = Dispatcher(Settings());
        await StartAsync(70);
        var now = DateTimeOffset.UtcNow;

        var first = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(70, first.Backlog[TaskType]);
        Assert.Equal(3, first.Sent.Count);
        var queue = queues.Queues[ConductorHostSettings.DefaultFanOutQueue];
        Assert.Equal(3, queue.Messages.Count);
        foreach (var (text, ttl) in queue.Messages)
        {
            var message = FanOutMessage.Parse(text);
            Assert.Equal(ConductorHostSettings.DefaultGroup, message.Group);
            Assert.InRange(message.Created, now.AddSeconds(-5), now.AddSeconds(30));
            // Waits up to one dispatch interval, then lives as long as the invocation it starts (5 min timeout).
            Assert.Equal(TimeSpan.FromMinutes(2) + TimeSpan.FromMinutes(5), ttl);
        }

        // The same backlog again: the three messages (waiting or being processed) already cover it.
        var second = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.Equal(3, second.InFlight);
        Assert.Empty(second.Sent);
        Assert.Equal(2, _calls[nameof(IConductorApi.GetQueueSizesAsync)]);
    }

    [Fact]
    public async Task Never_more_than_the_groups_instance_budget()
    {
        var (dispatcher, _, _) = Dispatcher(Settings((ConductorHostSettings.ConcurrencyKey, "1"), (ConductorHostSettings.FanOutMaxCyclesKey, "2")));
        await StartAsync(40);
        var result = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(5, result.Plan!.CyclesNeeded);
        Assert.Equal(2, result.Sent.Count);
    }

    [Fact]
    public async Task A_server_failure_is_logged_and_nothing_is_dispatched()
    {
        var (dispatcher, _, queues) = Dispatcher(Settings());
        _backend.Faults.FailNext(nameof(IConductorApi.GetQueueSizesAsync), 1);
        var result = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(result.Sent);
        Assert.StartsWith("could not read the backlog", result.Outcome, StringComparison.Ordinal);
        Assert.Equal(0, queues.Operations);
        Assert.Contains(_backend.Logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("could not read the backlog", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_messages_cycle_runs_the_backlog_and_ends_when_the_queues_are_empty_not_at_its_deadline()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, cycles, _) = Dispatcher(Settings()); // a 5-minute function timeout: ending at the deadline would be plain to see
        await StartAsync(3);
        var message = FanOutMessage.Create(ConductorHostSettings.DefaultGroup, DateTimeOffset.UtcNow).ToJson();

        // The guard only keeps a regression from hanging the suite for 5 minutes; the assertions are on the outcome.
        var result = await cycles.RunForMessageAsync(message, ConductorHostSettings.DefaultGroup, ct).WaitAsync(TimeSpan.FromMinutes(1), ct);

        Assert.Equal(3, result.Summary.Completed);
        Assert.Equal(WorkerStopReason.QueuesEmpty, result.Summary.StopReason);
        Assert.Equal(0, (await _backend.Http.GetQueueSizesAsync([TaskType], ct))[TaskType]);
        // A timer's cycle (the timer-only mode) keeps polling to its deadline: tasks scheduled meanwhile are picked up at once.
        using var host = new CancellationTokenSource(TimeSpan.FromSeconds(1)); // the host ends the invocation
        var timed = await cycles.RunAsync(ConductorHostSettings.DefaultGroup, cancellationToken: host.Token).WaitAsync(TimeSpan.FromMinutes(1), ct);
        Assert.NotEqual(WorkerStopReason.QueuesEmpty, timed.Summary.StopReason);
    }

    [Fact]
    public async Task A_message_that_is_not_a_work_message_runs_no_cycle_and_fails_with_its_reason_logged()
    {
        var (_, cycles, _) = Dispatcher(Settings());
        foreach (var bad in new object?[] { "not json", "[1,2]", "{\"created\":\"2026-12-01T00:00:00Z\"}", "{\"group\":\"default\",\"created\":\"soon\"}", null })
            await Assert.ThrowsAsync<FanOutMessageException>(() => cycles.RunForMessageAsync(bad, ConductorHostSettings.DefaultGroup, TestContext.Current.CancellationToken));
        var wrongGroup = FanOutMessage.Create("media", DateTimeOffset.UtcNow).ToJson();
        var error = await Assert.ThrowsAsync<FanOutMessageException>(() => cycles.RunForMessageAsync(wrongGroup, ConductorHostSettings.DefaultGroup, TestContext.Current.CancellationToken));
        Assert.Contains("group 'media'", error.Message, StringComparison.Ordinal);
        Assert.False(_calls.ContainsKey(nameof(IConductorApi.BatchPollAsync)));
        Assert.Equal(6, _backend.Logs.Messages.Count(m => m.Level == LogLevel.Error && m.Message.Contains("not a work message", StringComparison.Ordinal)));
    }

    [Fact]
    public void Work_messages_round_trip_as_json_and_as_the_PowerShell_workers_hashtable()
    {
        var message = FanOutMessage.Create("mail", new DateTimeOffset(2026, 12, 1, 23, 0, 0, TimeSpan.Zero));
        Assert.Equal(message, FanOutMessage.Parse(message.ToJson()));
        Assert.StartsWith("{\"group\":\"mail\",\"created\":\"2026-12-01T23:00:00.0000000+00:00\"", message.ToJson(), StringComparison.Ordinal);

        // The PowerShell worker hands a JSON queue message over as a hashtable (case-sensitive keys on 7.4), its time a DateTime.
        var table = new Hashtable { ["group"] = "mail", ["created"] = new DateTime(2026, 12, 1, 23, 0, 0, DateTimeKind.Utc), ["id"] = message.Id };
        Assert.Equal(message, FanOutMessage.Parse(table));
        Assert.Equal(TimeSpan.FromSeconds(5), message.Age(message.Created.AddSeconds(5)));
        Assert.Equal(TimeSpan.Zero, message.Age(message.Created.AddSeconds(-5)));
    }

    [Fact]
    public void Settings_choose_the_mode_and_name_one_queue_per_group()
    {
        var timer = TestSettings.Bind();
        Assert.Equal(DispatchMode.Timer, timer.DispatchMode);
        Assert.Equal("conductor-cycles", timer.FanOutQueueFor("default"));
        Assert.Equal("conductor-cycles-media", timer.FanOutQueueFor("Media"));
        Assert.Equal(ConductorHostSettings.DefaultFanOutMaxCycles, timer.FanOutMaxCycles);

        var fanOut = Settings((ConductorHostSettings.FanOutQueueKey, "work"), (ConductorHostSettings.FanOutMaxCyclesKey, "8"));
        Assert.Equal(DispatchMode.FanOut, fanOut.DispatchMode);
        Assert.Equal("work-mail", fanOut.FanOutQueueFor("mail"));
        Assert.Equal(8, fanOut.FanOutMaxCycles);
        Assert.Contains("fan-out through queue work", fanOut.ToString(), StringComparison.Ordinal);
        Assert.Throws<ConductorSettingsException>(() => fanOut.FanOutQueueFor("bad_group"));

        var error = Assert.Throws<ConductorSettingsException>(() => Settings(
            (ConductorHostSettings.DispatchModeKey, "sometimes"), (ConductorHostSettings.FanOutQueueKey, "Bad_Name"), (ConductorHostSettings.FanOutMaxCyclesKey, "0")));
        Assert.Equal(3, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith(ConductorHostSettings.DispatchModeKey, StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith(ConductorHostSettings.FanOutQueueKey, StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith(ConductorHostSettings.FanOutMaxCyclesKey, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ConductorWorkers", "default")]
    [InlineData("ConductorDispatcher", "default")]
    [InlineData("ConductorFanOut", "default")]
    [InlineData("ConductorDispatcher_mail", "mail")]
    [InlineData("ConductorFanOut_mail", "mail")]
    public void Every_fan_out_function_takes_its_group_from_its_name(string function, string group) =>
        Assert.Equal(group, FunctionCycleRunner.GroupForFunction(function));

    [Fact]
    public void A_message_outlives_the_invocation_it_starts_and_a_self_hosted_consumer_hides_it_that_long()
    {
        var request = new FanOutRequest
        {
            Backlog = new Dictionary<string, int> { ["a"] = 1 },
            PollWindow = TimeSpan.FromMinutes(4),
            TaskDuration = TimeSpan.FromSeconds(30),
            DispatchInterval = TimeSpan.FromSeconds(30),
            InvocationLength = TimeSpan.FromMinutes(5),
        };
        Assert.Equal(TimeSpan.FromMinutes(6), FanOutDispatch.Plan(request).MessageTimeToLive);
        Assert.Equal(TimeSpan.FromMinutes(6), FanOutDispatch.ReceiveVisibility(TimeSpan.FromMinutes(5)));
        request.InvocationLength = TimeSpan.FromSeconds(-1);
        Assert.Throws<ArgumentException>(() => FanOutDispatch.Plan(request));
    }

    /// <summary>In-memory fan-out queues that count every operation.</summary>
    internal sealed class MemoryQueues
    {
        public ConcurrentDictionary<string, MemoryQueue> Queues { get; } = new(StringComparer.Ordinal);

        public int Operations => Queues.Values.Sum(q => q.Operations);

        public IFanOutQueue For(string name) => Queues.GetOrAdd(name, n => new MemoryQueue(n));
    }

    internal sealed class MemoryQueue(string name) : IFanOutQueue
    {
        private int _operations;

        public string Name => name;

        public ConcurrentQueue<(string Text, TimeSpan Ttl)> Messages { get; } = new();

        public int Operations => _operations;

        public Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _operations);
            return Task.FromResult(Messages.Count);
        }

        public Task SendAsync(string message, TimeSpan timeToLive, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _operations);
            Messages.Enqueue((message, timeToLive));
            return Task.CompletedTask;
        }
    }
}
