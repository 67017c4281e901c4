using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ConductorTools.Model;

namespace ConductorTools.Workers;

public enum WorkerEventKind
{
    Polled,
    PollFailed,
    ExecutionStarted,
    ExecutionCompleted,
    ExecutionFailed,
    UpdateRetried,
    UpdateFailed,
    HandedBack,
    LeaseExtended,
    Paused,
    Resumed,
}

/// <summary>Something the runner did, for hosts to render as progress, verbose output or logs. Raised on worker threads.</summary>
public sealed class WorkerEvent : EventArgs
{
    public WorkerEvent(WorkerEventKind kind, string taskType)
    {
        Kind = kind;
        TaskType = taskType;
    }

    public WorkerEventKind Kind { get; }
    public string TaskType { get; }
    public ConductorTask? Task { get; init; }
    public TaskResult? Result { get; init; }
    public Exception? Error { get; init; }
    /// <summary>Tasks received (Polled), attempt number (UpdateRetried), or consecutive failures of this kind (PollFailed).</summary>
    public int Count { get; init; }
    /// <summary>For <see cref="WorkerEventKind.HandedBack"/>: why the task was given back.</summary>
    public WorkerHandBackReason? HandBackReason { get; init; }
    /// <summary>Handler run time (ExecutionCompleted/Failed), or the backoff before the next poll (PollFailed).</summary>
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Kind} {TaskType} {Task?.TaskId} {Error?.Message}".TrimEnd();
}

/// <summary>What a run or a bounded cycle did.</summary>
public sealed class WorkerCycleSummary
{
    public long Polled { get; init; }
    public long Completed { get; init; }
    public long Failed { get; init; }
    /// <summary>Results reported IN_PROGRESS (with a callback) by handlers.</summary>
    public long InProgress { get; init; }
    public long HandedBack { get; init; }
    public long UpdateRetries { get; init; }
    /// <summary>Results Conductor rejected, or that could not be delivered and went to the outbox.</summary>
    public long UpdateFailures { get; init; }
    public long PollErrors { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>The task types the run polled.</summary>
    public IReadOnlyList<string> TaskTypes { get; init; } = Array.Empty<string>();
    /// <summary>When the run started.</summary>
    public DateTimeOffset StartTime { get; init; }
    /// <summary>Why it stopped polling (null only in a live snapshot of a run still polling).</summary>
    public WorkerStopReason? StopReason { get; init; }

    public override string ToString() =>
        $"polled {Polled}, completed {Completed}, failed {Failed}, in progress {InProgress}, handed back {HandedBack}, " +
        $"update retries {UpdateRetries}, update failures {UpdateFailures}, poll errors {PollErrors} in {Duration.TotalSeconds:0.0} s";
}

/// <summary>
/// Metrics under the meter <c>ConductorTools.Workers</c>, named as the official SDKs' canonical catalogue, each tagged
/// with <c>taskType</c> (and a bounded <c>exception</c> type name for errors).
/// </summary>
public static class WorkerMetrics
{
    public const string MeterName = "ConductorTools.Workers";

    private static readonly Meter Meter = new(MeterName, typeof(WorkerMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<string, StrongBox<long>> ActiveByType = new(StringComparer.Ordinal);

    internal static readonly Counter<long> Polls = Meter.CreateCounter<long>("task_poll_total", description: "Polls sent.");
    internal static readonly Counter<long> PollErrors = Meter.CreateCounter<long>("task_poll_error_total", description: "Polls that failed.");
    internal static readonly Counter<long> ExecutionsStarted = Meter.CreateCounter<long>("task_execution_started_total", description: "Handlers started.");
    internal static readonly Counter<long> ExecuteErrors = Meter.CreateCounter<long>("task_execute_error_total", description: "Handlers that threw or timed out.");
    internal static readonly Counter<long> UpdateErrors = Meter.CreateCounter<long>("task_update_error_total", description: "Result updates that failed (each attempt).");
    internal static readonly Counter<long> Paused = Meter.CreateCounter<long>("task_paused_total", description: "Polls skipped because the worker is paused.");
    internal static readonly Histogram<double> PollTime = Meter.CreateHistogram<double>("task_poll_time_seconds", "s", "Poll round-trip time.");
    internal static readonly Histogram<double> ExecuteTime = Meter.CreateHistogram<double>("task_execute_time_seconds", "s", "Handler execution time.");
    internal static readonly Histogram<double> UpdateTime = Meter.CreateHistogram<double>("task_update_time_seconds", "s", "Result update round-trip time.");

    static WorkerMetrics()
    {
        Meter.CreateObservableGauge("active_workers", ObserveActive, description: "Handlers running now.");
    }

    /// <summary>Every metric name this runtime records, as in the SDKs' canonical catalogue.</summary>
    public static IReadOnlyList<string> InstrumentNames { get; } = new[]
    {
        "task_poll_total", "task_poll_error_total", "task_execution_started_total", "task_execute_error_total", "task_update_error_total",
        "task_paused_total", "task_poll_time_seconds", "task_execute_time_seconds", "task_update_time_seconds", "active_workers",
    };

    private static IEnumerable<Measurement<long>> ObserveActive() =>
        ActiveByType.Select(kv => new Measurement<long>(Interlocked.Read(ref kv.Value.Value), Type(kv.Key)));

    internal static void WorkerStarted(string taskType) => Interlocked.Increment(ref ActiveByType.GetOrAdd(taskType, _ => new StrongBox<long>()).Value);

    internal static void WorkerFinished(string taskType) => Interlocked.Decrement(ref ActiveByType.GetOrAdd(taskType, _ => new StrongBox<long>()).Value);

    internal static KeyValuePair<string, object?> Type(string taskType) => new("taskType", taskType);

    internal static KeyValuePair<string, object?> Exception(Exception ex) => new("exception", ex.GetType().Name);

    internal static double Seconds(long startTimestamp) =>
        (Stopwatch.GetTimestamp() - startTimestamp) / (double)Stopwatch.Frequency;
}
