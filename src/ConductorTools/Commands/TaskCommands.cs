using System.Collections;
using System.Management.Automation;
using ConductorTools.Model;

namespace ConductorTools.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Gets tasks by id, or the tasks of a workflow.</para>
/// <para type="description">With -IncludeLog the task's execution log lines are written as information records.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Task", DefaultParameterSetName = TaskSet)]
[OutputType(typeof(ConductorTask))]
public sealed class GetTaskCommand : ConductorCmdlet
{
    private const string TaskSet = "TaskId";
    private const string WorkflowSet = "WorkflowId";

    /// <summary><para type="description">Task ids.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = TaskSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[] TaskId { get; set; } = Array.Empty<string>();

    /// <summary><para type="description">A workflow whose tasks to list.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = WorkflowSet, ValueFromPipelineByPropertyName = true)]
    public string WorkflowId { get; set; } = "";

    /// <summary><para type="description">Only tasks with these statuses.</para></summary>
    [Parameter(ParameterSetName = WorkflowSet)]
    [ArgumentCompleter(typeof(TaskStatusCompleter))]
    public ConductorTaskStatus[]? Status { get; set; }

    /// <summary><para type="description">Also write each task's execution logs.</para></summary>
    [Parameter] public SwitchParameter IncludeLog { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == WorkflowSet)
        {
            Try(WorkflowId, () =>
            {
                foreach (var task in Call(ct => Api.GetWorkflowAsync(WorkflowId, true, ct)).Tasks
                    .Where(t => Status is null || Status.Length == 0 || (t.Status is { } s && Status.Contains(s))))
                {
                    Emit(task);
                }
            });
            return;
        }
        foreach (var id in TaskId) Try(id, () => Emit(Call(ct => Api.GetTaskAsync(id, ct))));
    }

    private void Emit(ConductorTask task)
    {
        WriteObject(task);
        if (!IncludeLog || task.TaskId is null) return;
        foreach (var log in Call(ct => Api.GetTaskLogsAsync(task.TaskId, ct)))
        {
            WriteInformation(new InformationRecord(log.Log, $"task {task.TaskId}"));
        }
    }
}

/// <summary>
/// <para type="synopsis">Gets the number of tasks waiting in queues.</para>
/// <para type="description">One object per task type with its pending count.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "TaskQueue")]
[OutputType(typeof(PSObject))]
public sealed class GetTaskQueueCommand : ConductorCmdlet
{
    /// <summary><para type="description">Task types (default: every registered task definition).</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string[]? TaskType { get; set; }

    /// <summary><para type="description">The domain whose queue to count.</para></summary>
    [Parameter] public string? Domain { get; set; }

    protected override void ProcessRecord()
    {
        Try(TaskType, () =>
        {
            var types = TaskType is { Length: > 0 } ? TaskType : Call(ct => Api.GetTaskDefsAsync(ct)).Select(d => d.Name).ToArray();
            foreach (var type in types)
            {
                var size = Call(ct => Api.GetQueueSizeAsync(type, Domain, ct));
                var record = new PSObject();
                record.TypeNames.Insert(0, "ConductorTools.TaskQueue");
                record.Properties.Add(new PSNoteProperty("TaskType", type));
                record.Properties.Add(new PSNoteProperty("Domain", Domain));
                record.Properties.Add(new PSNoteProperty("Pending", size));
                WriteObject(record);
            }
        });
    }
}

/// <summary>
/// <para type="synopsis">Completes (or fails) a task from outside: WAIT and HUMAN tasks, or any pending task.</para>
/// <para type="description">By task id, or by workflow id and task reference name (the output is then merged into the
/// task's output, as Conductor does).</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Complete, "Task", SupportsShouldProcess = true, DefaultParameterSetName = RefSet)]
[OutputType(typeof(string))]
public sealed class CompleteTaskCommand : ConductorCmdlet
{
    private const string RefSet = "Reference";
    private const string IdSet = "TaskId";

    /// <summary><para type="description">The workflow holding the task.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("WorkflowInstanceId")]
    public string WorkflowId { get; set; } = "";

