using System.Collections;
using System.Management.Automation;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.PowerShell.Commands;

/// <summary>Workflow cmdlets that act on workflow ids from the pipeline (objects with a WorkflowId property bind by name).</summary>
public abstract class WorkflowIdCmdlet : ConductorCmdlet
{
    /// <summary><para type="description">The workflow ids (Workflow and WorkflowSummary objects bind by their WorkflowId).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    public string[] WorkflowId { get; set; } = Array.Empty<string>();

    protected void ForEachWorkflow(string action, Action<string> body)
    {
        foreach (var id in WorkflowId)
        {
            if (ShouldProcess(id, action)) Try(id, () => body(id));
        }
    }
}

/// <summary>The workflow control cmdlets: act on each workflow id, and with -PassThru output the workflow afterwards.</summary>
public abstract class WorkflowControlCmdlet : WorkflowIdCmdlet
{
    /// <summary><para type="description">Output each workflow after the operation (without its tasks; Get-Workflow has them).</para></summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    /// <summary>Runs <paramref name="body"/> per confirmed id; with -PassThru, outputs the workflow as it is then
    /// (<paramref name="before"/>: as it was before, for an operation that removes it).</summary>
    protected void Control(string action, Action<string> body, bool before = false) => ForEachWorkflow(action, id =>
    {
        Workflow? snapshot = PassThru && before ? Call(ct => Api.GetWorkflowAsync(id, false, ct)) : null;
        body(id);
        if (PassThru) WriteObject(snapshot ?? Call(ct => Api.GetWorkflowAsync(id, false, ct)));
    });
}

/// <summary>
/// <para type="synopsis">Starts a workflow.</para>
/// <para type="description">Returns the workflow id, or with -Wait the finished workflow.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Workflow", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(Workflow))]
public sealed class StartWorkflowCommand : ConductorCmdlet
{
    /// <summary><para type="description">The workflow definition name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WorkflowNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The workflow input (hashtable or object).</para></summary>
    [Parameter(Position = 1)]
    public object? Input { get; set; }

    /// <summary><para type="description">The definition version (default: latest).</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Version { get; set; }

    /// <summary><para type="description">A correlation id to find the workflow by later.</para></summary>
    [Parameter] public string? CorrelationId { get; set; }

    /// <summary><para type="description">Priority 0-99 (higher first).</para></summary>
    [Parameter] [ValidateRange(0, 99)] public int Priority { get; set; }

    /// <summary><para type="description">Task type to domain map (e.g. @{ '*' = 'blue' }).</para></summary>
    [Parameter] public Hashtable? TaskToDomain { get; set; }

    /// <summary><para type="description">Wait for the workflow to finish and output it.</para></summary>
    [Parameter] public SwitchParameter Wait { get; set; }

    /// <summary><para type="description">How long -Wait waits (default 5 minutes).</para></summary>
    [Parameter] public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Start workflow")) return;
        Try(Name, () =>
        {
            var request = new StartWorkflowRequest
            {
                Name = Name,
                Version = Version,
                Input = ToMap(Input, "-Input"),
                CorrelationId = CorrelationId,
                Priority = Priority,
                TaskToDomain = TaskToDomain?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? ""),
            };
            var id = Call(ct => Api.StartWorkflowAsync(request, ct));
            WriteVerbose($"Started workflow {Name}: {id}");
            WriteObject(Wait ? WaitWithProgress(id, Timeout, $"Start-Workflow {Name} -Wait") : id);
        });
    }
}

/// <summary>
/// <para type="synopsis">Gets workflow executions by id, or searches them.</para>
/// <para type="description">By id (from the pipeline) returns the workflow with its tasks; otherwise searches by name,
/// status, correlation id and start time, returning summaries.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Workflow", DefaultParameterSetName = SearchSet)]
[OutputType(typeof(Workflow), ParameterSetName = new[] { IdSet })]
[OutputType(typeof(WorkflowSummary), ParameterSetName = new[] { SearchSet })]
public sealed class GetWorkflowCommand : ConductorCmdlet
{
    private const string IdSet = "Id";
    private const string SearchSet = "Search";

    /// <summary><para type="description">Workflow ids.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    public string[] WorkflowId { get; set; } = Array.Empty<string>();

    /// <summary><para type="description">Leave out the tasks.</para></summary>
    [Parameter(ParameterSetName = IdSet)] public SwitchParameter ExcludeTasks { get; set; }

    /// <summary><para type="description">Workflow definition name.</para></summary>
    [Parameter(ParameterSetName = SearchSet, Position = 0)]
    [ArgumentCompleter(typeof(WorkflowNameCompleter))]
    public string? Name { get; set; }

