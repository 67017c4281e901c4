using System.Collections;
using System.Management.Automation;
using ConductorTools.Model;

namespace ConductorTools.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Registers (creates or updates) Conductor task definitions.</para>
/// <para type="description">Give the fields as parameters, pipe TaskDef objects, hashtables or ConvertFrom-Json output,
/// or give -Path to JSON files holding one definition or an array.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "TaskDef", SupportsShouldProcess = true, DefaultParameterSetName = FieldsSet)]
[OutputType(typeof(TaskDef))]
public sealed class RegisterTaskDefCommand : ConductorCmdlet
{
    private const string FieldsSet = "Fields";
    private const string ObjectSet = "InputObject";
    private const string PathSet = "Path";

    /// <summary><para type="description">The task type name workers poll for.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = FieldsSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A TaskDef, hashtable or object with TaskDef fields.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    /// <summary><para type="description">JSON files holding a task definition or an array of them.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary><para type="description">What the task does.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public string? Description { get; set; }
    /// <summary><para type="description">Retries after a failure (Conductor default 3).</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(0, int.MaxValue)] public int? RetryCount { get; set; }
    /// <summary><para type="description">FIXED, EXPONENTIAL_BACKOFF or LINEAR_BACKOFF.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public RetryLogic? RetryLogic { get; set; }
    /// <summary><para type="description">Delay before a retry (default 60).</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(0, int.MaxValue)] public int? RetryDelaySeconds { get; set; }
    /// <summary><para type="description">Time limit of one attempt (0 = none).</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(0, long.MaxValue)] public long? TimeoutSeconds { get; set; }
    /// <summary><para type="description">How long a worker may go without reporting (default 3600); must not exceed TimeoutSeconds.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(1, long.MaxValue)] public long? ResponseTimeoutSeconds { get; set; }
    /// <summary><para type="description">RETRY, TIME_OUT_WF or ALERT_ONLY.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public TaskTimeoutPolicy? TimeoutPolicy { get; set; }
    /// <summary><para type="description">How long a task may wait to be polled (seconds).</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(0, int.MaxValue)] public int? PollTimeoutSeconds { get; set; }
    /// <summary><para type="description">Most tasks of this type in progress at once.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(0, int.MaxValue)] public int? ConcurrentExecLimit { get; set; }
    /// <summary><para type="description">Most tasks handed out per frequency window.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(0, int.MaxValue)] public int? RateLimitPerFrequency { get; set; }
    /// <summary><para type="description">The rate limit's window (seconds).</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(1, int.MaxValue)] public int? RateLimitFrequencyInSeconds { get; set; }
    /// <summary><para type="description">Multiplier of LINEAR_BACKOFF.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] [ValidateRange(1, int.MaxValue)] public int? BackoffScaleFactor { get; set; }
    /// <summary><para type="description">Owner's e-mail (required by some servers).</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public string? OwnerEmail { get; set; }
    /// <summary><para type="description">Documented input keys.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public string[]? InputKeys { get; set; }
    /// <summary><para type="description">Documented output keys.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public string[]? OutputKeys { get; set; }
    /// <summary><para type="description">Default input values.</para></summary>
    [Parameter(ParameterSetName = FieldsSet)] public Hashtable? InputTemplate { get; set; }

    /// <summary><para type="description">Output the registered definitions.</para></summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        List<TaskDef> defs;
        try
        {
            defs = ParameterSetName switch
            {
                ObjectSet => InputObject is TaskDef def ? new List<TaskDef> { def } : new List<TaskDef> { ToModel<TaskDef>(InputObject, "-InputObject") },
                PathSet => Path.SelectMany(p => GetResolvedProviderPathFromPSPath(p, out _)).SelectMany(ReadFile).ToList(),
                _ => new List<TaskDef> { FromFields() },
            };
        }
        catch (ArgumentException ex)
        {
            WriteError(new ErrorRecord(ex, "ConductorTools.InvalidTaskDef", ErrorCategory.InvalidData, InputObject ?? Name));
            return;
        }
        foreach (var def in defs)
        {
            if (!ShouldProcess(def.Name, "Register task definition")) continue;
            Try(def, () =>
            {
                Call(ct => Api.RegisterTaskDefsAsync(new[] { def }, ct));
                DefinitionsChanged();
                if (PassThru) WriteObject(def);
            });
        }
    }

    private static IEnumerable<TaskDef> ReadFile(string file)
    {
        var text = File.ReadAllText(file);
        return text.TrimStart().StartsWith("[", StringComparison.Ordinal)
            ? ToModel<List<TaskDef>>(text, $"The file {file}")
            : new[] { ToModel<TaskDef>(text, $"The file {file}") };
    }

    private TaskDef FromFields()
    {
        var def = new TaskDef(Name) { Description = Description, OwnerEmail = OwnerEmail };
        if (RetryCount is { } rc) def.RetryCount = rc;
        if (RetryLogic is { } rl) def.RetryLogic = rl;
        if (RetryDelaySeconds is { } rd) def.RetryDelaySeconds = rd;
        if (TimeoutSeconds is { } ts) def.TimeoutSeconds = ts;
        if (ResponseTimeoutSeconds is { } rt) def.ResponseTimeoutSeconds = rt;
        else if (TimeoutSeconds is > 0 and < 3600) def.ResponseTimeoutSeconds = TimeoutSeconds.Value; // Conductor rejects responseTimeout > timeout
        if (TimeoutPolicy is { } tp) def.TimeoutPolicy = tp;
        def.PollTimeoutSeconds = PollTimeoutSeconds;
        def.ConcurrentExecLimit = ConcurrentExecLimit;
        def.RateLimitPerFrequency = RateLimitPerFrequency;
        def.RateLimitFrequencyInSeconds = RateLimitFrequencyInSeconds;
        if (BackoffScaleFactor is { } bs) def.BackoffScaleFactor = bs;
        def.InputKeys = InputKeys?.ToList();
        def.OutputKeys = OutputKeys?.ToList();
        if (InputTemplate is not null) def.InputTemplate = ToMap(InputTemplate, "-InputTemplate");
        return def;
    }
}

/// <summary>
/// <para type="synopsis">Updates an existing task definition.</para>
/// <para type="description">Pipe a TaskDef from Get-TaskDef after changing it; Conductor answers not-found for an unknown name.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "TaskDef", SupportsShouldProcess = true)]
[OutputType(typeof(TaskDef))]
public sealed class SetTaskDefCommand : ConductorCmdlet
{
    /// <summary><para type="description">The definition with its new values (TaskDef, hashtable or object).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object InputObject { get; set; } = null!;

    /// <summary><para type="description">Output the updated definition.</para></summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        Try(InputObject, () =>
        {
            var def = InputObject is TaskDef typed ? typed : ToModel<TaskDef>(InputObject, "-InputObject");
            if (!ShouldProcess(def.Name, "Update task definition")) return;
            Call(ct => Api.UpdateTaskDefAsync(def, ct));
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
        Try(Name, () =>
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
        var sources = ParameterSetName == PathSet
            ? Path.SelectMany(p => GetResolvedProviderPathFromPSPath(p, out _)).Select(f => (object)File.ReadAllText(f)).ToList()
            : new List<object> { InputObject };
        foreach (var source in sources)
        {
            Try(source, () =>
            {
                var def = source is WorkflowDef typed ? typed : ToModel<WorkflowDef>(source, ParameterSetName == PathSet ? "The file" : "-InputObject");
                if (!ShouldProcess($"{def.Name} v{def.Version}", "Register workflow definition")) return;
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
        Try(Name, () =>
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
