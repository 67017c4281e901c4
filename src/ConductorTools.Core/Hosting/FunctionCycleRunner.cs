using ConductorTools.Api;
using ConductorTools.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConductorTools.Hosting;

/// <summary>What one timer invocation did: its group, its deadline and the worker runtime's cycle summary.</summary>
public sealed record FunctionCycleResult(string Group, IReadOnlyList<string> TaskTypes, CycleDeadline Deadline, WorkerCycleSummary Summary, bool CancelledByHost)
{
    /// <summary>Why no cycle ran (a timer in fan-out mode), or null when one did.</summary>
    public string? Skipped { get; init; }

    /// <summary>The work message the cycle ran for (queue-triggered cycles), or null.</summary>
    public FanOutMessage? Message { get; init; }

    public override string ToString() => Skipped is { } reason ? $"[{Group}] no cycle: {reason}" :
        $"[{Group}] polled {Summary.Polled}, completed {Summary.Completed}, failed {Summary.Failed}, handed back {Summary.HandedBack}" +
        (CancelledByHost ? " (cancelled by the host)" : "");
}

/// <summary>
/// Runs one bounded worker cycle per serverless invocation (the Azure Functions timer): computes the deadline from the
/// function timeout less the safety margin, picks the workers of the invocation's task-type group, runs the worker
/// runtime (<see cref="WorkerRunner"/> with <see cref="WorkerRunLimits.Deadline"/>) until the deadline or until the host cancels the invocation
/// (unfinished tasks are handed back), and logs the summary. The Functions app only calls <see cref="RunAsync"/>.
/// </summary>
public sealed partial class FunctionCycleRunner
{
    private readonly ConductorHostSettings _settings;
    private readonly IConductorApi _api;
    private readonly IReadOnlyList<WorkerDefinition> _workers;
    private readonly FunctionTimeout? _hostJsonTimeout;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="settings">The app settings.</param>
    /// <param name="api">Conductor (the HTTP client in the app; any <see cref="IConductorApi"/>).</param>
    /// <param name="workers">Every registered worker; each timer function runs those of its group.</param>
    /// <param name="hostJsonTimeout">functionTimeout from the app's host.json (null: not set, the plan default applies).</param>
    /// <param name="loggerFactory">Where the runtime and the summary log.</param>
    /// <param name="timeProvider">Clock for the deadline.</param>
    public FunctionCycleRunner(ConductorHostSettings settings, IConductorApi api, IEnumerable<WorkerDefinition> workers,
        FunctionTimeout? hostJsonTimeout, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _workers = (workers ?? throw new ArgumentNullException(nameof(workers))).ToList();
        _hostJsonTimeout = hostJsonTimeout;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("ConductorTools.Hosting.FunctionCycle");
        _time = timeProvider ?? TimeProvider.System;

        var duplicate = _workers.GroupBy(w => w.TaskType, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Two workers are registered for task type '{duplicate.Key}': register one handler per task type.", nameof(workers));

        // The runtime's drain on host cancellation: in-flight handlers get at most CONDUCTOR_DRAIN_TIMEOUT after the
        // invocation's token is cancelled (and never past deadline - HandBackMargin), then are handed back.
        RunnerOptions = new WorkerRunnerOptions { DrainTimeout = _settings.DrainTimeout };
    }

    /// <summary>The name of the default group's timer function; a function named <c>ConductorWorkers_&lt;group&gt;</c> works on &lt;group&gt;.</summary>
    public const string FunctionName = "ConductorWorkers";

    /// <summary>The name of the default group's queue-triggered function (fan-out); <c>ConductorFanOut_&lt;group&gt;</c> works on &lt;group&gt;.</summary>
    public const string FanOutFunctionName = "ConductorFanOut";

    /// <summary>
    /// The task-type group a function works on, from its name (the PowerShell app's function folder, the .NET app's
    /// [Function] name): <c>ConductorWorkers_&lt;group&gt;</c>, <c>ConductorDispatcher_&lt;group&gt;</c> and
    /// <c>ConductorFanOut_&lt;group&gt;</c> work on &lt;group&gt;; any other name on <see cref="ConductorHostSettings.DefaultGroup"/>.
    /// </summary>
    public static string GroupForFunction(string functionName)
    {
        if (functionName is null) throw new ArgumentNullException(nameof(functionName));
        foreach (var name in new[] { FunctionName, FanOutDispatcher.FunctionName, FanOutFunctionName })
        {
            var prefix = name + "_";
            if (functionName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && functionName.Length > prefix.Length)
                return functionName.Substring(prefix.Length);
        }
        return ConductorHostSettings.DefaultGroup;
    }

    /// <summary>The app settings the runner was made with.</summary>
    public ConductorHostSettings Settings => _settings;

    internal IConductorApi Api => _api;

    /// <summary>The deadline of a cycle starting at <paramref name="start"/> (function timeout less the safety margin).</summary>
    public CycleDeadline DeadlineFrom(DateTimeOffset start) => CycleDeadline.Compute(start, _settings, _hostJsonTimeout);

    /// <summary>
    /// A timer tick: runs one cycle (<see cref="RunAsync"/>) in <see cref="DispatchMode.Timer"/>; in
    /// <see cref="DispatchMode.FanOut"/> the queue functions run the cycles, so the tick only logs that and returns.
    /// </summary>
    public Task<FunctionCycleResult> RunTimerAsync(string group, bool isPastDue = false, CancellationToken cancellationToken = default)
    {
        if (_settings.DispatchMode == DispatchMode.FanOut)
        {
            LogTimerSkipped(_logger, group, ConductorHostSettings.DispatchModeKey);
            var deadline = CycleDeadline.Compute(_time.GetUtcNow(), _settings, _hostJsonTimeout);
            return Task.FromResult(new FunctionCycleResult(group, Array.Empty<string>(), deadline, new WorkerCycleSummary(), false)
            {
                Skipped = $"{ConductorHostSettings.DispatchModeKey} is FanOut: the queue functions run the cycles",
            });
        }
        return RunAsync(group, isPastDue, cancellationToken);
    }

    /// <summary>
    /// A work message from the group's fan-out queue: runs one cycle of <paramref name="group"/> (as <see cref="RunAsync"/>,
    /// but it also ends once the group's queues are empty with nothing in flight), whatever the message's age or how often it
    /// was delivered (a late or duplicate message only starts a cycle that finds less to do, and ends early).
    /// </summary>
    /// <param name="message">The message as the trigger binds it: its text, or the PowerShell worker's hashtable of it.</param>
    /// <param name="group">The group of the function (and of its queue).</param>
    /// <param name="cancellationToken">The invocation's token.</param>
    /// <exception cref="FanOutMessageException">Not a work message, or one for another group: logged, no cycle run. Let it fail the
    /// invocation, so the host moves the message to the poison queue after its retries.</exception>
    public Task<FunctionCycleResult> RunForMessageAsync(object? message, string group, CancellationToken cancellationToken = default)
    {
        FanOutMessage parsed;
        try
        {
            parsed = FanOutMessage.Parse(message);
            if (!string.Equals(parsed.Group, group, StringComparison.Ordinal))
                throw new FanOutMessageException($"The work message is for group '{parsed.Group}' but this function works on '{group}': each group has its own queue, and this function's is not that group's.");
        }
        catch (FanOutMessageException e)
        {
            LogBadMessage(_logger, group, e.Message);
            throw;
        }
        LogMessage(_logger, group, parsed.Id, parsed.Age(_time.GetUtcNow()).TotalSeconds);
        return RunWithMessageAsync(parsed, group, cancellationToken);
    }

    // A message's cycle ends as soon as its queues are empty with nothing in flight (or at the deadline): an instance is
    // billed while it polls, and the dispatcher sends another message when a backlog comes back.
    private async Task<FunctionCycleResult> RunWithMessageAsync(FanOutMessage message, string group, CancellationToken cancellationToken) =>
        await RunCoreAsync(group, false, stopWhenQueuesEmpty: true, cancellationToken).ConfigureAwait(false) with { Message = message };

    /// <summary>
    /// Options of the worker runtime for each cycle (delivery retries, hand-back, outbox). <see cref="WorkerRunnerOptions.DrainTimeout"/>
    /// starts as <see cref="ConductorHostSettings.DrainTimeout"/> (<c>CONDUCTOR_DRAIN_TIMEOUT</c>): how long in-flight handlers may
    /// still run once the host cancels the invocation.
    /// </summary>
    public WorkerRunnerOptions RunnerOptions { get; }

    /// <summary>
    /// The workers a cycle of <paramref name="group"/> runs: new definitions with the registered handlers and a copy of
    /// each registered worker's options, adjusted by the app settings (concurrency per task type when set; expected
    /// execution time = <c>CONDUCTOR_DRAIN_TIMEOUT</c>, so polling stops that long before the deadline). The registered
    /// definitions are never changed, so invocations and groups do not affect one another.
    /// </summary>
    /// <exception cref="ConductorSettingsException">An unknown group, or the settings name unregistered task types.</exception>
    public IReadOnlyList<WorkerDefinition> WorkersFor(string group)
    {
        if (string.IsNullOrWhiteSpace(group)) throw new ArgumentException("A task-type group name is required (\"default\" for task types in no group).", nameof(group));
        var taskTypes = _settings.TaskTypesFor(group, _workers.Select(w => w.TaskType));
        return _workers.Where(w => taskTypes.Contains(w.TaskType)).Select(CycleDefinition).ToList();
    }

    private WorkerDefinition CycleDefinition(WorkerDefinition registered)
    {
        var options = registered.Options.Clone();
        if (_settings.ConcurrencyFor(registered.TaskType) is { } concurrency)
            options.Concurrency = concurrency;
        options.ExpectedExecutionTime = _settings.DrainTimeout;
        return new WorkerDefinition(registered.TaskType, registered.Handler, options);
    }

    /// <summary>
    /// Runs one cycle for <paramref name="group"/> (<see cref="ConductorHostSettings.DefaultGroup"/> for task types in no
    /// group). Returns when the cycle is over: by the deadline, or once <paramref name="cancellationToken"/> (the
    /// invocation's token) is cancelled: polling stops at once, in-flight handlers may run until
    /// min(deadline − <see cref="WorkerRunnerOptions.HandBackMargin"/>, cancellation + <see cref="WorkerRunnerOptions.DrainTimeout"/>),
    /// and every unfinished task is then handed back (IN_PROGRESS with a callback, pollable again). Server failures do not throw; settings
    /// errors do (<see cref="ConductorSettingsException"/>, listing every problem).
    /// </summary>
    public Task<FunctionCycleResult> RunAsync(string group, bool isPastDue = false, CancellationToken cancellationToken = default) =>
        RunCoreAsync(group, isPastDue, stopWhenQueuesEmpty: false, cancellationToken);

    private async Task<FunctionCycleResult> RunCoreAsync(string group, bool isPastDue, bool stopWhenQueuesEmpty, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(group)) throw new ArgumentException("A task-type group name is required (\"default\" for task types in no group).", nameof(group));
        var deadline = CycleDeadline.Compute(_time.GetUtcNow(), _settings, _hostJsonTimeout);
        var taskTypes = _settings.TaskTypesFor(group, _workers.Select(w => w.TaskType));
        if (taskTypes.Count == 0)
        {
            LogNothingToDo(_logger, group, string.Join(", ", _workers.Select(w => w.TaskType)));
            return new FunctionCycleResult(group, taskTypes, deadline, new WorkerCycleSummary(), false);
        }

        // Per-cycle copies: the app settings never write into the registered (shared) definitions.
        var selected = _workers.Where(w => taskTypes.Contains(w.TaskType)).Select(CycleDefinition).ToList();
        LogStarting(_logger, group, string.Join(", ", taskTypes), deadline, isPastDue, _settings);

        // A runner per invocation: it holds no connections of its own, and each invocation may run another group.
        var runner = new WorkerRunner(_api, selected, RunnerOptions, _loggerFactory, _time);
        var summary = await runner.RunAsync(cancellationToken, new WorkerRunLimits { Deadline = deadline.Deadline, StopWhenIdle = stopWhenQueuesEmpty })
            .ConfigureAwait(false);
        var cancelled = cancellationToken.IsCancellationRequested;
        var result = new FunctionCycleResult(group, taskTypes, deadline, summary, cancelled);
        var level = summary.Failed > 0 || summary.HandedBack > 0 || summary.UpdateFailures > 0 || summary.PollErrors > 0 || cancelled
            ? LogLevel.Warning : LogLevel.Information;
        LogSummary(_logger, level, group, summary.Polled, summary.Completed, summary.Failed, summary.HandedBack, summary.InProgress,
            summary.UpdateRetries, summary.UpdateFailures, summary.PollErrors, summary.Duration.TotalSeconds, cancelled);
        return result;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Conductor cycle [{Group}] starting for {TaskTypes}: {Deadline}; past due {IsPastDue}; {Settings}")]
    private static partial void LogStarting(ILogger logger, string group, string taskTypes, CycleDeadline deadline, bool isPastDue, ConductorHostSettings settings);

    [LoggerMessage(EventId = 2,
        Message = "Conductor cycle [{Group}] done: polled {Polled}, completed {Completed}, failed {Failed}, handed back {HandedBack}, " +
                  "in progress {InProgress}, update retries {UpdateRetries}, undelivered {UpdateFailures}, poll errors {PollErrors}, " +
                  "{DurationSeconds:0.0} s, cancelled by host {Cancelled}")]
    private static partial void LogSummary(ILogger logger, LogLevel level, string group, long polled, long completed, long failed, long handedBack,
        long inProgress, long updateRetries, long updateFailures, long pollErrors, double durationSeconds, bool cancelled);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "Conductor cycle [{Group}]: no cycle from the timer, {Setting} is FanOut (the queue functions run the cycles)")]
    private static partial void LogTimerSkipped(ILogger logger, string group, string setting);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Conductor cycle [{Group}]: work message {Id}, queued {AgeSeconds:0.0} s ago")]
    private static partial void LogMessage(ILogger logger, string group, string id, double ageSeconds);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error,
        Message = "Conductor cycle [{Group}]: not a work message, no cycle run; the host retries it, then moves it to the poison queue: {Problem}")]
    private static partial void LogBadMessage(ILogger logger, string group, string problem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Conductor cycle [{Group}]: no task type to work on (registered workers: {Registered}); check CONDUCTOR_TASK_GROUPS")]
    private static partial void LogNothingToDo(ILogger logger, string group, string registered);
}
