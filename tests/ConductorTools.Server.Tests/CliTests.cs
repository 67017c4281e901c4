using System.Diagnostics;
using System.Net;

namespace ConductorTools.Server.Tests;

/// <summary>The conductortools-server command: startup output, configuration errors, graceful stop on SIGTERM.</summary>
public sealed class CliTests
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProcessStartInfo Command(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "conductortools-server.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("CONDUCTORTOOLS_SERVER_AUTH_KEY_ID");
        start.Environment.Remove("CONDUCTORTOOLS_SERVER_AUTH_KEY_SECRET");
        return start;
    }

    [Fact]
    public async Task It_prints_where_it_listens_serves_and_stops_gracefully_on_sigterm()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGTERM is sent with kill(1), which Windows lacks.");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = Command("--urls", "http://127.0.0.1:0", "--db", ":memory:") };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (e.Data.StartsWith("Press Ctrl+C", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.Start();
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            var lines = output.ToList();
            var api = lines.Select(l => l.Trim()).Where(l => l.StartsWith("API:", StringComparison.Ordinal)).Select(l => l[4..].Trim()).Single();
            Assert.Contains(lines, l => l.Contains("Database: :memory:"));
            Assert.Contains(lines, l => l.Contains("Auth:") && l.Contains("off"));

            using var http = new HttpClient { BaseAddress = new Uri(api), Timeout = TimeSpan.FromSeconds(30) };
            using (var health = await http.GetAsync("health", Ct)) Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            // A long poll in flight when the stop signal arrives still gets its answer.
            var poll = http.GetAsync("tasks/poll/batch/anything?timeout=2000", Ct);
            await Task.Delay(300, Ct);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync(Ct);
            using var answered = await poll;
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Equal("[]", await answered.Content.ReadAsStringAsync(Ct));

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(limit.Token);
            process.WaitForExit(); // flushes the asynchronous output readers
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
            Assert.Contains("Stopped.", output);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_key_id_without_a_secret_is_refused_with_a_clear_message()
    {
        using var process = Process.Start(Command("--urls", "http://127.0.0.1:0", "--db", ":memory:", "--auth-key-id", "only-id"))!;
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("key secret", error);
    }

    [Fact]
    public async Task A_port_in_use_is_reported_without_a_stack_trace()
    {
        await using var server = new ServerFixture();
        await server.InitializeAsync();
        using var process = Process.Start(Command("--urls", server.Server.BaseAddress.ToString().TrimEnd('/'), "--db", ":memory:"))!;
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("could not start", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task A_damaged_database_is_named_in_one_line_with_what_to_do_and_no_stack_trace()
    {
        var directory = Directory.CreateTempSubdirectory("ct-corrupt-");
        var path = Path.Combine(directory.FullName, "conductor.db");
        try
        {
            await File.WriteAllTextAsync(path, "this is not a SQLite database, only text that looks nothing like one\n" + new string('x', 8192), Ct);
            using var process = Process.Start(Command("--urls", "http://127.0.0.1:0", "--db", path))!;
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            await output;

            Assert.Equal(1, process.ExitCode);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith("conductortools-server could not start: ", line);
            Assert.Contains(path, line);
            Assert.Contains("damaged or is not a SQLite database", line);
            Assert.Contains("Move it aside (or restore it from a backup)", line);
            Assert.DoesNotContain("   at ", error);
            Assert.DoesNotContain("writable", line); // not the advice for a file that cannot be opened
        }
        finally
        {
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_database_file_the_engine_creates_itself_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows()) return; // Unix file modes; Windows ACLs are out of scope
        var directory = Directory.CreateTempSubdirectory("ct-engine-mode-");
        var path = Path.Combine(directory.FullName, "sub", "engine.db");
        try
        {
            await using (var engine = Engine.EmbeddedConductor.Open(new Engine.EmbeddedConductorOptions { DatabasePath = path, StartSweeper = false }))
            {
                await engine.RegisterTaskDefsAsync([new ConductorTools.Model.TaskDef("engine_mode")], Ct);
            }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            foreach (var companion in new[] { path + "-wal", path + "-shm" }.Where(File.Exists))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(companion));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { directory.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
