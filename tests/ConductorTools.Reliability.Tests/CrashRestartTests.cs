using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using ConductorTools.Api;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Workers;
using Microsoft.Data.Sqlite;

namespace ConductorTools.Reliability.Tests;

/// <summary>
/// Issue 17's crash test: the real server (conductortools-server, a child process) on a file database, the real worker
/// runtime over HTTP, and repeated <c>kill -9</c> of the server while workflows are started and tasks completed, each
/// time restarted on the same database and port. Afterwards every acknowledged start and result is there, no task was
/// executed twice, the database is intact after every kill, and every workflow completes.
/// </summary>
public sealed class CrashRestartTests
{
    private const string TaskType = "rel_crash";
    private const int Kills = 10;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kill_9_of_the_server_under_load_loses_no_acknowledged_write_and_runs_no_task_twice()
    {
        var directory = Directory.CreateTempSubdirectory("ct-crash-");
        var database = Path.Combine(directory.FullName, "conductor.db");
        var port = Loopback.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var server = await ServerProcess.StartAsync(url, database);
        try
        {
            using var api = new HttpConductorApi(new ConductorClientOptions { ServerUrl = new Uri(url + "/api/"), Timeout = TimeSpan.FromSeconds(10) });
            // A lost poll answer (the server died after the hand-out) comes back after the response timeout.
            var name = await OneTaskWorkflow.RegisterAsync(api, TaskType, retryCount: 3, responseTimeoutSeconds: 5, cancellationToken: Ct);

            var executions = new ExecutionLog();
            var reruns = new ConcurrentDictionary<string, int>(StringComparer.Ordinal); // workflow id -> executions
            TaskHandler handler = (task, _) =>
            {
                executions.Record(task.TaskId!);
                reruns.AddOrUpdate(task.WorkflowInstanceId!, 1, (_, n) => n + 1);
                return Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?>
                {
                    ["result"] = Harness.Expected(task.WorkflowInstanceId!, Harness.InputI(task)),
                }));
            };
            var acknowledgedResults = new ConcurrentDictionary<string, string>(StringComparer.Ordinal); // task id -> workflow id
            var workerApi = AckRecorder.Wrap(api, acknowledgedResults);
            var runner = new WorkerRunner(workerApi, [new WorkerDefinition(TaskType, handler, new WorkerOptions
            {
                Concurrency = 8,
                LongPollTimeout = TimeSpan.FromMilliseconds(500),
                PollInterval = TimeSpan.FromMilliseconds(20),
                WorkerId = "rel-crash",
            })], new WorkerRunnerOptions
            {
                UpdateRetryDelay = TimeSpan.FromMilliseconds(100),
                MaxUpdateRetryDelay = TimeSpan.FromMilliseconds(500),
                ApplyEnvironment = false,
            });
            using var stopWorkers = new CancellationTokenSource();
            var workers = runner.RunAsync(stopWorkers.Token);

            // Starters: each start the server acknowledged (answered with an id) is recorded with its input.
            var acknowledgedStarts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
            var next = 0L;
            using var stopStarting = new CancellationTokenSource();
            var starters = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
            {
                while (!stopStarting.IsCancellationRequested)
                {
                    var i = Interlocked.Increment(ref next);
                    try
                    {
                        var id = await api.StartWorkflowAsync(name, new Dictionary<string, object?> { ["i"] = i }, cancellationToken: stopStarting.Token);
                        acknowledgedStarts[id] = i;
                    }
                    catch (Exception) when (!stopStarting.IsCancellationRequested)
                    {
                        await Task.Delay(50, CancellationToken.None); // the server is down: not acknowledged, try again
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            })).ToList();

