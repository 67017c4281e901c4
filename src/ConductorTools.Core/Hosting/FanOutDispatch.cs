namespace ConductorTools.Hosting;

/// <summary>What a fan-out dispatcher knows when its timer fires, for one task-type group.</summary>
public sealed class FanOutRequest
{
    /// <summary>Tasks queued per task type of the group (<c>GET /api/tasks/queue/sizes</c>).</summary>
    public IReadOnlyDictionary<string, int> Backlog { get; set; } = new Dictionary<string, int>();

    /// <summary>Tasks of one type that one cycle (one instance) runs at once, per task type; a type not listed runs one at a time.</summary>
    public IReadOnlyDictionary<string, int> ConcurrencyPerCycle { get; set; } = new Dictionary<string, int>();

    /// <summary>How long one queue-triggered cycle polls (its deadline less the drain: <see cref="CycleDeadline.PollUntil"/> − start).</summary>
    public TimeSpan PollWindow { get; set; }

    /// <summary>The usual run time of one task (<c>CONDUCTOR_DRAIN_TIMEOUT</c> unless known better).</summary>
    public TimeSpan TaskDuration { get; set; }

    /// <summary>Work messages already on the queue and not yet taken (the queue's approximate message count).</summary>
    public int QueuedMessages { get; set; }

    /// <summary>Cycles running now (started from earlier messages and not yet over).</summary>
    public int RunningCycles { get; set; }

    /// <summary>The most cycles the group may have at once (queued + running + new): the instance budget.</summary>
    public int MaxCycles { get; set; } = 100;

    /// <summary>How often the dispatcher runs (its timer's interval).</summary>
    public TimeSpan DispatchInterval { get; set; }

    /// <summary>
    /// How long the invocation a message starts may run (the function timeout). A message must outlive its cycle: the queue's
    /// approximate message count includes messages being processed (invisible until the host deletes them), which is how the
    /// dispatcher counts the cycles running; a message that expired mid-cycle would no longer be counted.
    /// </summary>
    public TimeSpan InvocationLength { get; set; }
}

/// <summary>What the dispatcher does for one group: how many work messages to put on the queue, and how they live there.</summary>
public sealed record FanOutPlan(int Messages, int CyclesNeeded, IReadOnlyDictionary<string, int> TasksPerCycle, TimeSpan MessageTimeToLive, string Reason)
{
    /// <summary>An empty backlog: no message, no cycle; the dispatch cost one queue-size call.</summary>
    public bool IsIdle => CyclesNeeded == 0;

    public override string ToString() => $"{Messages} message(s): {Reason}";
}

/// <summary>
/// The fan-out rule: a timer "dispatcher" turns the backlog of a task-type group into work messages on a Storage queue,
/// and a queue-triggered function runs one bounded cycle per message, so the platform adds instances as the queue grows.
/// <list type="bullet">
/// <item>One cycle can take <c>concurrency × max(1, ⌊poll window ÷ task duration⌋)</c> tasks of a type; the group needs as
/// many cycles as its most loaded type: <c>max over types of ⌈backlog ÷ tasks per cycle⌉</c>.</item>
/// <item>Cycles already queued or running count against that, so a backlog that is being worked on is not dispatched twice;
/// new messages never take the group past <see cref="FanOutRequest.MaxCycles"/>.</item>
/// <item>An empty backlog dispatches nothing (no cycle started, no instance woken).</item>
/// <item>A message may wait one dispatch interval (at least a minute) for an instance, then lives as long as the invocation it
/// starts (<see cref="FanOutRequest.InvocationLength"/>), so it is counted as in flight until its cycle is over; one never taken
/// expires. Messages cannot pile up behind a slow consumer: those waiting count against the next dispatch.</item>
/// <item>A duplicate message (at-least-once delivery) only starts one extra bounded cycle, which finds the queue empty and
/// returns; a cycle never throws for server errors, so a message goes to the poison queue only for a settings error
/// (which the first failing invocation already reports) or when it is not a work message (<see cref="FanOutMessageException"/>).</item>
/// </list>
/// </summary>
public static class FanOutDispatch
{
    /// <summary>The shortest life of a work message: the queue trigger's polling can take up to a minute to see it.</summary>
    public static readonly TimeSpan MinimumMessageTimeToLive = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a consumer that receives messages itself (not the Functions host, which keeps a message invisible while its
    /// function runs) must hide a message it took: the invocation length and a minute more, so no other instance starts a
    /// second cycle for it while the first still runs.
    /// </summary>
    public static TimeSpan ReceiveVisibility(TimeSpan invocationLength) => invocationLength + TimeSpan.FromMinutes(1);

    /// <summary>Plans one dispatch.</summary>
    /// <exception cref="ArgumentException">A negative count, a non-positive window or duration, or no room for a single cycle.</exception>
    public static FanOutPlan Plan(FanOutRequest request)
    {
        if (request is null) throw new ArgumentNullException(nameof(request));
        if (request.PollWindow <= TimeSpan.Zero) throw new ArgumentException("The poll window of a cycle must be positive.", nameof(request));
        if (request.TaskDuration <= TimeSpan.Zero) throw new ArgumentException("The task duration must be positive.", nameof(request));
        if (request.QueuedMessages < 0 || request.RunningCycles < 0) throw new ArgumentException("Queued messages and running cycles cannot be negative.", nameof(request));
        if (request.MaxCycles < 1) throw new ArgumentException("MaxCycles must be at least 1.", nameof(request));

        var rounds = Math.Max(1L, request.PollWindow.Ticks / request.TaskDuration.Ticks);
        var perCycle = new Dictionary<string, int>(StringComparer.Ordinal);
        long needed = 0;
        foreach (var pair in request.Backlog)
        {
            if (pair.Value < 0) throw new ArgumentException($"The backlog of '{pair.Key}' cannot be negative.", nameof(request));
            var concurrency = request.ConcurrencyPerCycle.TryGetValue(pair.Key, out var c) && c > 0 ? c : 1;
            var tasks = (int)Math.Min(int.MaxValue, concurrency * rounds);
            perCycle[pair.Key] = tasks;
            needed = Math.Max(needed, (pair.Value + (long)tasks - 1) / tasks);
        }
        if (request.InvocationLength < TimeSpan.Zero) throw new ArgumentException("The invocation length cannot be negative.", nameof(request));
        var ttl = (request.DispatchInterval > MinimumMessageTimeToLive ? request.DispatchInterval : MinimumMessageTimeToLive) + request.InvocationLength;
        var cyclesNeeded = (int)Math.Min(int.MaxValue, needed);
        if (cyclesNeeded == 0)
            return new FanOutPlan(0, 0, perCycle, ttl, "no backlog");

        var inFlight = (long)request.QueuedMessages + request.RunningCycles;
        var wanted = Math.Max(0, Math.Min(needed, request.MaxCycles) - inFlight);
        var reason = $"{cyclesNeeded} cycle(s) for the backlog, {inFlight} queued or running, at most {request.MaxCycles}";
        return new FanOutPlan((int)wanted, cyclesNeeded, perCycle, ttl, reason);
    }
}
