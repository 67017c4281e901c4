using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>
/// Crash-and-restart: a child process (this test assembly, running <see cref="CrashChild"/>) drives workflows on a file
/// database and prints every task completion the engine acknowledged; the parent kills it with SIGKILL mid-flight,
/// reopens the file and checks that every acknowledged result is there and every workflow can still finish.
/// </summary>
public sealed class DurabilityTests
{
    private const string ChildDatabaseVariable = "CONDUCTORTOOLS_ENGINE_CRASH_CHILD_DB";
    private const int Workflows = 40;
    private static readonly string[] TaskNames = { "d1", "d2", "d3" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Workflows_continue_after_the_process_is_killed()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ct-engine-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "conductor.db");
        try
        {
            var acknowledged = await RunChildUntilKilledAsync(database, acknowledgements: 60);
            Assert.True(acknowledged.Count >= 60, $"child acknowledged only {acknowledged.Count} completions");

            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
            await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = database, TimeProvider = clock, StartSweeper = false });

            // Nothing the engine acknowledged is lost.
            foreach (var taskId in acknowledged)
            {
                var task = await engine.GetTaskAsync(taskId, Ct);
                Assert.Equal(ConductorTaskStatus.COMPLETED, task.Status);
                Assert.Equal(taskId, task.OutputData!["by"]);
            }

            // Tasks that were in flight at the kill time out (their workers are gone) and are retried; every workflow finishes.
            await engine.SweepAsync(Ct);
            for (var round = 0; round < 100; round++)
            {
                var any = false;
                foreach (var name in TaskNames)
                {
                    foreach (var task in await engine.BatchPollAsync(name, 50, TimeSpan.Zero, "after-restart", null, Ct))
                    {
                        any = true;
                        await engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED), Ct);
                    }
                }
                if (!any)
                {
                    break;
                }
            }
            var all = await engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'durable'", Size = 1000 }, Ct);
            Assert.Equal(Workflows, all.TotalHits);
            Assert.All(all.Results, w => Assert.Equal(WorkflowStatus.COMPLETED, w.Status));
            foreach (var summary in all.Results)
            {
                var workflow = await engine.GetWorkflowAsync(summary.WorkflowId!, true, Ct);
                Assert.Equal(TaskNames, workflow.Tasks.Where(t => t.Status == ConductorTaskStatus.COMPLETED).Select(t => t.ReferenceTaskName));
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<List<string>> RunChildUntilKilledAsync(string database, int acknowledgements)
    {
        var assembly = typeof(DurabilityTests).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("-method");
        start.ArgumentList.Add(typeof(DurabilityTests).FullName + "." + nameof(CrashChild));
        start.Environment[ChildDatabaseVariable] = database;
        using var child = Process.Start(start)!;
        var acknowledged = new List<string>();
        var errors = child.StandardError.ReadToEndAsync(Ct);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(120));
            while (acknowledged.Count < acknowledgements)
            {
                var line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    Assert.Fail("The crash child exited early: " + await errors);
                }
                if (line!.StartsWith("ACK ", StringComparison.Ordinal))
                {
                    acknowledged.Add(line.Substring(4).Trim());
                }
            }
        }
        finally
        {
            child.Kill(entireProcessTree: true); // SIGKILL: no disposal, no flush, mid-transaction.
            await child.WaitForExitAsync(CancellationToken.None);
        }
        return acknowledged;
    }

    /// <summary>Entry point of the child process; skipped in a normal run.</summary>
    [Fact]
    public async Task CrashChild()
    {
        var database = Environment.GetEnvironmentVariable(ChildDatabaseVariable);
        if (string.IsNullOrEmpty(database))
        {
            Assert.Skip("Runs only as the child process of Workflows_continue_after_the_process_is_killed.");
        }
        var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = database, StartSweeper = false });
        await engine.RegisterTaskDefsAsync(TaskNames.Select(n => new TaskDef(n) { ResponseTimeoutSeconds = 5, RetryCount = 3, RetryDelaySeconds = 0 }).ToList(), Ct);
        await engine.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = "durable",
            Tasks = TaskNames.Select(n => new WorkflowTask { Name = n, TaskReferenceName = n }).ToList(),
        }, true, Ct);
        for (var i = 0; i < Workflows; i++)
        {
            await engine.StartWorkflowAsync("durable", new Dictionary<string, object?> { ["i"] = (long)i }, cancellationToken: Ct);
        }
        var output = new BlockingCollection<string>();
        var writer = Task.Run(() =>
        {
            foreach (var line in output.GetConsumingEnumerable(CancellationToken.None))
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
        }, Ct);
        // Workers run until the parent kills this process.
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            while (true)
            {
                foreach (var name in TaskNames)
                {
                    foreach (var task in await engine.BatchPollAsync(name, 2, TimeSpan.FromMilliseconds(50), "child-" + w, null, Ct))
                    {
                        await engine.UpdateTaskAsync(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED)
                        {
                            OutputData = new() { ["by"] = task.TaskId },
                        }, Ct);
                        output.Add("ACK " + task.TaskId);
                        await Task.Delay(5, Ct);
                    }
                }
            }
        }, Ct)).ToArray();
        await Task.WhenAny(workers.Append(writer));
        await Task.WhenAll(workers);
    }
}
