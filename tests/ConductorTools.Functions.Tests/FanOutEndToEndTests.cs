using System.Collections.Concurrent;
using System.Diagnostics;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Server;
using ConductorTools.Storage;
using ConductorTools.Workers;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// The fan-out end to end: the local server, Azurite, the dispatcher on a short timer, and M concurrent simulated
/// instances, each doing what the Functions host does with the queue function (take a message, run its body = one bounded
/// cycle through Core, delete it; poison after maxDequeueCount failures). Every task completes exactly once, the backlog
/// drains, a poison message ends on the poison queue, and nothing is left queued, running or stranded.
/// </summary>
public sealed class FanOutEndToEndTests : IAsyncLifetime
{
    private const string TaskType = "fan_e2e";
    private const int Instances = 3;
    private const int Workflows = 90;
    private LocalBackend _backend = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await LocalBackend.StartAsync();
        // A short response timeout, so a task whose hand-out went wrong is retried within seconds instead of stalling the test.
        await _backend.Http.RegisterTaskDefsAsync([new TaskDef(TaskType) { RetryCount = 2, ResponseTimeoutSeconds = 5 }]);
        await _backend.Http.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = TaskType + "_flow",
            Tasks = [new WorkflowTask { Name = TaskType, TaskReferenceName = "t", InputParameters = new() { ["n"] = "${workflow.input.n}" } }],
        }, overwrite: true);
    }

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    [Fact]
    public async Task The_dispatcher_and_concurrent_instances_complete_every_task_exactly_once_and_leave_nothing_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        var azurite = await Azurite.SharedAsync(ct);
        var service = azurite.Service();
        var settings = ConductorHostSettings.Bind(k => k switch
        {
            ConductorHostSettings.ServerUrlKey => _backend.Server.ApiUrl.AbsoluteUri,
            ConductorHostSettings.PollScheduleKey => "*/1 * * * * *",
            ConductorHostSettings.FunctionTimeoutKey => "00:00:05",   // 4 s cycles that poll for 3 s
            ConductorHostSettings.SafetyMarginKey => "00:00:01",
            ConductorHostSettings.DrainTimeoutKey => "00:00:01",
            ConductorHostSettings.ConcurrencyKey => "2",
            ConductorHostSettings.DispatchModeKey => "FanOut",
            ConductorHostSettings.FanOutQueueKey => "e2e-" + Guid.NewGuid().ToString("N")[..12],
            ConductorHostSettings.FanOutMaxCyclesKey => Instances.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        });

        var executions = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var worker = new WorkerDefinition(TaskType, async (task, token) =>
        {
            await Task.Delay(50, token);
            // Counted once it completes: a task handed back at a cycle's end (its handler cancelled) is not a completion.
            executions.AddOrUpdate(task.TaskId!, 1, (_, n) => n + 1);
            return TaskResults.Complete(task, new Dictionary<string, object?> { ["done"] = task.InputData?["n"] });
        });
        // Each instance is its own process in Azure: its own client and cycle runner (the app's singletons).
        var instanceApis = Enumerable.Range(0, Instances).Select(_ => new HttpConductorApi(new ConductorClientOptions { ServerUrl = _backend.Server.ApiUrl })).ToList();
        var dispatcherApi = new HttpConductorApi(new ConductorClientOptions { ServerUrl = _backend.Server.ApiUrl });
        var dispatcherCycles = new FunctionCycleRunner(settings, dispatcherApi, [worker], null, _backend.LoggerFactory);
        var queueName = settings.FanOutQueueFor(ConductorHostSettings.DefaultGroup);
        var queue = StorageFanOutQueue.For(service, queueName);
        var dispatcher = new FanOutDispatcher(dispatcherCycles, name => StorageFanOutQueue.For(service, name), _backend.LoggerFactory);

        var ids = new List<string>();
        for (var i = 0; i < Workflows; i++)
            ids.Add(await _backend.Http.StartWorkflowAsync(TaskType + "_flow", new Dictionary<string, object?> { ["n"] = i }, cancellationToken: ct));
        // A message that is not a work message, among the real ones.
        await queue.SendAsync("{\"group\":", TimeSpan.FromMinutes(5), ct);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cyclesRun = 0;
        var deliveries = new ConcurrentQueue<FanOutDelivery>();
        var instances = Enumerable.Range(0, Instances).Select(i => Task.Run(async () =>
        {
            var cycles = new FunctionCycleRunner(settings, instanceApis[i], [worker], null, _backend.LoggerFactory);
            var consumer = new FanOutQueueConsumer(StorageFanOutQueue.For(service, queueName), FanOutDispatch.ReceiveVisibility(TimeSpan.FromSeconds(5)), maxDequeueCount: 2);
            while (true)
            {
                var delivery = await consumer.RunOnceAsync(async (text, token) =>
                {
                    await cycles.RunForMessageAsync(text, ConductorHostSettings.DefaultGroup, token);
                    Interlocked.Increment(ref cyclesRun);
                }, CancellationToken.None);
                deliveries.Enqueue(delivery);
                if (delivery == FanOutDelivery.None)
                {
                    if (stop.IsCancellationRequested) return;
                    await Task.Delay(200, CancellationToken.None);
                }
            }
        }, CancellationToken.None)).ToList();

        // The dispatcher timer, every second, until the backlog is gone.
        var clock = Stopwatch.StartNew();
        var dispatches = new List<FanOutDispatchResult>();
        while (clock.Elapsed < TimeSpan.FromSeconds(45))
        {
            var result = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, TimeSpan.FromSeconds(1), ct);
            dispatches.Add(result);
            if (executions.Count >= Workflows && (await _backend.Http.GetQueueSizesAsync([TaskType], ct))[TaskType] == 0 && await AllCompletedAsync(ids, ct))
                break;
            await Task.Delay(1000, ct);
        }
        var drained = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(instances).WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.True(await AllCompletedAsync(ids, ct), $"not every workflow completed in {drained}: {executions.Count} executed");
        foreach (var id in ids)
        {
            var wf = await _backend.Http.GetWorkflowAsync(id, cancellationToken: ct);
            var done = wf.Tasks!.Where(t => t.Status == ConductorTaskStatus.COMPLETED).ToList();
            var completed = Assert.Single(done);
            Assert.Equal(1, executions[completed.TaskId!]);   // exactly once
        }
        Assert.All(executions, e => Assert.Equal(1, e.Value));
        Assert.True(cyclesRun >= Instances, $"only {cyclesRun} cycles ran");
        Assert.True(dispatches.Max(d => d.Sent.Count) <= Instances);
        Assert.All(dispatches, d => Assert.True(d.InFlight + d.Sent.Count <= Instances + 1, $"dispatch over budget: {d}"));   // +1: the poison message

        // Nothing stuck: no work message left, the bad one on the poison queue, no task queued.
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(ct));
        Assert.Single((await queue.PoisonClient.PeekMessagesAsync(10, ct)).Value);
        Assert.Contains(deliveries, d => d == FanOutDelivery.Poisoned);
        Assert.Equal(0, (await _backend.Http.GetQueueSizesAsync([TaskType], ct))[TaskType]);
        Assert.Contains(_backend.Logs.Messages, m => m.Level == LogLevel.Error && m.Message.Contains("not a work message", StringComparison.Ordinal));

        // An idle period afterwards: each dispatch is one queue-size call and no message.
        var idle = await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, TimeSpan.FromSeconds(1), ct);
        Assert.Empty(idle.Sent);
        Assert.Equal(1, idle.ConductorCalls);
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(ct));

        dispatcherApi.Dispose();
        foreach (var api in instanceApis) api.Dispose();
    }

    private async Task<bool> AllCompletedAsync(List<string> ids, CancellationToken ct)
    {
        foreach (var id in ids)
        {
            if ((await _backend.Http.GetWorkflowAsync(id, includeTasks: false, cancellationToken: ct)).Status != WorkflowStatus.COMPLETED)
                return false;
        }
        return true;
    }
}
