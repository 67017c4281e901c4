using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Conversion;

/// <summary>
/// The task definition fields a command sets (Register-TaskDef's and Set-TaskDef's parameters): null leaves a field as
/// it is. Applied to a new definition (Register) or to a copy of an existing one (Set), so both commands agree.
/// </summary>
public sealed class TaskDefChanges
{
    public string? Description { get; set; }
    public int? RetryCount { get; set; }
    public RetryLogic? RetryLogic { get; set; }
    public int? RetryDelaySeconds { get; set; }
    public long? TimeoutSeconds { get; set; }
    public long? ResponseTimeoutSeconds { get; set; }
    public TaskTimeoutPolicy? TimeoutPolicy { get; set; }
    public int? PollTimeoutSeconds { get; set; }
    public int? ConcurrentExecLimit { get; set; }
    public int? RateLimitPerFrequency { get; set; }
    public int? RateLimitFrequencyInSeconds { get; set; }
    public int? BackoffScaleFactor { get; set; }
    public string? OwnerEmail { get; set; }
    public List<string>? InputKeys { get; set; }
    public List<string>? OutputKeys { get; set; }
    public Dictionary<string, object?>? InputTemplate { get; set; }

    /// <summary>Whether any field is set.</summary>
    public bool Any =>
        Description is not null || RetryCount is not null || RetryLogic is not null || RetryDelaySeconds is not null
        || TimeoutSeconds is not null || ResponseTimeoutSeconds is not null || TimeoutPolicy is not null
        || PollTimeoutSeconds is not null || ConcurrentExecLimit is not null || RateLimitPerFrequency is not null
        || RateLimitFrequencyInSeconds is not null || BackoffScaleFactor is not null || OwnerEmail is not null
        || InputKeys is not null || OutputKeys is not null || InputTemplate is not null;

    /// <summary>
    /// Sets the given fields on <paramref name="def"/>. A new TimeoutSeconds below the response timeout pulls the response
    /// timeout down with it (Conductor rejects responseTimeoutSeconds greater than timeoutSeconds) unless both are given.
    /// </summary>
    public TaskDef ApplyTo(TaskDef def)
    {
        if (Description is not null) def.Description = Description;
        if (RetryCount is { } rc) def.RetryCount = rc;
        if (RetryLogic is { } rl) def.RetryLogic = rl;
        if (RetryDelaySeconds is { } rd) def.RetryDelaySeconds = rd;
        if (TimeoutSeconds is { } ts) def.TimeoutSeconds = ts;
        if (ResponseTimeoutSeconds is { } rt) def.ResponseTimeoutSeconds = rt;
        else if (TimeoutSeconds is > 0 && def.ResponseTimeoutSeconds > TimeoutSeconds) def.ResponseTimeoutSeconds = TimeoutSeconds.Value;
        if (TimeoutPolicy is { } tp) def.TimeoutPolicy = tp;
        if (PollTimeoutSeconds is not null) def.PollTimeoutSeconds = PollTimeoutSeconds;
        if (ConcurrentExecLimit is not null) def.ConcurrentExecLimit = ConcurrentExecLimit;
        if (RateLimitPerFrequency is not null) def.RateLimitPerFrequency = RateLimitPerFrequency;
        if (RateLimitFrequencyInSeconds is not null) def.RateLimitFrequencyInSeconds = RateLimitFrequencyInSeconds;
        if (BackoffScaleFactor is { } bs) def.BackoffScaleFactor = bs;
        if (OwnerEmail is not null) def.OwnerEmail = OwnerEmail;
        if (InputKeys is not null) def.InputKeys = InputKeys;
        if (OutputKeys is not null) def.OutputKeys = OutputKeys;
        if (InputTemplate is not null) def.InputTemplate = InputTemplate;
        return def;
    }

    /// <summary>A deep copy of <paramref name="def"/> through its JSON contract (so a command never changes the caller's object).</summary>
    public static TaskDef Copy(TaskDef def) =>
        ConductorJson.Deserialize<TaskDef>(ConductorJson.Serialize(def)) ?? throw new InvalidOperationException("The task definition could not be copied.");
}

/// <summary>
/// The one rule for registering definitions, the same for task and workflow definitions: registering a name that already
/// exists is an error unless forced, and forcing replaces the whole definition with the one given (fields not given
/// take their defaults). Changing some fields of an existing definition is Set-TaskDef's job.
/// </summary>
public static class DefinitionRegistration
{
    /// <summary>
    /// Registers <paramref name="def"/>; without <paramref name="force"/>, an existing definition of that name is a
    /// <see cref="ConductorErrorKind.Conflict"/> that says how to replace or change it.
    /// </summary>
    public static async Task RegisterTaskDefAsync(IConductorApi api, TaskDef def, bool force, CancellationToken cancellationToken = default)
    {
        if (!force)
        {
            var exists = true;
            try
            {
                await api.GetTaskDefAsync(def.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.NotFound)
            {
                exists = false;
            }
            if (exists)
            {
                throw ConductorException.Conflict(
                    $"The task definition '{def.Name}' already exists. Give -Force to replace it with this one (fields you leave out take their defaults), or change some of its fields with Set-TaskDef (e.g. Set-TaskDef {def.Name} -RetryCount 5).");
            }
        }
        await api.RegisterTaskDefsAsync(new[] { def }, cancellationToken).ConfigureAwait(false);
    }
}
