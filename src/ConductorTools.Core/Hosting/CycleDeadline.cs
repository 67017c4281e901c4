namespace ConductorTools.Hosting;

/// <summary>
/// When one bounded worker cycle of a timer invocation must be over: the invocation start plus the function timeout
/// (capped by a maximum cycle length), less the safety margin kept for handing back unfinished tasks and returning
/// before the host kills the invocation.
/// </summary>
public sealed record CycleDeadline(DateTimeOffset Start, DateTimeOffset Deadline, FunctionTimeout Timeout, TimeSpan SafetyMargin)
{
    /// <summary>Cycle length used when the function timeout is unbounded and no maximum is set (the host's 30-minute default).</summary>
    public static readonly TimeSpan UnboundedCycleDefault = FunctionTimeout.OtherPlansDefault;

    /// <summary>How long the cycle may run.</summary>
    public TimeSpan Budget => Deadline - Start;

    /// <summary>For hosts that take a stop time plus a drain period (Invoke-WorkerLoop -Until/-DrainTimeout): stop polling
    /// at the deadline less the drain, so in-flight tasks get <paramref name="drain"/> to finish before the deadline.</summary>
    public DateTimeOffset StopPollingAt(TimeSpan drain) =>
        drain >= Budget ? Start : Deadline - drain;

    /// <summary>The time left, never negative.</summary>
    public TimeSpan Remaining(DateTimeOffset now) => now >= Deadline ? TimeSpan.Zero : Deadline - now;

    public override string ToString() =>
        $"deadline {Deadline:O} ({Budget.TotalSeconds:0.#} s: timeout {Timeout}, safety margin {SafetyMargin.TotalSeconds:0.#} s)";

    /// <summary>Computes the deadline of a cycle starting at <paramref name="start"/>.</summary>
    /// <exception cref="ConductorSettingsException">The margin leaves no time to work.</exception>
    public static CycleDeadline Compute(DateTimeOffset start, FunctionTimeout timeout, TimeSpan safetyMargin, TimeSpan? maxCycleDuration = null)
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
        return new CycleDeadline(start, start + budget, timeout, safetyMargin);
    }

    /// <summary>The deadline for a host configured by <paramref name="settings"/>, given the function timeout the host
    /// reads from host.json (null: not set there, the plan default applies).</summary>
    public static CycleDeadline Compute(DateTimeOffset start, ConductorHostSettings settings, FunctionTimeout? hostJsonTimeout)
    {
        if (settings is null) throw new ArgumentNullException(nameof(settings));
        var timeout = FunctionTimeout.Resolve(settings.FunctionTimeoutOverride ?? hostJsonTimeout, settings.HostingPlan);
        return Compute(start, timeout, settings.SafetyMargin, settings.MaxCycleDuration);
    }

    /// <summary>
    /// The deadline of a Functions invocation starting now, from the process environment (app settings) and the app's
    /// host.json: what the PowerShell function app's run.ps1 calls, so both app variants follow the same rule.
    /// </summary>
    public static CycleDeadline ForFunctionApp(string appRoot, DateTimeOffset start)
    {
        var settings = ConductorHostSettings.Bind(Environment.GetEnvironmentVariable);
        return Compute(start, settings, FunctionTimeout.FromHostJsonFile(Path.Combine(appRoot, "host.json")));
    }
}