    /// <summary><para type="description">Statuses to find.</para></summary>
    [Parameter(ParameterSetName = SearchSet)]
    [ArgumentCompleter(typeof(WorkflowStatusCompleter))]
    public WorkflowStatus[]? Status { get; set; }

    /// <summary><para type="description">Correlation id.</para></summary>
    [Parameter(ParameterSetName = SearchSet)] public string? CorrelationId { get; set; }

    /// <summary><para type="description">Started at or after this time.</para></summary>
    [Parameter(ParameterSetName = SearchSet)] public DateTime? StartedAfter { get; set; }

    /// <summary><para type="description">Started at or before this time.</para></summary>
    [Parameter(ParameterSetName = SearchSet)] public DateTime? StartedBefore { get; set; }

    /// <summary><para type="description">Most results to return (default 100); more than 5000 are fetched in pages.</para></summary>
    [Parameter(ParameterSetName = SearchSet)] [ValidateRange(1, int.MaxValue)] public int First { get; set; } = 100;

    protected override void ProcessRecord()
    {
        // `Get-Workflow <id>` binds the id to -Name by position: an id-shaped value with no other filter is an id.
        var idByPosition = ParameterSetName == SearchSet && WorkflowSearchQuery.LooksLikeWorkflowId(Name) && Status is null
            && CorrelationId is null && StartedAfter is null && StartedBefore is null;
        if (ParameterSetName == IdSet || idByPosition)
        {
            var ids = idByPosition ? new[] { Name!.Trim() } : WorkflowId;
            foreach (var id in ids) Try(id, () => WriteObject(Call(ct => Api.GetWorkflowAsync(id, !ExcludeTasks, ct))));
            return;
        }
        Try(Name, () =>
        {
            var names = new List<string?>();
            if (Name is not null && WildcardPattern.ContainsWildcardCharacters(Name))
            {
                names.AddRange(Call(ct => Api.GetWorkflowDefsAsync(ct)).Select(d => d.Name).Distinct(StringComparer.Ordinal)
                    .Where(n => Matches(n, new[] { Name })));
                if (names.Count == 0) return;
            }
            else
            {
                names.Add(Name);
            }
            var found = new List<WorkflowSummary>();
            foreach (var name in names)
            {
                var query = WorkflowSearchQuery.Build(name, Status, CorrelationId,
                    StartedAfter is { } a ? new DateTimeOffset(a.ToUniversalTime()) : null,
                    StartedBefore is { } b ? new DateTimeOffset(b.ToUniversalTime()) : null);
                found.AddRange(Call(ct => SearchPaging.SearchWorkflowsAsync(Api, query, "startTime:DESC", First, cancellationToken: ct)));
            }
            IEnumerable<WorkflowSummary> results = found;
            if (names.Count > 1) results = found.OrderByDescending(w => w.StartTime, StringComparer.Ordinal).Take(First);
            foreach (var summary in results) WriteObject(summary);
        });
    }
}

/// <summary>
/// <para type="synopsis">Waits for workflows to finish.</para>
/// <para type="description">Outputs each workflow once it is COMPLETED, FAILED, TIMED_OUT or TERMINATED.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "Workflow")]
[OutputType(typeof(Workflow))]
public sealed class WaitWorkflowCommand : WorkflowIdCmdlet
{
    /// <summary><para type="description">How long to wait for each (default 5 minutes).</para></summary>
    [Parameter] public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    protected override void ProcessRecord()
    {
        foreach (var id in WorkflowId) Try(id, () => WriteObject(WaitWithProgress(id, Timeout, "Wait-Workflow")));
    }
}

/// <summary>
/// <para type="synopsis">Terminates running workflows.</para>
/// <para type="description">Cancels their pending tasks. A COMPLETED workflow cannot be terminated.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "Workflow", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Workflow))]
public sealed class StopWorkflowCommand : WorkflowControlCmdlet
{
    /// <summary><para type="description">Why (recorded on the workflow).</para></summary>
    [Parameter] public string? Reason { get; set; }

    protected override void ProcessRecord() => Control("Terminate workflow", id => Call(ct => Api.TerminateWorkflowAsync(id, Reason, ct)));
}

/// <summary>
/// <para type="synopsis">Pauses workflows.</para>
/// <para type="description">No new tasks are scheduled until Resume-Workflow; running tasks may finish.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Suspend, "Workflow", SupportsShouldProcess = true)]
[OutputType(typeof(Workflow))]
public sealed class SuspendWorkflowCommand : WorkflowControlCmdlet
{
    protected override void ProcessRecord() => Control("Pause workflow", id => Call(ct => Api.PauseWorkflowAsync(id, ct)));
}