            var random = new Random(17);
            var integrity = new List<string>();
            for (var kill = 0; kill < Kills; kill++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1000 + random.Next(1500)), Ct);
                server.Kill();
                integrity.Add(IntegrityCheck(database));
                server = await ServerProcess.StartAsync(url, database);
            }
            await Task.Delay(1000, Ct);
            stopStarting.Cancel();
            await Task.WhenAll(starters);

            // Everything started completes after the last restart (lost poll answers within their response timeout).
            var settled = false;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!settled && DateTime.UtcNow < until)
            {
                await Task.Delay(250, Ct);
                settled = await Harness.CountAsync(api, name, WorkflowStatus.RUNNING) == 0;
            }
            stopWorkers.Cancel();
            await workers.WaitAsync(TimeSpan.FromSeconds(20), Ct);

            var lostStarts = 0;
            var wrongOutput = new List<string>();
            foreach (var (id, i) in acknowledgedStarts)
            {
                Workflow workflow;
                try
                {
                    workflow = await api.GetWorkflowAsync(id, includeTasks: true, Ct);
                }
                catch (ConductorException e) when (e.Kind == ConductorErrorKind.NotFound)
                {
                    lostStarts++;
                    continue;
                }
                if (workflow.Status != WorkflowStatus.COMPLETED || Harness.Text(workflow.Output, "result") != Harness.Expected(id, i))
                {
                    wrongOutput.Add($"{id} {workflow.Status} {Harness.Text(workflow.Output, "result")} tasks: " +
                        string.Join(", ", workflow.Tasks.Select(t => $"{t.TaskId} {t.Status} polls {t.PollCount} {t.ReasonForIncompletion}")));
                }
            }
            var lostResults = 0;
            foreach (var (taskId, workflowId) in acknowledgedResults)
            {
                var task = (await api.GetWorkflowAsync(workflowId, includeTasks: true, Ct)).Tasks.SingleOrDefault(t => t.TaskId == taskId);
                if (task?.Status != ConductorTaskStatus.COMPLETED || Harness.Text(task.OutputData, "result") is null) lostResults++;
            }
            var duplicates = executions.TaskIds.Count(id => executions.Of(id) > 1);
            var rerun = reruns.Count(pair => pair.Value > 1);
            var running = await Harness.CountAsync(api, name, WorkflowStatus.RUNNING);
            Harness.Log($"kills {Kills}; acknowledged starts checked {acknowledgedStarts.Count}, lost {lostStarts}, not completed/wrong output {wrongOutput.Count}; " +
                $"acknowledged results checked {acknowledgedResults.Count}, lost {lostResults}; executions {executions.Total}, " +
                $"tasks executed twice {duplicates}; workflows whose task ran again after a timeout {rerun}; still RUNNING {running}; " +
                $"integrity after each kill: {string.Join(",", integrity)}");

            Assert.All(integrity, result => Assert.Equal("ok", result));
            Assert.True(acknowledgedStarts.Count > 0 && acknowledgedResults.Count > 0, "nothing was acknowledged: the server never served");
            Assert.Equal(0, lostStarts);
            Assert.Equal(0, lostResults);
            Assert.Equal(0, duplicates);
            Assert.True(settled, $"{running} workflow(s) still RUNNING 30 s after the last restart");
            Assert.True(wrongOutput.Count == 0, string.Join("\n", wrongOutput.Take(10)));
        }
        finally
        {
            server.Kill();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }


    private static string IntegrityCheck(string database)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>conductortools-server as a child process, as a user runs it.</summary>
    private sealed class ServerProcess
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        private ServerProcess(Process process) => _process = process;

        public static async Task<ServerProcess> StartAsync(string url, string database)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "conductortools-server.dll"));
            foreach (var arg in new[] { "--urls", url, "--db", database }) start.ArgumentList.Add(arg);
            var process = new Process { StartInfo = start };
            var server = new ServerProcess(process);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"the server exited ({process.ExitCode}): {string.Join(" | ", server._output)}");
                }
                try
                {
                    using var health = await http.GetAsync(url + "/health");
                    if (health.IsSuccessStatusCode) return server;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
                if (DateTime.UtcNow > until)
                {
                    server.Kill();
                    throw new TimeoutException("the server did not answer /health within 30 s: " + string.Join(" | ", server._output));
                }
                await Task.Delay(50);
            }
        }

        /// <summary>SIGKILL: no shutdown, no flush, as a crash.</summary>
        public void Kill()
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }

    /// <summary>The worker runtime's API with every COMPLETED result the server acknowledged recorded (task id ->
    /// workflow id).</summary>
    public class AckRecorder : DispatchProxy
    {
        private IConductorApi _inner = null!;
        private ConcurrentDictionary<string, string> _acknowledged = null!;

        internal static IConductorApi Wrap(IConductorApi inner, ConcurrentDictionary<string, string> acknowledged)
        {
            var proxy = Create<IConductorApi, AckRecorder>();
            var recorder = (AckRecorder)(object)proxy;
            recorder._inner = inner;
            recorder._acknowledged = acknowledged;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            object? outcome;
            try
            {
                outcome = targetMethod!.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
            if (targetMethod.Name is nameof(IConductorApi.UpdateTaskAsync) or nameof(IConductorApi.UpdateTaskV2Async)
                && args?[0] is TaskResult { Status: TaskResultStatus.COMPLETED } result && outcome is Task task)
            {
                // Recorded before the caller sees the answer: once the update's task has succeeded, the result is acknowledged.
                return targetMethod.Name == nameof(IConductorApi.UpdateTaskAsync)
                    ? Record(result, (Task<string>)task)
                    : Record(result, (Task<ConductorTask?>)task);
            }
            return outcome;
        }

        private async Task<T> Record<T>(TaskResult result, Task<T> update)
        {
            var answer = await update.ConfigureAwait(false);
            _acknowledged[result.TaskId] = result.WorkflowInstanceId;
            return answer;
        }
    }
}