    /// <summary><para type="description">The task's reference name (its first pending task with that name is updated).</para></summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = RefSet, ValueFromPipelineByPropertyName = true)]
    [Alias("ReferenceTaskName")]
    public string TaskReferenceName { get; set; } = "";

    /// <summary><para type="description">The task id.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    public string TaskId { get; set; } = "";

    /// <summary><para type="description">COMPLETED (default), FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS.</para></summary>
    [Parameter]
    [ArgumentCompleter(typeof(TaskResultStatusCompleter))]
    public TaskResultStatus Status { get; set; } = TaskResultStatus.COMPLETED;

    /// <summary><para type="description">The task output (hashtable or object).</para></summary>
    [Parameter] public object? Output { get; set; }

    /// <summary><para type="description">Why it failed (with a failed status).</para></summary>
    [Parameter]
    [Alias("ReasonForIncompletion")]
    public string? Reason { get; set; }

    protected override void ProcessRecord()
    {
        var target = ParameterSetName == IdSet ? TaskId : $"{WorkflowId}/{TaskReferenceName}";
        if (!ShouldProcess(target, $"Set task status {Status}")) return;
        Try(target, () =>
        {
            var output = ToMap(Output, "-Output");
            if (ParameterSetName == IdSet)
            {
                WriteObject(Call(ct => Api.UpdateTaskAsync(new TaskResult(WorkflowId, TaskId, Status)
                {
                    OutputData = output,
                    ReasonForIncompletion = Reason,
                }, ct)));
                return;
            }
            var id = Call(ct => Api.UpdateTaskByRefNameAsync(WorkflowId, TaskReferenceName, Status, output, null, ct));
            if (id is null)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException(
                    $"Workflow {WorkflowId} has no pending task '{TaskReferenceName}'. Check the reference name (Get-Task -WorkflowId {WorkflowId})."),
                    "ConductorTools.NoPendingTask", ErrorCategory.ObjectNotFound, target));
                return;
            }
            WriteObject(id);
        });
    }
}

/// <summary>
/// <para type="synopsis">Creates a task result for a worker script block that needs full control.</para>
/// <para type="description">Output it from an Invoke-WorkerLoop script block: IN_PROGRESS with a callback, a terminal
/// failure, explicit logs. Ids are filled in from the task being worked on.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "TaskResult")]
[OutputType(typeof(TaskResult))]
public sealed class NewTaskResultCommand : PSCmdlet
{
    /// <summary><para type="description">COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS.</para></summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(TaskResultStatusCompleter))]
    public TaskResultStatus Status { get; set; } = TaskResultStatus.COMPLETED;

    /// <summary><para type="description">The task output.</para></summary>
    [Parameter(Position = 1)] public object? Output { get; set; }

    /// <summary><para type="description">Poll the task again after this many seconds (with IN_PROGRESS).</para></summary>
    [Parameter] [ValidateRange(0, long.MaxValue)] public long CallbackAfterSeconds { get; set; }

    /// <summary><para type="description">Why the task failed.</para></summary>
    [Parameter]
    [Alias("ReasonForIncompletion")]
    public string? Reason { get; set; }

    /// <summary><para type="description">Log lines to attach.</para></summary>
    [Parameter] public string[]? Log { get; set; }

    /// <summary><para type="description">The task (default: filled in by Invoke-WorkerLoop).</para></summary>
    [Parameter] public ConductorTask? Task { get; set; }

    protected override void EndProcessing()
    {
        var result = new TaskResult(Task?.WorkflowInstanceId ?? "", Task?.TaskId ?? "", Status)
        {
            OutputData = Conversion.PlainValues.ToMap(Output, "-Output", ConductorCmdlet.Unwrap),
            CallbackAfterSeconds = CallbackAfterSeconds,
            ReasonForIncompletion = Reason,
        };
        foreach (var line in Log ?? Array.Empty<string>()) result.AddLog(line);
        WriteObject(result);
    }
}
