using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>
/// One task type's behaviour, in one place: its registration checks, how it is scheduled, how it starts, how it is
/// evaluated on each decider pass, and what its output is. Subclasses are found by <see cref="OperatorRegistry"/> (every
/// concrete subclass in this assembly with a parameterless constructor), so adding a task type is adding one file.
/// The defaults describe an operator the engine runs itself that is created, started and finished by its own code.
/// </summary>
internal abstract class Operator
{
    /// <summary>The workflow task <c>type</c> this operator runs (conductor-oss's <c>TaskType</c> name).</summary>
    public abstract string Type { get; }

    /// <summary>True for tasks handed to workers through a queue (SIMPLE, USER_DEFINED, DYNAMIC); false for the
    /// operators the engine runs itself (system tasks).</summary>
    public virtual bool IsWorker => false;

    /// <summary>False for the control-flow operators Conductor never retries (DeciderService.retry: built-in task types): a failure ends the branch.</summary>
    public virtual bool Retryable => true;

    /// <summary>True when retrying a workflow revives the failed task itself (IN_PROGRESS again, re-evaluated) instead of
    /// scheduling a new attempt (JOIN, DO_WHILE, the fork task).</summary>
    public virtual bool RetryResetsInPlace => false;

    /// <summary>The <c>taskType</c> of the task created for a workflow task.</summary>
    public virtual string TaskTypeFor(WorkflowTask wt) => wt.Type;

    // ---- registration ---------------------------------------------------------------------------------------------

    /// <summary>Adds this type's problems with <paramref name="task"/> (its fields are at <paramref name="path"/>).
    /// The checks every task gets (name, reference name, start delay, ...) are made before, by <c>DefinitionChecks</c>.</summary>
    public virtual void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
    }

    /// <summary>JavaScript the task carries, syntax-checked at registration: (field path, script).</summary>
    public virtual IEnumerable<(string Field, string Script)> ScriptsToCheck(WorkflowTask task) => Array.Empty<(string, string)>();

    // ---- execution ------------------------------------------------------------------------------------------------

    /// <summary>Creates the task(s) for a workflow task and starts them (Conductor's task mapper). The default creates
    /// one task with the resolved input, then starts it after the task's <c>startDelay</c>.</summary>
    public virtual void Schedule(OperatorContext context, WorkflowTask wt, int iteration)
    {
        var task = context.NewTask(wt, TaskTypeFor(wt), iteration);
        task.InputData = context.ResolveTaskInput(wt.InputParameters, Decider.EffectiveDef(task), task.TaskId!);
        PrepareInput(task, wt, iteration);
        context.Add(task);
        context.StartOrDefer(task, context.Now + wt.StartDelay * 1000L);
    }

    /// <summary>Adds what the operator keeps in the task's input besides the resolved parameters (JOIN's joinOn).</summary>
    protected virtual void PrepareInput(ConductorTask task, WorkflowTask wt, int iteration)
    {
    }

    /// <summary>Starts a newly created or retried system task: runs it now (synchronous operators) or begins it
    /// (IN_PROGRESS until <see cref="Evaluate"/> or an update finishes it). Worker tasks are queued by the decider and
    /// never get here. The default refuses: the operator creates and finishes its tasks while scheduling.</summary>
    public virtual void Start(OperatorContext context, ConductorTask task, long visibleAt) =>
        context.Finish(task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, $"Task type {task.TaskType} is not supported by the embedded engine.");

    /// <summary>Re-checks an unfinished system task on a decider pass (JOIN's branches, DO_WHILE's iteration, WAIT's
    /// deadline); true when something changed.</summary>
    public virtual bool Evaluate(OperatorContext context, ConductorTask task) => false;

    /// <summary>Whether the decider schedules the next task of the definition once this one is done; false when the
    /// operator leads the flow elsewhere (a fork's branches, a switch's chosen case, a TERMINATE).</summary>
    public virtual bool ContinuesAfter(ConductorTask task) => true;

    /// <summary>When the sweeper must look at this unfinished task again (a WAIT deadline), or null.</summary>
    public virtual long? WakeAt(ConductorTask task) => null;

    // ---- scripts, evaluated outside the writer lock ---------------------------------------------------------------

    /// <summary>For an operator that evaluates JavaScript: the script its waiting task needs and the input captured now,
    /// or null when the task no longer waits for one. Used to take up again an evaluation that was interrupted (the
    /// operator itself asks for the first evaluation with <see cref="OperatorContext.RequestScript"/>).</summary>
    public virtual ScriptJob? ScriptFor(OperatorContext context, ConductorTask task) => null;

    /// <summary>Applies a finished evaluation (<see cref="ScriptJob.Result"/> or <see cref="ScriptJob.Error"/>) to the
    /// task that waited for it, in a later transaction than the one that asked for it.</summary>
    public virtual void ApplyScript(OperatorContext context, ConductorTask task, ScriptJob job)
    {
    }
}