/// <summary>
/// <para type="synopsis">Resumes paused workflows.</para>
/// <para type="description">A workflow that is not paused is an error.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "Workflow", SupportsShouldProcess = true)]
[OutputType(typeof(Workflow))]
public sealed class ResumeWorkflowCommand : WorkflowControlCmdlet
{
    protected override void ProcessRecord() => Control("Resume workflow", id => Call(ct => Api.ResumeWorkflowAsync(id, ct)));
}

/// <summary>
/// <para type="synopsis">Restarts finished workflows from the beginning.</para>
/// <para type="description">Same workflow id and input; every task runs again.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "Workflow", SupportsShouldProcess = true)]
[OutputType(typeof(Workflow))]
public sealed class RestartWorkflowCommand : WorkflowControlCmdlet
{
    /// <summary><para type="description">Use the latest workflow and task definitions.</para></summary>
    [Parameter] public SwitchParameter UseLatestDefinitions { get; set; }

    protected override void ProcessRecord() =>
        Control("Restart workflow", id => Call(ct => Api.RestartWorkflowAsync(id, UseLatestDefinitions, ct)));
}

/// <summary>
/// <para type="synopsis">Retries failed workflows from their failed tasks.</para>
/// <para type="description">Failed, timed-out and canceled tasks get a new attempt; completed ones are kept.</para>
/// </summary>
[Cmdlet(VerbsCommon.Redo, "Workflow", SupportsShouldProcess = true)]
[OutputType(typeof(Workflow))]
public sealed class RedoWorkflowCommand : WorkflowControlCmdlet
{
    /// <summary><para type="description">Retry inside the failed sub-workflow instead of restarting it.</para></summary>
    [Parameter] public SwitchParameter ResumeSubworkflowTasks { get; set; }

    protected override void ProcessRecord() =>
        Control("Retry workflow", id => Call(ct => Api.RetryWorkflowAsync(id, ResumeSubworkflowTasks, ct)));
}

/// <summary>
/// <para type="synopsis">Reruns a finished workflow, optionally from one of its tasks.</para>
/// <para type="description">Without -FromTaskId starts over (optionally with new input); with it, drops the later tasks and
/// reschedules that task.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "WorkflowRerun", SupportsShouldProcess = true)]
[OutputType(typeof(string))]
public sealed class InvokeWorkflowRerunCommand : WorkflowIdCmdlet
{
    /// <summary><para type="description">The task to rerun from.</para></summary>
    [Parameter] public string? FromTaskId { get; set; }

    /// <summary><para type="description">New workflow input.</para></summary>
    [Parameter] public object? Input { get; set; }

    /// <summary><para type="description">New input for the task rerun from.</para></summary>
    [Parameter] public object? TaskInput { get; set; }

    /// <summary><para type="description">New correlation id.</para></summary>
    [Parameter] public string? CorrelationId { get; set; }

    protected override void ProcessRecord() => ForEachWorkflow("Rerun workflow", id =>
    {
        var request = new RerunWorkflowRequest
        {
            ReRunFromWorkflowId = id,
            ReRunFromTaskId = FromTaskId,
            WorkflowInput = Input is null ? null : ToMap(Input, "-Input"),
            TaskInput = TaskInput is null ? null : ToMap(TaskInput, "-TaskInput"),
            CorrelationId = CorrelationId,
        };
        WriteObject(Call(ct => Api.RerunWorkflowAsync(id, request, ct)));
    });
}

/// <summary>
/// <para type="synopsis">Skips a task of a running workflow that has not been scheduled yet.</para>
/// <para type="description">The workflow passes over it with the given output.</para>
/// </summary>
[Cmdlet(VerbsCommon.Skip, "WorkflowTask", SupportsShouldProcess = true)]
[OutputType(typeof(Workflow))]
public sealed class SkipWorkflowTaskCommand : WorkflowControlCmdlet
{
    /// <summary><para type="description">The task's reference name.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string TaskReferenceName { get; set; } = "";

    /// <summary><para type="description">Output to record for the skipped task.</para></summary>
    [Parameter] public object? Output { get; set; }

    protected override void ProcessRecord() => Control($"Skip task {TaskReferenceName}", id =>
        Call(ct => WorkflowOperations.SkipTaskAsync(Api, id, TaskReferenceName,
            new SkipTaskRequest { TaskOutput = Output is null ? null : ToMap(Output, "-Output") }, ct)));
}

/// <summary>
/// <para type="synopsis">Removes workflow executions and their data.</para>
/// <para type="description">Cannot be undone.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Workflow", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Workflow))]
public sealed class RemoveWorkflowCommand : WorkflowControlCmdlet
{
    protected override void ProcessRecord() => Control("Remove workflow", id => Call(ct => Api.RemoveWorkflowAsync(id, true, ct)), before: true);
}
