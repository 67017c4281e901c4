namespace ConductorTools.Hosting;

/// <summary>
/// When one bounded worker cycle of a timer invocation must be over: the invocation start plus the function timeout
/// (capped by a maximum cycle length), less the safety margin kept for handing back unfinished tasks and returning
/// before the host kills the invocation.
/// </summary>
public sealed record CycleDeadline(DateTimeOffset Start, DateTimeOffset Deadline, FunctionTimeout Timeout, TimeSpan SafetyMargin)
{
    /// <summary>No task is polled after this: the deadline less the drain timeout, so a task polled last still has its
    /// usual run time before the deadline.</summary>
    public DateTimeOffset PollUntil { get; init; } = Deadline;

    /// <summary>Cycle length used when the function timeout is unbounded and no maximum is set (the host's 30-minute default).</summary>
    public static readonly TimeSpan UnboundedCycleDefault = FunctionTimeout.OtherPlansDefault;

    /// <summary>How long the cycle may run.</summary>
    public TimeSpan Budget => Deadline - Start;

    public override string ToString() =>
        $"deadline {Deadline:O} ({Budget.TotalSeconds:0.#} s: timeout {Timeout}, safety margin {SafetyMargin.TotalSeconds:0.#} s), polling until {PollUntil:O}";

    /// <summary>Computes the deadline of a cycle starting at <paramref name="start"/>.</summary>
    /// <exception cref="ConductorSettingsException">The margin leaves no time to work.</exception>
    public static CycleDeadline Compute(DateTimeOffset start, FunctionTimeout timeout, TimeSpan safetyMargin, TimeSpan? maxCycleDuration = null,
        TimeSpan drainTimeout = default)
    {
        if (timeout is null) throw new ArgumentNullException(nameof(timeout));
        var length = timeout.Value ?? maxCycleDuration ?? UnboundedCycleDefault;
        if (maxCycleDuration is { } max && max < length) length = max;
        var budget = length - safetyMargin;
        if (budget <= TimeSpan.Zero)
            throw new ConductorSettingsException(new[]
            {
                $"{ConductorHostSettings.SafetyMarginKey} {safetyMargin} leaves no time to work in a cycle of {length} (timeout {timeout}): make the margin smaller than the timeout.",
            });
        if (drainTimeout >= budget)
            throw new ConductorSettingsException(new[]
            {
                $"{ConductorHostSettings.DrainTimeoutKey} {drainTimeout} is as long as the whole cycle ({budget} after the safety margin): no task would ever be polled. Lower it, or raise functionTimeout.",
            });
        var deadline = start + budget;
        return new CycleDeadline(start, deadline, timeout, safetyMargin) { PollUntil = deadline - drainTimeout };
    }

    /// <summary>The deadline for a host configured by <paramref name="settings"/>, given the function timeout the host
    /// reads from host.json (null: not set there, the plan default applies).</summary>
    public static CycleDeadline Compute(DateTimeOffset start, ConductorHostSettings settings, FunctionTimeout? hostJsonTimeout)
    {
        if (settings is null) throw new ArgumentNullException(nameof(settings));
        var timeout = FunctionTimeout.Resolve(settings.FunctionTimeoutOverride ?? hostJsonTimeout, settings.HostingPlan);
        return Compute(start, timeout, settings.SafetyMargin, settings.MaxCycleDuration, settings.DrainTimeout);
    }

    /// <summary>
    /// The deadline of a Functions invocation starting at <paramref name="start"/>, reading functionTimeout from the
    /// app's host.json: what the PowerShell function app's run.ps1 calls, so both app variants follow the same rule.
    /// </summary>
    public static CycleDeadline ForFunctionApp(ConductorHostSettings settings, string appRoot, DateTimeOffset start) =>
        Compute(start, settings, FunctionTimeout.FromHostJsonFile(Path.Combine(appRoot, "host.json")));
}
