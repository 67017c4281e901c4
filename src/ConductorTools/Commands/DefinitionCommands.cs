using System.Collections;
using System.Management.Automation;
using ConductorTools.Conversion;
using ConductorTools.Model;

namespace ConductorTools.PowerShell.Commands;

/// <summary>The task definition fields as parameters, shared by Register-TaskDef and Set-TaskDef.</summary>
public abstract class TaskDefFieldsCmdlet : ConductorCmdlet
{
    /// <summary><para type="description">What the task does.</para></summary>
    [Parameter] public string? Description { get; set; }
    /// <summary><para type="description">Retries after a failure (Conductor default 3).</para></summary>
    [Parameter] [ValidateRange(0, int.MaxValue)] public int? RetryCount { get; set; }
    /// <summary><para type="description">FIXED, EXPONENTIAL_BACKOFF or LINEAR_BACKOFF.</para></summary>
    [Parameter] public RetryLogic? RetryLogic { get; set; }
    /// <summary><para type="description">Delay before a retry (default 60).</para></summary>
    [Parameter] [ValidateRange(0, int.MaxValue)] public int? RetryDelaySeconds { get; set; }
    /// <summary><para type="description">Time limit of one attempt (0 = none).</para></summary>
    [Parameter] [ValidateRange(0, long.MaxValue)] public long? TimeoutSeconds { get; set; }
    /// <summary><para type="description">How long a worker may go without reporting (default 3600); must not exceed TimeoutSeconds.</para></summary>
    [Parameter] [ValidateRange(1, long.MaxValue)] public long? ResponseTimeoutSeconds { get; set; }
    /// <summary><para type="description">RETRY, TIME_OUT_WF or ALERT_ONLY.</para></summary>
    [Parameter] public TaskTimeoutPolicy? TimeoutPolicy { get; set; }
    /// <summary><para type="description">How long a task may wait to be polled (seconds).</para></summary>
    [Parameter] [ValidateRange(0, int.MaxValue)] public int? PollTimeoutSeconds { get; set; }
    /// <summary><para type="description">Most tasks of this type in progress at once.</para></summary>
    [Parameter] [ValidateRange(0, int.MaxValue)] public int? ConcurrentExecLimit { get; set; }
    /// <summary><para type="description">Most tasks handed out per frequency window.</para></summary>
    [Parameter] [ValidateRange(0, int.MaxValue)] public int? RateLimitPerFrequency { get; set; }
    /// <summary><para type="description">The rate limit's window (seconds).</para></summary>
    [Parameter] [ValidateRange(1, int.MaxValue)] public int? RateLimitFrequencyInSeconds { get; set; }
    /// <summary><para type="description">Multiplier of LINEAR_BACKOFF.</para></summary>
    [Parameter] [ValidateRange(1, int.MaxValue)] public int? BackoffScaleFactor { get; set; }
    /// <summary><para type="description">Owner's e-mail (required by some servers).</para></summary>
    [Parameter] public string? OwnerEmail { get; set; }
    /// <summary><para type="description">Documented input keys.</para></summary>
    [Parameter] public string[]? InputKeys { get; set; }
    /// <summary><para type="description">Documented output keys.</para></summary>
    [Parameter] public string[]? OutputKeys { get; set; }
    /// <summary><para type="description">Default input values.</para></summary>
    [Parameter] public Hashtable? InputTemplate { get; set; }

    /// <summary><para type="description">Output the definitions as sent.</para></summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected TaskDefChanges Changes() => new()
    {
        Description = Description,
        RetryCount = RetryCount,
        RetryLogic = RetryLogic,
        RetryDelaySeconds = RetryDelaySeconds,
        TimeoutSeconds = TimeoutSeconds,
        ResponseTimeoutSeconds = ResponseTimeoutSeconds,
        TimeoutPolicy = TimeoutPolicy,
        PollTimeoutSeconds = PollTimeoutSeconds,
        ConcurrentExecLimit = ConcurrentExecLimit,
        RateLimitPerFrequency = RateLimitPerFrequency,
        RateLimitFrequencyInSeconds = RateLimitFrequencyInSeconds,
        BackoffScaleFactor = BackoffScaleFactor,
        OwnerEmail = OwnerEmail,
        InputKeys = InputKeys?.ToList(),
        OutputKeys = OutputKeys?.ToList(),
        InputTemplate = InputTemplate is null ? null : ToMap(InputTemplate, "-InputTemplate"),
    };

    /// <summary>A task definition from a TaskDef, a hashtable, an object (ConvertFrom-Json) or JSON text, as a copy.</summary>
    protected static TaskDef ReadTaskDef(object? value, string what)
    {
        var raw = value is PSObject pso ? pso.BaseObject : value;
        return TaskDefChanges.Copy(raw is TaskDef def ? def : ToModel<TaskDef>(value, what));
    }
}

