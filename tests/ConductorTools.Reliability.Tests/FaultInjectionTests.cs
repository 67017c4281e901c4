using System.Diagnostics;
using System.Globalization;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Workers;

namespace ConductorTools.Reliability.Tests;

/// <summary>
/// Two worker runners (batch poll + update-v2 over <see cref="HttpConductorApi"/>) reach the local server only through a
/// proxy that injects 5xx answers, connection resets, delays, and answers dropped or cut off after the server applied
/// the request. Conductor semantics decide what "exactly once" can mean here:
/// <list type="bullet">
/// <item>a poll acks the task at the server (conductor-oss ExecutionService.poll), so a poll answer lost on the way strands its tasks
/// IN_PROGRESS until responseTimeoutSeconds; the engine then times them out and retries them as <em>new</em> task ids
/// (DeciderService: response timeout, then retry). The same holds for the next task handed out by an update-v2 whose answer is lost;</item>
/// <item>an update repeated after its first attempt was applied is ignored (the task is terminal: WorkflowExecutorOps.updateTask).</item>
/// </list>
/// So the strongest property that holds, and what is asserted: every workflow COMPLETED with the output its own task
/// computed from its own input; no task id ran more than once; exactly one task per workflow was accepted (COMPLETED)
/// and every other attempt of it ended TIMED_OUT, i.e. a task is re-executed only as a new attempt after Conductor
/// gave up on one whose result it never accepted.
/// </summary>
public sealed class FaultInjectionTests
{
    private const string TaskType = "rel_work";

    /// <summary>Workflows in the run (10,000 take about 16 s on a busy 2-core machine); <c>RELIABILITY_WORKFLOWS</c> overrides.</summary>
    private static int Workflows =>
        int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_WORKFLOWS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : 10_000;

