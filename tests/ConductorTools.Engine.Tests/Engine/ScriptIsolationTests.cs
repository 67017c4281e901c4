using ConductorTools.Engine.Execution;
using ConductorTools.Engine.Storage;
using ConductorTools.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Scripts are evaluated outside the engine's writer lock: a looping script fails its own task and nothing
/// else waits for it; an evaluation interrupted by a crash is taken up again by the sweeper.</summary>
public class ScriptIsolationTests : EngineTestBase
{
    private static WorkflowTask Inline(string reference, string expression) => new()
    {
        Name = reference, TaskReferenceName = reference, Type = WorkflowTaskTypes.Inline,
        InputParameters = new() { ["evaluatorType"] = "javascript", ["expression"] = expression },
    };

    [Fact]
    public async Task A_looping_script_fails_its_own_task_while_other_requests_go_on()
    {
        await Engine.RegisterWorkflowDefAsync(Def("other_wf", Simple("other_task")), true, Ct);
        var loopDef = Def("looping_wf", Inline("spin", "const end = Date.now() + 60000; let n = 0; while (Date.now() < end) { n++; }"));
        await Engine.RegisterWorkflowDefAsync(loopDef, true, Ct);

        var start = Task.Run(() => Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "looping_wf", Input = new() }, Ct));
        // The start's transaction commits before the script runs: the task is visible IN_PROGRESS while it spins.
        string? spinningId = null;
        for (var i = 0; i < 400 && spinningId is null && !start.IsCompleted; i++)
        {
            var found = await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = looping_wf", Size = 1 }, Ct);
            spinningId = found.Results.FirstOrDefault()?.WorkflowId;
            if (spinningId is null)
            {
                await Task.Delay(5, Ct);
            }
        }
        Assert.NotNull(spinningId);
        // Every other kind of request is answered while the script runs.
        var health = await Engine.GetHealthAsync(Ct);
        Assert.True(health.Healthy);
        var otherId = await Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "other_wf", Input = new() }, Ct);
        var polled = await PollOneAsync("other_task");
        await CompleteAsync(polled);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(otherId)).Status);
        var answeredWhileSpinning = !start.IsCompleted;
        Assert.True(answeredWhileSpinning, "the script had finished before the other requests were answered; make it spin longer");

        Assert.Equal(spinningId, await start);
        var spun = await GetAsync(spinningId!);
        Assert.Equal(WorkflowStatus.FAILED, spun.Status);
        var task = spun.Tasks.Single();
        Assert.Equal(ConductorTaskStatus.FAILED, task.Status);
        Assert.Contains("interrupted", task.ReasonForIncompletion);
    }

    [Fact]
    public async Task An_evaluation_interrupted_by_a_crash_is_taken_up_by_the_sweeper()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ct-engine-script-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "conductor.db");
        try
        {
            // A process that committed the start (INLINE waiting for its script) and died before evaluating it.
            var def = Def("crash_script_wf", Inline("calc", "[1, 2, 3].map(x => x * 2).reduce((s, x) => s + x, 0)"), Simple("after"));
            string workflowId;
            using (var store = new SqliteStore(database))
            {
                store.Begin();
                var tx = new Tx(store, Clock.GetUtcNow().ToUnixTimeMilliseconds());
                var state = new Decider(NullLogger.Instance).StartWorkflow(tx, new StartWorkflowRequest
                {
                    Name = def.Name, WorkflowDef = def, Input = new() { ["a"] = "xy" },
                });
                Assert.Single(tx.ScriptJobs);
                tx.Save(Decider.WakeAt);
                store.Commit();
                workflowId = state.Id;
            }
            await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = database, TimeProvider = Clock, StartSweeper = false });
            Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await engine.GetWorkflowAsync(workflowId, true, Ct)).Tasks.Single().Status);
            await engine.SweepAsync(Ct);
            // Still within the lease of the process that asked for it.
            Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await engine.GetWorkflowAsync(workflowId, true, Ct)).Tasks.Single().Status);

            Clock.Advance(TimeSpan.FromSeconds(31));
            await engine.SweepAsync(Ct);
            var workflow = await engine.GetWorkflowAsync(workflowId, true, Ct);
            Assert.Equal(ConductorTaskStatus.COMPLETED, workflow.Tasks[0].Status);
            Assert.Equal(12L, workflow.Tasks[0].OutputData!["result"]);
            Assert.Equal("after", workflow.Tasks[1].ReferenceTaskName);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(directory, true); } catch (IOException) { }
        }
    }
}
