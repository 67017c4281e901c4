using ConductorTools.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConductorTools.Hosting;

/// <summary>What one dispatch did for a group.</summary>
public sealed record FanOutDispatchResult(string Group, string Queue, IReadOnlyList<string> TaskTypes, IReadOnlyDictionary<string, int> Backlog,
    int InFlight, FanOutPlan? Plan, IReadOnlyList<FanOutMessage> Sent, string Outcome)
{
    /// <summary>Conductor calls the dispatch made (the queue-size call; 0 when fan-out is off or the group is empty).</summary>
    public int ConductorCalls { get; init; }

    public override string ToString() => $"[{Group}] {Outcome}";
}

/// <summary>
/// The fan-out dispatcher, the body of the dispatcher timer in both Functions apps: reads the group's backlog
/// (<c>GET /api/tasks/queue/sizes</c>, one call), and only when there is one the group queue's approximate message count
/// (cycles queued or running), plans with <see cref="FanOutDispatch.Plan"/> and puts that many work messages on the queue.
/// An empty backlog costs the one queue-size call and nothing else. With <see cref="DispatchMode.Timer"/> it does nothing.
/// Server errors are logged, never thrown (the next tick tries again); settings errors throw.
/// </summary>
public sealed partial class FanOutDispatcher
{
    private readonly FunctionCycleRunner _cycles;
    private readonly Func<string, IFanOutQueue> _queueFor;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="cycles">The cycle runner of the app: its settings, workers (task types and concurrency per group), Conductor client and host.json timeout.</param>
    /// <param name="queueFor">The fan-out queue for a queue name (<see cref="ConductorHostSettings.FanOutQueueFor"/>).</param>
    /// <param name="loggerFactory">Where the dispatch logs.</param>
    /// <param name="timeProvider">Clock for the messages' created time and the cycle length.</param>
    public FanOutDispatcher(FunctionCycleRunner cycles, Func<string, IFanOutQueue> queueFor, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _cycles = cycles ?? throw new ArgumentNullException(nameof(cycles));
        _queueFor = queueFor ?? throw new ArgumentNullException(nameof(queueFor));
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ConductorTools.Hosting.FanOut");
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The name of the default group's dispatcher timer; <c>ConductorDispatcher_&lt;group&gt;</c> dispatches for &lt;group&gt;.</summary>
    public const string FunctionName = "ConductorDispatcher";

    /// <summary>Dispatches for <paramref name="group"/>.</summary>
    /// <param name="group">The task-type group (<see cref="ConductorHostSettings.DefaultGroup"/> for task types in no group).</param>
    /// <param name="dispatchInterval">The dispatcher timer's interval when known (from its schedule status); at least a minute is assumed.</param>
    /// <param name="cancellationToken">The invocation's token.</param>
    /// <exception cref="ConductorSettingsException">The settings are wrong (every problem listed).</exception>
    public async Task<FanOutDispatchResult> DispatchAsync(string group, TimeSpan? dispatchInterval = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(group)) throw new ArgumentException("A task-type group name is required (\"default\" for task types in no group).", nameof(group));
        var settings = _cycles.Settings;
        var none = new Dictionary<string, int>();
        if (settings.DispatchMode != DispatchMode.FanOut)
        {
            LogOff(_logger, group, ConductorHostSettings.DispatchModeKey);
            return new FanOutDispatchResult(group, "", Array.Empty<string>(), none, 0, null, Array.Empty<FanOutMessage>(),
                $"fan-out is off ({ConductorHostSettings.DispatchModeKey} is {settings.DispatchMode}): nothing dispatched");
        }
        var queueName = settings.FanOutQueueFor(group);

        var workers = _cycles.WorkersFor(group);
        var taskTypes = workers.Select(w => w.TaskType).ToList();
        if (taskTypes.Count == 0)
        {
            LogNoTaskTypes(_logger, group);
            return new FanOutDispatchResult(group, queueName, taskTypes, none, 0, null, Array.Empty<FanOutMessage>(), "no task type in the group: nothing dispatched");
        }

        var now = _time.GetUtcNow();
        var deadline = _cycles.DeadlineFrom(now);
        IReadOnlyDictionary<string, int> sizes;
        try
        {
            sizes = await _cycles.Api.GetQueueSizesAsync(taskTypes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConductorException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogBacklogFailed(_logger, group, e.Message);
            return new FanOutDispatchResult(group, queueName, taskTypes, none, 0, null, Array.Empty<FanOutMessage>(), "could not read the backlog: " + e.Message) { ConductorCalls = 1 };
        }
        var backlog = taskTypes.ToDictionary(t => t, t => sizes.TryGetValue(t, out var n) ? Math.Max(0, n) : 0, StringComparer.Ordinal);
        if (backlog.Values.All(n => n == 0))
        {
            LogIdle(_logger, group);
            var idle = FanOutDispatch.Plan(Request(backlog, workers, deadline, 0, settings, dispatchInterval));
            return new FanOutDispatchResult(group, queueName, taskTypes, backlog, 0, idle, Array.Empty<FanOutMessage>(), "no backlog: nothing dispatched") { ConductorCalls = 1 };
        }

        var queue = _queueFor(queueName);
        var inFlight = await queue.GetApproximateMessageCountAsync(cancellationToken).ConfigureAwait(false);
        var plan = FanOutDispatch.Plan(Request(backlog, workers, deadline, inFlight, settings, dispatchInterval));
        var sent = new List<FanOutMessage>();
        for (var i = 0; i < plan.Messages; i++)
        {
            var message = FanOutMessage.Create(group, now);
            await queue.SendAsync(message.ToJson(), plan.MessageTimeToLive, cancellationToken).ConfigureAwait(false);
            sent.Add(message);
        }
        var backlogText = string.Join(", ", backlog.Select(p => $"{p.Key} {p.Value}"));
        LogDispatched(_logger, group, sent.Count, queueName, backlogText, plan.Reason, plan.MessageTimeToLive.TotalSeconds);
        return new FanOutDispatchResult(group, queueName, taskTypes, backlog, inFlight, plan, sent,
            $"{sent.Count} message(s) on {queueName} for a backlog of {backlogText}: {plan.Reason}") { ConductorCalls = 1 };
    }

    private static FanOutRequest Request(Dictionary<string, int> backlog, IReadOnlyList<Workers.WorkerDefinition> workers, CycleDeadline deadline,
        int inFlight, ConductorHostSettings settings, TimeSpan? dispatchInterval) => new()
        {
            Backlog = backlog,
            ConcurrencyPerCycle = workers.ToDictionary(w => w.TaskType, w => w.Options.Concurrency, StringComparer.Ordinal),
            PollWindow = deadline.PollUntil - deadline.Start,
            // The usual run time of a task: CONDUCTOR_DRAIN_TIMEOUT (what the cycle itself assumes when it stops polling).
            TaskDuration = settings.DrainTimeout > TimeSpan.Zero ? settings.DrainTimeout : TimeSpan.FromSeconds(1),
            QueuedMessages = inFlight,
            RunningCycles = 0,   // counted in the approximate message count (a message being processed stays on the queue)
            MaxCycles = settings.FanOutMaxCycles,
            DispatchInterval = dispatchInterval is { } i && i > TimeSpan.Zero ? i : FanOutDispatch.MinimumMessageTimeToLive,
            InvocationLength = deadline.Budget + deadline.SafetyMargin,
        };

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Conductor fan-out [{Group}]: off ({Setting} is not FanOut); the timer functions run the cycles")]
    private static partial void LogOff(ILogger logger, string group, string setting);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Conductor fan-out [{Group}]: no task type to dispatch for; check CONDUCTOR_TASK_GROUPS")]
    private static partial void LogNoTaskTypes(ILogger logger, string group);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Conductor fan-out [{Group}]: could not read the backlog ({Error}); nothing dispatched, the next tick tries again")]
    private static partial void LogBacklogFailed(ILogger logger, string group, string error);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Conductor fan-out [{Group}]: no backlog, nothing dispatched")]
    private static partial void LogIdle(ILogger logger, string group);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information,
        Message = "Conductor fan-out [{Group}]: {Messages} message(s) on {Queue} for a backlog of {Backlog}: {Reason}; time to live {TtlSeconds:0} s")]
    private static partial void LogDispatched(ILogger logger, string group, int messages, string queue, string backlog, string reason, double ttlSeconds);
}