/// <summary>
/// <para type="synopsis">Registers new Conductor task definitions.</para>
/// <para type="description">Give the name and fields as parameters, pipe names, TaskDef objects, hashtables or ConvertFrom-Json
/// output (every field is kept), or give -Path to JSON files holding one definition or an array. Field parameters apply
/// on top of piped or read definitions. A name that already exists is an error unless -Force replaces it, the same rule
/// as Register-WorkflowDef; to change some fields of an existing definition use Set-TaskDef.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "TaskDef", SupportsShouldProcess = true, DefaultParameterSetName = FieldsSet)]
[OutputType(typeof(TaskDef))]
public sealed class RegisterTaskDefCommand : TaskDefFieldsCmdlet
{
    private const string FieldsSet = "Fields";
    private const string ObjectSet = "InputObject";
    private const string PathSet = "Path";

    /// <summary><para type="description">The task type name workers poll for (names can be piped).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FieldsSet, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A TaskDef, hashtable, object with TaskDef fields (ConvertFrom-Json output) or JSON text.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    /// <summary><para type="description">JSON files holding a task definition or an array of them.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary><para type="description">Replace a definition that already exists (without it, an existing name is an error).</para></summary>
    [Parameter] public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var changes = Changes();
        var sources = new List<(object Target, Func<IEnumerable<TaskDef>> Read)>();
        switch (ParameterSetName)
        {
            case ObjectSet:
                sources.Add((InputObject!, () => new[] { ReadTaskDef(InputObject, "-InputObject") }));
                break;
            case PathSet:
                foreach (var file in ResolveFiles(Path)) sources.Add((file, () => ReadFile(file)));
                break;
            default:
                sources.Add((Name, () => new[] { new TaskDef(Name) }));
                break;
        }
        foreach (var (target, read) in sources)
        {
            List<TaskDef> defs;
            try
            {
                defs = read().Select(changes.ApplyTo).ToList();
            }
            catch (ArgumentException ex)
            {
                WriteError(new ErrorRecord(ex, "ConductorTools.InvalidTaskDef", ErrorCategory.InvalidData, target));
                continue;
            }
            foreach (var def in defs)
            {
                if (!ShouldProcess(def.Name, Force ? "Register or replace task definition" : "Register task definition")) continue;
                Try(def, () =>
                {
                    Call(ct => DefinitionRegistration.RegisterTaskDefAsync(Api, def, Force, ct));
                    DefinitionsChanged();
                    if (PassThru) WriteObject(def);
                });
            }
        }
    }

    private static IEnumerable<TaskDef> ReadFile(string file)
    {
        var text = File.ReadAllText(file);
        return text.TrimStart().StartsWith("[", StringComparison.Ordinal)
            ? ToModel<List<TaskDef>>(text, $"The file {file}")
            : new[] { ToModel<TaskDef>(text, $"The file {file}") };
    }
}

/// <summary>
/// <para type="synopsis">Changes an existing task definition.</para>
/// <para type="description">Pipe a TaskDef from Get-TaskDef (changed or not), a hashtable or object with its fields, or give a
/// name; field parameters (-RetryCount, -TimeoutSeconds, ...) change those fields and keep the rest:
/// Get-TaskDef charge | Set-TaskDef -RetryCount 5. An unknown name is a not-found error (Register-TaskDef creates).</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "TaskDef", SupportsShouldProcess = true)]
[OutputType(typeof(TaskDef))]
public sealed class SetTaskDefCommand : TaskDefFieldsCmdlet
{
    /// <summary><para type="description">The definition (TaskDef, hashtable, object or JSON text), or the name of one to change.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public object InputObject { get; set; } = null!;

    protected override void ProcessRecord()
    {
        var raw = InputObject is PSObject pso ? pso.BaseObject : InputObject;
        var target = raw is string name && !name.TrimStart().StartsWith("{", StringComparison.Ordinal) ? name : InputObject;
        TaskDef def;
        try
        {
            def = target is string byName ? Call(ct => Api.GetTaskDefAsync(byName, ct)) : ReadTaskDef(InputObject, "-InputObject");
            def = Changes().ApplyTo(def);
        }
        catch (ArgumentException ex)
        {
            WriteError(new ErrorRecord(ex, "ConductorTools.InvalidTaskDef", ErrorCategory.InvalidData, target));
            return;
        }
        catch (Api.ConductorException ex)
        {
            WriteError(ToErrorRecord(ex, target));
            return;
        }
        if (!ShouldProcess(def.Name, "Update task definition")) return;
        Try(def.Name, () =>
        {
            Call(ct => Api.UpdateTaskDefAsync(def, ct));
            DefinitionsChanged();
            if (PassThru) WriteObject(def);
        });
    }
}

/// <summary>
/// <para type="synopsis">Gets task definitions.</para>
/// <para type="description">Without -Name, all of them; -Name accepts wildcards.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "TaskDef")]
[OutputType(typeof(TaskDef))]
public sealed class GetTaskDefCommand : ConductorCmdlet
{
    /// <summary><para type="description">Names or wildcard patterns.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        Try(Name is { Length: 1 } ? Name[0] : Name is { Length: > 1 } ? string.Join(", ", Name) : null, () =>
        {
            if (Name is { Length: > 0 } && Name.All(n => !WildcardPattern.ContainsWildcardCharacters(n)))
            {
                foreach (var name in Name) Try(name, () => WriteObject(Call(ct => Api.GetTaskDefAsync(name, ct))));
                return;
            }
            foreach (var def in Call(ct => Api.GetTaskDefsAsync(ct)).Where(d => Matches(d.Name, Name)).OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase))
            {
                WriteObject(def);
            }
        });
    }
}

