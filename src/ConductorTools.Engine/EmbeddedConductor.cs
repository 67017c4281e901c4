using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ConductorTools.Api;
using ConductorTools.Engine.Execution;
using ConductorTools.Engine.Storage;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConductorTools.Engine;

/// <summary>
/// A Conductor-compatible engine in-process: the same <see cref="IConductorApi"/> operations and semantics as a
/// conductor-oss server, persisted in SQLite. Thread-safe: every operation runs under one writer lock in its own
/// transaction, so concurrent pollers and updaters never lose an update and a task is handed out once.
/// </summary>
public sealed partial class EmbeddedConductor : IConductorApi, IDisposable, IAsyncDisposable
{
    /// <summary>The meter name of the engine's counters.</summary>
    public const string MeterName = "ConductorTools.Engine";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> StartedCounter = Meter.CreateCounter<long>("conductor.engine.workflows.started");
    private static readonly Counter<long> PolledCounter = Meter.CreateCounter<long>("conductor.engine.tasks.polled");
    private static readonly Counter<long> UpdatedCounter = Meter.CreateCounter<long>("conductor.engine.tasks.updated");

    private readonly SqliteStore _store;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Decider _decider;
    private readonly TaskPoller _poller = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EmbeddedConductorOptions _options;
    private readonly ConcurrentDictionary<string, Signal> _queueSignals = new(StringComparer.Ordinal);
    private readonly Signal _sweepSignal = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpTaskRunner _http;
    private Task? _sweeper;
    private int _disposed;

    /// <summary>When this engine opened its store: response timeouts count from no earlier (a restart's grace).</summary>
    private readonly long _started;

    private EmbeddedConductor(EmbeddedConductorOptions options, SqliteStore store)
    {
        _options = options;
        _store = store;
        _time = options.TimeProvider ?? TimeProvider.System;
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<EmbeddedConductor>();
        _decider = new Decider(loggerFactory.CreateLogger<Decider>());
        _http = new HttpTaskRunner(this, loggerFactory.CreateLogger<HttpTaskRunner>());
        _started = Now();
    }

