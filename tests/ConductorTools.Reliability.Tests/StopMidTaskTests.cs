using System.Diagnostics;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Workers;

namespace ConductorTools.Reliability.Tests;

/// <summary>
/// Stopping a runner while every slot is busy, over HTTP: handlers that finish within the drain deliver their results;
/// handlers cancelled at the end of the drain, and handlers that ignore cancellation, have their tasks handed back
/// (IN_PROGRESS with callback 0, so Conductor queues them again at once). Nothing is left IN_PROGRESS, where only the
/// response timeout (here a minute) would recover it; a late result of an abandoned handler is never delivered; and
/// the handed-back tasks are polled and completed by the next run.
/// </summary>
public sealed class StopMidTaskTests
{
    private const string TaskType = "rel_stop";
    private const int Count = 12; // 4 quick, 4 cooperative, 4 stubborn

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task Stopping_mid_task_delivers_finished_results_and_hands_back_the_rest() => RunAsync(updatesFailAtStop: false);

    [Fact]
    public Task Results_finished_during_the_drain_while_updates_fail_are_delivered_once_the_server_answers_again() =>
        RunAsync(updatesFailAtStop: true);

    private async Task RunAsync(bool updatesFailAtStop)
    {
        await using var server = await Harness.StartServerAsync();
        var engine = server.Engine;
        var name = await OneTaskWorkflow.RegisterAsync(engine, TaskType, retryCount: 0, responseTimeoutSeconds: 60, cancellationToken: Ct);
        // All updates answered 503 while faults are on (switched on only after every handler started).
        await using var proxy = await FaultProxy.StartAsync(server.BaseAddress, new FaultPlan { ServerError = 1.0 }, Ct);
        proxy.FaultsEnabled = false;

        var inputs = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            inputs[await engine.StartWorkflowAsync(name, new Dictionary<string, object?> { ["i"] = (long)i }, cancellationToken: Ct)] = i;
        }
        static string Kind(long i) => (i % 3) switch { 0 => "quick", 1 => "cooperative", _ => "stubborn" };

        var executions = new ExecutionLog();
        var running = 0;
        var allRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseStubborn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateResults = 0;
        TaskHandler first = async (task, ct) =>
        {
            executions.Record(task.TaskId!);
            if (Interlocked.Increment(ref running) == Count) allRunning.TrySetResult();
            var i = Harness.InputI(task);
            switch (Kind(i))
            {
                case "quick":
                    // Still running when the stop comes, finishes well within the drain.
                    await stopping.Task;
                    await Task.Delay(200, CancellationToken.None);
                    break;
                case "cooperative":
                    await Task.Delay(Timeout.Infinite, ct);
                    break;
                default:
                    await releaseStubborn.Task; // ignores cancellation
                    Interlocked.Increment(ref lateResults);
                    break;
            }
            return TaskResults.Complete(task, new Dictionary<string, object?> { ["result"] = Harness.Expected(task.WorkflowInstanceId!, i) + "@first" });
        };

        using var api = new HttpConductorApi(new ConductorClientOptions { ServerUrl = proxy.ApiUrl, Timeout = TimeSpan.FromSeconds(10) });
        var runner = new WorkerRunner(api, [new WorkerDefinition(TaskType, first, Options())], new WorkerRunnerOptions
        {
            DrainTimeout = TimeSpan.FromSeconds(updatesFailAtStop ? 3 : 1),
            UpdateRetryDelay = TimeSpan.FromMilliseconds(100),
            MaxUpdateRetryDelay = TimeSpan.FromMilliseconds(500),
            ApplyEnvironment = false,
        });
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await allRunning.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        if (updatesFailAtStop) proxy.FaultsEnabled = true;
        var clock = Stopwatch.StartNew();
        stop.Cancel();
        stopping.SetResult();
        if (updatesFailAtStop)
        {
            // The quick handlers' updates fail and their results go to the outbox; the server "comes back" mid-drain.
            await Task.Delay(1500, Ct);
            Assert.True(proxy.Count("update-v2", Fault.ServerError) + proxy.Count("update", Fault.ServerError) > 0, "no update was refused");
            proxy.FaultsEnabled = false;
        }
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        var stopTook = clock.Elapsed;
        Harness.Log($"stop took {stopTook.TotalSeconds:0.0} s: {summary}");

        Assert.Equal(Count / 3, summary.Completed);
        Assert.Equal(2 * Count / 3, summary.HandedBack);
        Assert.Equal(0, runner.PendingResults);
        Assert.True(stopTook < TimeSpan.FromSeconds(10), $"the stop took {stopTook}");

        // The abandoned handlers finish now; their results must not reach Conductor (the task was handed back).
        releaseStubborn.SetResult();
        await WaitUntilAsync(() => Volatile.Read(ref lateResults) == Count / 3);
        await Task.Delay(300, Ct);

        foreach (var (id, i) in inputs)
        {
            var task = Assert.Single((await engine.GetWorkflowAsync(id, includeTasks: true, Ct)).Tasks);
            if (Kind(i) == "quick")
            {
                Assert.Equal(ConductorTaskStatus.COMPLETED, task.Status);
                Assert.Equal(Harness.Expected(id, i) + "@first", Harness.Text(task.OutputData, "result"));
            }
            else
            {
                // Handed back: queued again, not stranded IN_PROGRESS.
                Assert.True(task.Status == ConductorTaskStatus.SCHEDULED, $"{Kind(i)} task {task.TaskId} is {task.Status}");
            }
        }

        // The next run polls the handed-back tasks and completes them.
        TaskHandler second = (task, _) =>
        {
            executions.Record(task.TaskId!);
            return Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?>
            {
                ["result"] = Harness.Expected(task.WorkflowInstanceId!, Harness.InputI(task)) + "@second",
            }));
        };
        var next = new WorkerRunner(api, [new WorkerDefinition(TaskType, second, Options())], new WorkerRunnerOptions { ApplyEnvironment = false });
        var again = await next.RunAsync(Ct, new WorkerRunLimits { MaxTasks = 2 * Count / 3 }).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(2 * Count / 3, again.Completed);
        foreach (var (id, i) in inputs)
        {
            var workflow = await engine.GetWorkflowAsync(id, includeTasks: true, Ct);
            Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
            var task = Assert.Single(workflow.Tasks);
            var quick = Kind(i) == "quick";
            Assert.Equal(Harness.Expected(id, i) + (quick ? "@first" : "@second"), Harness.Text(workflow.Output, "result"));
            // Run again only when the first run's result was never accepted (it handed the task back).
            Assert.Equal(quick ? 1 : 2, executions.Of(task.TaskId!));
        }
    }

    private static WorkerOptions Options() => new()
    {
        Concurrency = Count,
        LongPollTimeout = TimeSpan.FromMilliseconds(200),
        PollInterval = TimeSpan.FromMilliseconds(20),
        WorkerId = "rel-stop",
    };

    private async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting");
            await Task.Delay(20, Ct);
        }
    }
}