/// <summary>
/// <para type="synopsis">Removes task definitions.</para>
/// <para type="description">Running tasks are not affected.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "TaskDef", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveTaskDefCommand : ConductorCmdlet
{
    /// <summary><para type="description">The task definition names.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (ShouldProcess(name, "Remove task definition")) Try(name, () => { Call(ct => Api.DeleteTaskDefAsync(name, ct)); DefinitionsChanged(); });
        }
    }
}

/// <summary>
/// <para type="synopsis">Registers a workflow definition.</para>
/// <para type="description">From a WorkflowDef, a hashtable or object (e.g. ConvertFrom-Json output), or JSON files.
/// An existing name and version is an error unless -Force overwrites it. Invalid definitions list every problem.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "WorkflowDef", SupportsShouldProcess = true, DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(WorkflowDef))]
public sealed class RegisterWorkflowDefCommand : ConductorCmdlet
{
    private const string ObjectSet = "InputObject";
    private const string PathSet = "Path";

    /// <summary><para type="description">A WorkflowDef, hashtable or object with its fields.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    public object InputObject { get; set; } = null!;

    /// <summary><para type="description">JSON files each holding a workflow definition.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary><para type="description">Overwrite an existing definition with the same name and version.</para></summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Output the registered definition.</para></summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        // Each source: what errors name as their target (the file, or the object given) and how to read it.
        var sources = new List<(object Target, Func<object> Read, string What)>();
        if (ParameterSetName == PathSet)
        {
            foreach (var file in ResolveFiles(Path)) sources.Add((file, () => File.ReadAllText(file), $"The file {file}"));
        }
        else
        {
            sources.Add((InputObject, () => InputObject, "-InputObject"));
        }
        foreach (var (target, read, what) in sources)
        {
            WorkflowDef def;
            try
            {
                var source = read();
                def = (source is PSObject pso ? pso.BaseObject : source) is WorkflowDef typed ? typed : ToModel<WorkflowDef>(source, what);
            }
            catch (ArgumentException ex)
            {
                WriteError(new ErrorRecord(ex, "ConductorTools.InvalidWorkflowDef", ErrorCategory.InvalidData, target));
                continue;
            }
            catch (IOException ex)
            {
                WriteError(new ErrorRecord(ex, "ConductorTools.FileUnreadable", ErrorCategory.ReadError, target));
                continue;
            }
            if (!ShouldProcess($"{def.Name} v{def.Version}", "Register workflow definition")) continue;
            Try(ParameterSetName == PathSet ? target : def, () =>
            {
                Call(ct => Api.RegisterWorkflowDefAsync(def, Force, ct));
                DefinitionsChanged();
                if (PassThru) WriteObject(def);
            });
        }
    }
}

/// <summary>
/// <para type="synopsis">Gets workflow definitions.</para>
/// <para type="description">The latest version of each (or of the named ones); -Version for one version, -AllVersions for all.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "WorkflowDef")]
[OutputType(typeof(WorkflowDef))]
public sealed class GetWorkflowDefCommand : ConductorCmdlet
{
    /// <summary><para type="description">Names or wildcard patterns.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(WorkflowNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary><para type="description">A specific version (with a single -Name).</para></summary>
    [Parameter] public int? Version { get; set; }

    /// <summary><para type="description">Every version, not only the latest.</para></summary>
    [Parameter] public SwitchParameter AllVersions { get; set; }

    protected override void ProcessRecord()
    {
        Try(Name is { Length: 1 } ? Name[0] : Name is { Length: > 1 } ? string.Join(", ", Name) : null, () =>
        {
            if (Name is { Length: 1 } && !WildcardPattern.ContainsWildcardCharacters(Name[0]) && !AllVersions)
            {
                WriteObject(Call(ct => Api.GetWorkflowDefAsync(Name[0], Version, ct)));
                return;
            }
            var defs = Call(ct => Api.GetWorkflowDefsAsync(ct)).Where(d => Matches(d.Name, Name));
            if (Version is { } v) defs = defs.Where(d => d.Version == v);
            else if (!AllVersions) defs = defs.GroupBy(d => d.Name).Select(g => g.OrderByDescending(d => d.Version).First());
            foreach (var def in defs.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ThenBy(d => d.Version)) WriteObject(def);
        });
    }
}

/// <summary>
/// <para type="synopsis">Removes a workflow definition version.</para>
/// <para type="description">Running executions are not affected.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "WorkflowDef", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveWorkflowDefCommand : ConductorCmdlet
{
    /// <summary><para type="description">The workflow definition name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(WorkflowNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The version to remove.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public int Version { get; set; }

    protected override void ProcessRecord()
    {
        if (ShouldProcess($"{Name} v{Version}", "Remove workflow definition"))
        {
            Try(Name, () => { Call(ct => Api.DeleteWorkflowDefAsync(Name, Version, ct)); DefinitionsChanged(); });
        }
    }
}