    /// <summary>Opens (creating when needed) the store named by <paramref name="options"/> and, unless told not to,
    /// starts the background sweeper that drives timers (retry delays are queue visibility; WAIT deadlines, timeouts
    /// and HTTP tasks are the sweeper's).</summary>
    public static EmbeddedConductor Open(EmbeddedConductorOptions options)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }
        if (options.SweepInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SweepInterval, "SweepInterval must be positive, e.g. 00:00:01.");
        }
        var path = options.DatabasePath ?? EmbeddedConductorOptions.DefaultDatabasePath;
        if (path != EmbeddedConductorOptions.InMemory)
        {
            path = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }
        if (path != EmbeddedConductorOptions.InMemory)
        {
            CreatePrivately(path);
        }
        SqliteStore store;
        try
        {
            store = new SqliteStore(path, options.BusyTimeout);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 11 or 26)
        {
            // SQLITE_CORRUPT, SQLITE_NOTADB: the file is damaged or not a database at all.
            throw new ConductorException(
                $"The embedded Conductor database '{path}' is damaged or is not a SQLite database ({e.Message.TrimEnd('.')}). " +
                "Move it aside (or restore it from a backup) and start again: a new, empty database is created in its place.",
                ConductorErrorKind.Server, 500, e);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw new ConductorException($"Cannot open the embedded Conductor database '{path}': {e.Message}. Check that the path is writable and not used by another program.",
                ConductorErrorKind.Server, 500, e);
        }
        var engine = new EmbeddedConductor(options, store);
        engine.RecoverInterruptedSystemTasks();
        engine._logger.LogInformation("Embedded Conductor opened {Path}", path);
        if (options.StartSweeper)
        {
            engine._sweeperStarted = engine.Now();
            engine._sweeper = Task.Run(() => engine.SweepLoopAsync(engine._stopping.Token));
        }
        return engine;
    }

    /// <summary>
    /// A new database file is created empty and readable by its owner only (0600) before SQLite writes to it (SQLite
    /// gives its -wal and -shm files the same mode): workflow inputs and outputs may hold personal data. On .NET 7+ on
    /// Unix (PowerShell 7, the server); on Windows the directory's ACLs apply, and .NET Framework has no Unix modes.
    /// </summary>
    private static void CreatePrivately(string path)
    {
        if (File.Exists(path) || System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows))
        {
            return;
        }
        var modeType = typeof(File).Assembly.GetType("System.IO.UnixFileMode");
        var setMode = modeType is null ? null : typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), modeType });
        if (setMode is null)
        {
            return;
        }
        try
        {
            using (new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
            }
            setMode.Invoke(null, new[] { path, Enum.ToObject(modeType!, 0x180) }); // UserRead | UserWrite
        }
        catch (IOException)
        {
            // Created by someone else meanwhile: theirs to protect.
        }
    }

    /// <summary>The full path of the database file, or <c>:memory:</c>.</summary>
    public string DatabasePath => _options.DatabasePath is null or EmbeddedConductorOptions.InMemory
        ? _options.DatabasePath ?? EmbeddedConductorOptions.DefaultDatabasePath
        : Path.GetFullPath(_options.DatabasePath);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- the unit of work ---------------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="work"/> under the writer lock in one transaction; commits, then wakes the long-poll
    /// waiters of every queue that received a task, then evaluates the scripts the work asked for outside the lock and
    /// applies their outcomes (which may ask for more), so that a caller sees the same result as if scripts ran inline.
    /// Any exception rolls the whole transaction back.</summary>
    private async Task<T> RunAsync<T>(Func<Tx, T> work, CancellationToken cancellationToken)
    {
        var (result, scripts) = await RunInTransactionAsync(work, cancellationToken).ConfigureAwait(false);
        await RunScriptsAsync(scripts).ConfigureAwait(false);
        return result;
    }

    /// <summary>Rounds of script evaluation one call runs before it leaves the rest to the sweeper (a DO_WHILE whose
    /// condition never turns false would otherwise keep its caller forever).</summary>
    private const int MaxScriptRoundsPerCall = 1000;

    /// <summary>Evaluates script jobs with no lock held, then applies their outcomes in one transaction; repeats while
    /// the outcomes ask for more. A failure leaves the jobs queued: the sweeper takes them up when their lease ends.</summary>
    private async Task RunScriptsAsync(List<ScriptJob> jobs)
    {
        for (var round = 0; jobs.Count > 0 && round < MaxScriptRoundsPerCall; round++)
        {
            foreach (var job in jobs)
            {
                job.Run();
            }
            var finished = jobs;
            try
            {
                (_, jobs) = await RunInTransactionAsync(tx => { _decider.ApplyScripts(tx, finished); return true; }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
#pragma warning disable CA1031 // The caller's own transaction has committed; the sweeper retries what failed here.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogError(e, "Applying {Count} script result(s) failed; the sweeper will evaluate them again", finished.Count);
                return;
            }
        }
    }

    /// <summary>While another process holds the database's write lock, operations after the first wait only this long
    /// for it (so requests queued behind the first do not each wait the whole busy timeout).</summary>
    private static readonly TimeSpan BusyRetryTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>While the database is locked, an operation looks again at most this often; the ones between answer 503 at
    /// once (so a queue of requests drains in moments, not one busy timeout each).</summary>
    private static readonly TimeSpan BusyProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>When the database was first found locked by another process (epoch ms), 0 while it is not.</summary>
    private long _busySince;

    /// <summary>When the database was last found locked (a Stopwatch timestamp: real time, whatever the engine's clock).</summary>
    private long _busyCheckedAt;

    /// <summary>The transaction itself (see <see cref="RunAsync{T}"/>); also returns the script jobs it asked for.
    /// <paramref name="lockWait"/> bounds the wait for the writer lock (health checks), else it is unbounded.</summary>
    private async Task<(T Result, List<ScriptJob> Scripts)> RunInTransactionAsync<T>(Func<Tx, T> work, CancellationToken cancellationToken,
        TimeSpan? lockWait = null)
    {
        ThrowIfDisposed();
        if (lockWait is { } wait)
        {
            if (!await _lock.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
            {
                throw new ConductorException(string.Format(System.Globalization.CultureInfo.InvariantCulture,
                    "The embedded Conductor has waited more than {0:0.#} s for its database '{1}' (an operation is blocked on it; is another process holding it?).",
                    wait.TotalSeconds, DatabasePath), ConductorErrorKind.Server, 503) { Retryable = true };
            }
        }
        else
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        Tx tx;
        T result;
        try
        {
            ThrowIfDisposed();
            // A health check (lockWait) always looks again; other operations answer at once between looks.
            if (lockWait is null && Interlocked.Read(ref _busySince) != 0
                && System.Diagnostics.Stopwatch.GetTimestamp() - Interlocked.Read(ref _busyCheckedAt) < BusyProbeInterval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency)
            {
                throw Busy(null);
            }
            try
            {
                _store.Begin(); // BEGIN IMMEDIATE: takes the write lock, waiting at most the busy timeout for it
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 5 or 6)
            {
                throw Busy(e);
            }
            if (Interlocked.Read(ref _busySince) != 0)
            {
                Interlocked.Exchange(ref _busySince, 0);
                _store.SetBusyTimeout(_options.BusyTimeout);
                _logger.LogWarning("The database {Path} is no longer locked by another process", DatabasePath);
            }
            try
            {
                tx = new Tx(_store, Now()) { EngineStarted = _started };
                result = work(tx);
                var started = _started;
                tx.Save(state => Decider.WakeAt(state, started));
                _store.Commit();
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                _store.Rollback();
                if (e.SqliteErrorCode is 5 or 6)
                {
                    throw Busy(e);
                }
                throw new ConductorException($"The embedded Conductor database '{DatabasePath}' failed: {e.Message}", ConductorErrorKind.Server, 500, e);
            }
            catch
            {
                _store.Rollback();
                throw;
            }
        }
        finally
        {
            _lock.Release();
        }
        foreach (var queue in tx.WokenQueues)
        {
            if (_queueSignals.TryGetValue(queue, out var signal))
            {
                signal.Set();
            }
        }
        if (tx.SystemTaskQueued)
        {
            _sweepSignal.Set();
        }
        return (result, tx.ScriptJobs);
    }

    /// <summary>SQLITE_BUSY/LOCKED: another process holds the file. A retryable 503 that says so; from now until the lock
    /// is free again, operations wait only <see cref="BusyRetryTimeout"/> for it (under the writer lock).</summary>
    private ConductorException Busy(Microsoft.Data.Sqlite.SqliteException? e)
    {
        var now = Now();
        if (e is not null)
        {
            Interlocked.Exchange(ref _busyCheckedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        }
        if (Interlocked.CompareExchange(ref _busySince, now, 0) == 0)
        {
            _store.SetBusyTimeout(BusyRetryTimeout);
            _logger.LogWarning("The database {Path} is locked by another process; operations answer 503 until it is free", DatabasePath);
        }
        return new ConductorException(string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "The embedded Conductor database '{0}' is locked by another process (waited {1:0.#} s): close the program holding it " +
            "(a SQLite tool with an open transaction, a second server on the same file) and retry.",
            DatabasePath, _options.BusyTimeout.TotalSeconds), ConductorErrorKind.Server, 503, e) { Retryable = true };
    }

    /// <summary>Since when another process has been holding the database's lock (epoch ms), or null.</summary>
    internal long? DatabaseBusySince => Interlocked.Read(ref _busySince) is var since and not 0 ? since : null;

    private Task RunAsync(Action<Tx> work, CancellationToken cancellationToken) =>
        RunAsync<bool>(tx => { work(tx); return true; }, cancellationToken);

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(EmbeddedConductor), "The embedded Conductor has been disposed.");
        }
    }

    /// <summary>HTTP calls in flight when the previous process died are queued again (their worker was this process).</summary>
    private void RecoverInterruptedSystemTasks()
    {
        var recovered = RunAsync(tx =>
        {
            var count = 0;
            foreach (var taskId in tx.Store.TaskIdsByTypeAndStatus(WorkflowTaskTypes.Http, nameof(ConductorTaskStatus.IN_PROGRESS)))
            {
                var workflowId = tx.Store.GetTaskWorkflowId(taskId);
                if (workflowId is null || tx.Load(workflowId) is not { } state || state.Workflow.Status.IsTerminal()
                    || state.TaskById(taskId) is not { } task || task.WorkflowTask?.AsyncComplete == true)
                {
                    continue;
                }
                task.Status = ConductorTaskStatus.SCHEDULED;
                tx.Store.Enqueue(taskId, Execution.Operators.Http.Queue, tx.Now, state.Workflow.Priority, tx.Now);
                tx.SystemTaskQueued = true;
                count++;
            }
            return count;
        }, CancellationToken.None).GetAwaiter().GetResult();
        if (recovered > 0)
        {
            _logger.LogInformation("Re-queued {Count} HTTP task(s) interrupted by the previous shutdown", recovered);
        }
    }

    // ---- internal hooks for the HTTP runner ---------------------------------------------------------------------

    /// <summary>Takes up to <paramref name="count"/> due system tasks of <paramref name="queue"/>, in queue order, skipping
    /// (and leaving queued) those <paramref name="admit"/> refuses; it looks up to <paramref name="lookAhead"/> tasks past
    /// the ones it takes.</summary>
    internal Task<List<ConductorTask>> PollSystemAsync(string queue, int count, CancellationToken cancellationToken,
        Func<ConductorTask, bool>? admit = null, int lookAhead = 0) =>
        RunAsync(tx =>
        {
            var tasks = new List<ConductorTask>();
            foreach (var id in tx.Store.DueTaskIds(queue, tx.Now, count + lookAhead))
            {
                if (tasks.Count >= count)
                {
                    break;
                }
                if (admit is not null && tx.Task(id) is { } peek && !(peek.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal() && !admit(peek))
                {
                    continue;
                }
                tx.Store.Dequeue(id);
                var workflowId = tx.Store.GetTaskWorkflowId(id);
                if (workflowId is null || tx.Load(workflowId) is not { } state || state.Workflow.Status.IsTerminal())
                {
                    continue;
                }
                var task = state.TaskById(id);
                if (task is null || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
                {
                    continue;
                }
                task.Status = ConductorTaskStatus.IN_PROGRESS;
                task.StartTime = task.StartTime == 0 ? tx.Now : task.StartTime;
                task.PollCount++;
                task.UpdateTime = tx.Now;
                tasks.Add(Decider.Clone(task));
            }
            return tasks;
        }, cancellationToken);

    // ---- disposal -----------------------------------------------------------------------------------------------

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping.Cancel();
        if (_sweeper is not null)
        {
            try
            {
                await _sweeper.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        // HTTP calls in flight are cancelled; their tasks stay IN_PROGRESS and are queued again when the store reopens.
        await _http.StopAsync().ConfigureAwait(false);
        foreach (var signal in _queueSignals.Values)
        {
            signal.Set();
        }
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            _store.Dispose();
        }
        finally
        {
            _lock.Release();
        }
        _http.Dispose();
        _stopping.Dispose();
    }

    /// <summary>A resettable wake-up: waiters take <see cref="Current"/> before checking, <see cref="Set"/> completes it
    /// and installs a fresh one, so no wake-up between check and wait is lost.</summary>
    private sealed class Signal
    {
        private TaskCompletionSource<bool> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Current => Volatile.Read(ref _source).Task;

        public void Set() =>
            Interlocked.Exchange(ref _source, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(true);
    }
}