    public static FaultPlan Plan { get; } = new()
    {
        Seed = 20261127,
        ServerError = 0.03,
        ResetBeforeForward = 0.02,
        Delay = 0.05,
        DropAfterForward = 0.02,
        AbortMidResponse = 0.02,
        MaxDelay = TimeSpan.FromMilliseconds(40),
    };

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Through_a_faulty_network_every_workflow_completes_with_its_own_output_and_no_task_runs_twice()
    {
        var count = Workflows;
        var clock = Stopwatch.StartNew();
        await using var server = await Harness.StartServerAsync();
        var engine = server.Engine;
        var name = await OneTaskWorkflow.RegisterAsync(engine, TaskType, retryCount: 20, responseTimeoutSeconds: 2, cancellationToken: Ct);
        await using var proxy = await FaultProxy.StartAsync(server.BaseAddress, Plan, Ct);

        var executions = new ExecutionLog();
        TaskHandler handler = (task, _) =>
        {
            executions.Record(task.TaskId!);
            return Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?>
            {
                ["result"] = Harness.Expected(task.WorkflowInstanceId!, Harness.InputI(task)),
            }));
        };

        // A backlog first (in-process, not through the proxy: the faults are the workers' network), so polls return full
        // batches and update-v2 hands out a next task: lost answers then strand tasks, the case that matters.
        var inputs = new Dictionary<string, long>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            inputs[await engine.StartWorkflowAsync(name, new Dictionary<string, object?> { ["i"] = (long)i }, cancellationToken: Ct)] = i;
        }
        var started = clock.Elapsed;

        using var stop = new CancellationTokenSource();
        var runs = new List<Task<WorkerCycleSummary>>();
        var clients = new List<HttpConductorApi>();
        var events = new System.Collections.Concurrent.ConcurrentDictionary<WorkerEventKind, long>();
        foreach (var id in new[] { "rel-a", "rel-b" })
        {
            var api = new HttpConductorApi(new ConductorClientOptions { ServerUrl = proxy.ApiUrl, Timeout = TimeSpan.FromSeconds(10) });
            clients.Add(api);
            var runner = new WorkerRunner(api, [new WorkerDefinition(TaskType, handler, TestWorkerOptions.Fast(8, id, TimeSpan.FromMilliseconds(500)))], TestWorkerOptions.Runner());
            runner.Event += (_, e) => events.AddOrUpdate(e.Kind, 1, (_, n) => n + 1);
            runs.Add(runner.RunAsync(stop.Token));
        }

        var allDone = await Harness.WaitForCompletedAsync(engine, name, count, TimeSpan.FromSeconds(120), Ct);
        var done = clock.Elapsed;
        stop.Cancel();
        var summaries = await Task.WhenAll(runs);
        foreach (var api in clients) api.Dispose();

        Harness.Log($"{count} workflows: started in {started.TotalSeconds:0.0} s, all completed {(done - started).TotalSeconds:0.0} s later; " +
            $"{proxy.TotalRequests} requests through the proxy:{Environment.NewLine}{proxy.Describe()}");
        foreach (var summary in summaries) Harness.Log("runner: " + summary);
        Harness.Log("events: " + string.Join(", ", events.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}")));

        Assert.True(allDone, $"only {await Harness.CountAsync(engine, name, WorkflowStatus.COMPLETED)} of {count} workflows completed within 120 s " +
            $"({await Harness.CountAsync(engine, name, WorkflowStatus.RUNNING)} running)");

        // Every fault kind actually hit the worker traffic, including lost answers to applied polls and updates.
        foreach (var fault in new[] { Fault.ServerError, Fault.ResetBeforeForward, Fault.Delay, Fault.DropAfterForward, Fault.AbortMidResponse })
        {
            Assert.True(proxy.Count("poll", fault) + proxy.Count("update-v2", fault) + proxy.Count("update", fault) > 0, $"no worker request got {fault}");
        }
        Assert.True(proxy.LostTaskAnswers("update-v2") > 0, "no update-v2 answer carrying a next task was lost");
        Assert.True(proxy.LostTaskAnswers("poll") + proxy.LostTaskAnswers("update-v2") >= 10, "too few answers carrying tasks were lost to test recovery");

        var problems = new List<string>();
        var accepted = new HashSet<string>(StringComparer.Ordinal);
        var known = new HashSet<string>(StringComparer.Ordinal);
        var retriedWorkflows = 0;
        var reExecutedWorkflows = 0;
        foreach (var (id, i) in inputs)
        {
            var workflow = await engine.GetWorkflowAsync(id, includeTasks: true, Ct);
            if (workflow.Status != WorkflowStatus.COMPLETED) problems.Add($"{id}: {workflow.Status}");
            if (Harness.Text(workflow.Output, "result") != Harness.Expected(id, i)) problems.Add($"{id}: output {Harness.Text(workflow.Output, "result")}");
            var completed = workflow.Tasks.Where(t => t.Status == ConductorTaskStatus.COMPLETED).ToList();
            if (completed.Count != 1) problems.Add($"{id}: {completed.Count} COMPLETED tasks");
            foreach (var task in completed)
            {
                accepted.Add(task.TaskId!);
                if (executions.Of(task.TaskId!) != 1) problems.Add($"{id}: accepted task {task.TaskId} ran {executions.Of(task.TaskId!)} times");
                if (Harness.Text(task.OutputData, "result") != Harness.Expected(id, i)) problems.Add($"{id}: task output {Harness.Text(task.OutputData, "result")}");
            }
            foreach (var task in workflow.Tasks.Where(t => t.Status != ConductorTaskStatus.COMPLETED))
            {
                // A lost attempt: Conductor timed it out (its result, if the handler ran at all, was never accepted).
                if (task.Status != ConductorTaskStatus.TIMED_OUT) problems.Add($"{id}: attempt {task.TaskId} ended {task.Status}");
                if (executions.Of(task.TaskId!) > 1) problems.Add($"{id}: timed-out attempt {task.TaskId} ran {executions.Of(task.TaskId!)} times");
            }
            foreach (var task in workflow.Tasks) known.Add(task.TaskId!);
            if (workflow.Tasks.Count > 1) retriedWorkflows++;
            if (workflow.Tasks.Sum(t => executions.Of(t.TaskId!)) > 1) reExecutedWorkflows++;
        }
        var foreign = executions.TaskIds.Where(t => !known.Contains(t)).ToList();
        if (foreign.Count > 0) problems.Add($"the handler ran {foreign.Count} task ids that belong to no workflow, e.g. {foreign[0]}");
        Harness.Log($"{retriedWorkflows} workflows needed a second attempt after a lost answer; in {reExecutedWorkflows} the handler ran " +
            $"again because the first attempt's result arrived after its response timeout; {executions.Total} handler runs for {count} workflows.");
        Assert.True(problems.Count == 0, $"{problems.Count} problems:{Environment.NewLine}{string.Join(Environment.NewLine, problems.Take(30))}");
        Assert.Equal(count, accepted.Count);
        Assert.Equal(0, summaries.Sum(s => s.Failed));
    }
}
