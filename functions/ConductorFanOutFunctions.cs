using ConductorTools.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace ConductorTools.Functions;

/// <summary>
/// The fan-out (<c>CONDUCTOR_DISPATCH_MODE=FanOut</c>): a dispatcher timer per group puts work messages on the group's Storage
/// queue (<see cref="FanOutDispatcher"/>: one message per cycle the backlog needs, less the cycles queued or running), and a
/// queue-triggered function per group runs one bounded cycle per message (<see cref="FunctionCycleRunner.RunForMessageAsync"/>).
/// The platform adds instances as the queue grows (host.json: one message at a time per instance). In Timer mode the
/// dispatcher does nothing and no message arrives.
/// </summary>
public sealed class ConductorFanOutFunctions(FanOutDispatcher dispatcher, FunctionCycleRunner cycles)
{
    /// <summary>Reads the default group's backlog and queues the cycles it needs. Timer functions are singletons: one dispatch at a time.</summary>
    [Function(FanOutDispatcher.FunctionName)]
    public async Task Dispatch([TimerTrigger("%CONDUCTOR_POLL_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        await dispatcher.DispatchAsync(ConductorHostSettings.DefaultGroup, Interval(timer), cancellationToken);
    }

    /// <summary>
    /// One bounded cycle of the default group per work message on <c>%CONDUCTOR_FANOUT_QUEUE%</c>. The message is bound as
    /// text, so a message that is not a work message fails here with a logged reason (no cycle runs) and the host moves it
    /// to <c>&lt;queue&gt;-poison</c> after maxDequeueCount tries, without holding up the others.
    /// </summary>
    [Function(FunctionCycleRunner.FanOutFunctionName)]
    public async Task RunCycle([QueueTrigger($"%{ConductorHostSettings.FanOutQueueKey}%", Connection = StorageSettings.ConnectionName)] string message,
        CancellationToken cancellationToken) =>
        await cycles.RunForMessageAsync(message, ConductorHostSettings.DefaultGroup, cancellationToken);

    // Another group: a dispatcher and a queue function named for it, the queue being %CONDUCTOR_FANOUT_QUEUE%-<group> (lower case):
    //
    // [Function("ConductorDispatcher_media")]
    // public Task DispatchMedia([TimerTrigger("%CONDUCTOR_POLL_SCHEDULE%")] TimerInfo timer, CancellationToken ct) =>
    //     dispatcher.DispatchAsync("media", Interval(timer), ct);
    //
    // [Function("ConductorFanOut_media")]
    // public Task RunMediaCycle([QueueTrigger("%CONDUCTOR_FANOUT_QUEUE%-media", Connection = StorageSettings.ConnectionName)] string message, CancellationToken ct) =>
    //     cycles.RunForMessageAsync(message, "media", ct);

    /// <summary>The dispatcher's interval from its schedule status (null when the host keeps none).</summary>
    internal static TimeSpan? Interval(TimerInfo timer) =>
        timer.ScheduleStatus is { } status && status.Next > status.Last && status.Last != default ? status.Next - status.Last : null;
}

/// <summary>Where the fan-out queue lives: the connection the queue trigger uses (the app's own storage unless changed).</summary>
public static class StorageSettings
{
    /// <summary>The Functions connection setting: a connection string, or <c>AzureWebJobsStorage__accountName</c> with the app's identity.</summary>
    public const string ConnectionName = "AzureWebJobsStorage";
}
