using ConductorTools.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace ConductorTools.Functions;

/// <summary>
/// Timer functions, one per group of task types (CONDUCTOR_TASK_GROUPS). Each invocation runs one bounded worker cycle
/// through Core (<see cref="FunctionCycleRunner"/>): deadline from the function timeout less the safety margin, the
/// invocation's cancellation honoured, unfinished tasks handed back, the summary logged. With
/// <c>CONDUCTOR_DISPATCH_MODE=FanOut</c> a tick runs no cycle: the queue functions (<see cref="ConductorFanOutFunctions"/>) do.
/// </summary>
public sealed class ConductorWorkersFunction(FunctionCycleRunner cycles)
{
    /// <summary>Task types in no group. A timer function is a singleton across instances: one cycle at a time.</summary>
    [Function("ConductorWorkers")]
    public Task RunDefaultGroup([TimerTrigger("%CONDUCTOR_POLL_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        cycles.RunTimerAsync(ConductorHostSettings.DefaultGroup, timer.IsPastDue, cancellationToken);

    // Another group polls independently of this one: add a function like this and name its task types in
    // CONDUCTOR_TASK_GROUPS (e.g. media=resize_image,transcode).
    //
    // [Function("ConductorWorkers_media")]
    // public Task RunMediaGroup([TimerTrigger("%CONDUCTOR_POLL_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
    //     cycles.RunTimerAsync("media", timer.IsPastDue, cancellationToken);
}
