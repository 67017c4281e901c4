using Microsoft.Extensions.Time.Testing;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class SweeperTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Background_sweeper_applies_timeouts_when_the_clock_moves()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
        {
            DatabasePath = EmbeddedConductorOptions.InMemory,
            TimeProvider = clock,
            SweepInterval = TimeSpan.FromSeconds(1),
        });
        await engine.RegisterTaskDefsAsync(new[] { new TaskDef("swept") { RetryCount = 0, ResponseTimeoutSeconds = 5 } }, Ct);
        var id = await engine.StartWorkflowAsync(new StartWorkflowRequest
        {
            Name = "sweep",
            WorkflowDef = new WorkflowDef { Name = "sweep", Tasks = { new WorkflowTask { Name = "swept", TaskReferenceName = "swept" } } },
            Input = new(),
        }, Ct);
        Assert.NotNull(await engine.PollAsync("swept", "w1", null, Ct));

        // Each advance fires the sweeper's interval timer; it must time the task out once the clock passes 5 s.
        var status = WorkflowStatus.RUNNING;
        for (var i = 0; i < 200 && status == WorkflowStatus.RUNNING; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20, Ct);
            status = (await engine.GetWorkflowStatusAsync(id, cancellationToken: Ct)).Status;
        }
        Assert.Equal(WorkflowStatus.TIMED_OUT, status);
    }

    [Fact]
    public async Task Open_creates_the_directory_and_reports_the_file()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ct-engine-open-" + Guid.NewGuid().ToString("N"), "nested");
        try
        {
            var path = Path.Combine(directory, "c.db");
            await using (var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, StartSweeper = false }))
            {
                Assert.Equal(Path.GetFullPath(path), engine.DatabasePath);
                await engine.RegisterTaskDefsAsync(new[] { new TaskDef("kept") }, Ct);
            }
            await using (var reopened = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, StartSweeper = false }))
            {
                Assert.Equal("kept", (await reopened.GetTaskDefAsync("kept", Ct)).Name);
            }
            Assert.EndsWith(Path.Combine("conductortools", "conductor.db"), EmbeddedConductorOptions.DefaultDatabasePath);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Fact]
    public async Task Http_task_interrupted_by_a_shutdown_is_queued_again_on_open()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ct-engine-http-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(directory, "c.db");
            string id;
            await using (var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, StartSweeper = false }))
            {
                id = await engine.StartWorkflowAsync(new StartWorkflowRequest
                {
                    Name = "http_recover",
                    WorkflowDef = new WorkflowDef
                    {
                        Name = "http_recover",
                        Tasks = { new WorkflowTask { Name = "call", TaskReferenceName = "call", Type = WorkflowTaskTypes.Http, InputParameters = new() { ["uri"] = "http://127.0.0.1:9/", ["method"] = "GET" } } },
                    },
                    Input = new(),
                }, Ct);
                // Taken by the HTTP runner, then the process goes away before the call returns.
                Assert.Single(await engine.PollSystemAsync("_system:HTTP", 10, Ct));
                Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await engine.GetWorkflowAsync(id, true, Ct)).Tasks[0].Status);
            }
            await using (var reopened = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path, StartSweeper = false }))
            {
                Assert.Equal(ConductorTaskStatus.SCHEDULED, (await reopened.GetWorkflowAsync(id, true, Ct)).Tasks[0].Status);
                await reopened.SweepAsync(Ct); // runs the call again: port 9 refuses, so the task fails this time
                var workflow = await reopened.GetWorkflowAsync(id, true, Ct);
                Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
                Assert.StartsWith("Failed to invoke HTTP task due to:", workflow.Tasks[0].ReasonForIncompletion);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