/// <summary>What an operator sees while it schedules, starts or evaluates a task: the transaction, the workflow and
/// the decider's services (scheduling other tasks, ending the workflow, starting workflows).</summary>
internal readonly struct OperatorContext
{
    public OperatorContext(Decider decider, Tx tx, WorkflowState state)
    {
        Decider = decider;
        Tx = tx;
        State = state;
    }

    public Decider Decider { get; }

    public Tx Tx { get; }

    public WorkflowState State { get; }

    public long Now => Tx.Now;

    public Workflow Workflow => State.Workflow;

    /// <summary>A new first attempt of a workflow task (not yet added to the workflow).</summary>
    public ConductorTask NewTask(WorkflowTask wt, string taskType, int iteration) => TaskAttempts.First(State, wt, taskType, iteration, Tx.Now);

    /// <summary>Adds a task to the workflow (next sequence number).</summary>
    public void Add(ConductorTask task) => Decider.Add(State, task);

    /// <summary>Schedules a workflow task unless a task with its reference name exists (the decider's rule).</summary>
    public void Schedule(WorkflowTask wt, int iteration) => Decider.Schedule(Tx, State, wt, iteration);

    /// <summary>Starts a task now, or once the enclosing <see cref="MapThenStart"/> has created every task.</summary>
    public void StartOrDefer(ConductorTask task, long visibleAt) => Decider.StartOrDefer(Tx, State, task, visibleAt);

    /// <summary>Runs <paramref name="map"/> (which schedules several tasks), then starts what it scheduled.</summary>
    public void MapThenStart(Action map) => Decider.MapThenStart(Tx, State, map);

    public void Finish(ConductorTask task, ConductorTaskStatus status, string? reason = null) => Decider.Finish(Tx, task, status, reason);

    public void EndWorkflow(WorkflowStatus status, string? reason, ConductorTask? failedTask) => Decider.EndWorkflow(Tx, State, status, reason, failedTask);

    public void CompleteByTerminate() => Decider.CompleteByTerminate(Tx, State);

    public WorkflowState StartWorkflow(StartWorkflowRequest request, string? parentWorkflowId = null, string? parentTaskId = null) =>
        Decider.StartWorkflow(Tx, request, parentWorkflowId, parentTaskId);

    public Dictionary<string, object?> ResolveTaskInput(Dictionary<string, object?>? inputParameters, TaskDef? taskDef, string taskId) =>
        Inputs.ResolveTaskInput(State, inputParameters, taskDef, taskId);

    public object? ResolveValue(object? value) => Inputs.ResolveValue(State, value);

    /// <summary>Asks for a script to be evaluated once this transaction has committed, outside the writer lock; the
    /// task's operator gets the outcome in <see cref="Operator.ApplyScript"/>.</summary>
    public void RequestScript(ScriptJob job) => Decider.RequestScript(Tx, State, job);

    /// <summary>Whether the task waits for a script evaluation.</summary>
    public bool AwaitsScript(ConductorTask task) => Tx.Store.QueueOf(task.TaskId!) == ScriptJob.Queue;
}
