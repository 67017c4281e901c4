using System.Globalization;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Conductor's execution semantics, after conductor-oss core/.../execution/DeciderService.java (decide) and
/// WorkflowExecutorOps.java: start and the decider loop here; ending a workflow (Decider.Ending.cs), failures and retries
/// (Decider.Retries.cs), timeouts (Decider.Timeouts.cs), task updates (Decider.Updates.cs) and the workflow operations
/// (Decider.Operations.cs). What each task type
/// does lives in its operator (<c>Execution/Operators/</c>); polling is <see cref="TaskPoller"/>'s. Everything runs
/// inside one <see cref="Tx"/>, under the engine's writer lock, so a pass is atomic.
/// </summary>
internal sealed partial class Decider
{
    private readonly ILogger _logger;
    private readonly Random _jitter = new();

    public Decider(ILogger logger)
    {
        _logger = logger;
    }

    // ---- start --------------------------------------------------------------------------------------------------

    public WorkflowState StartWorkflow(Tx tx, StartWorkflowRequest request, string? parentWorkflowId = null, string? parentTaskId = null)
    {
        if (request.Input is null)
        {
            throw ConductorException.BadRequest("NULL input passed when starting workflow");
        }
        if (request.WorkflowDef is null && string.IsNullOrWhiteSpace(request.Name))
        {
            throw ConductorException.BadRequest(DefinitionChecks.Message,
                new[] { new ValidationError("startWorkflow.request.name", "Workflow name cannot be null or empty") });
        }
        if (request.Priority is < 0 or > 99)
        {
            throw ConductorException.BadRequest(DefinitionChecks.Message,
                new[] { new ValidationError("startWorkflow.request.priority", "priority: can be between 0 and 99",
                    request.Priority.Value.ToString(CultureInfo.InvariantCulture)) });
        }
        WorkflowDef def;
        if (request.WorkflowDef is not null)
        {
            def = Clone(request.WorkflowDef);
        }
        else
        {
            var version = request.Version is null or 0 ? null : request.Version;
            def = tx.Store.GetWorkflowDef(request.Name, version)
                ?? throw ConductorException.NotFound(version is null
                    ? $"No such workflow defined. name={request.Name}, version=null"
                    : $"No such workflow defined. name={request.Name}, version={version}");
        }
        PopulateTaskDefinitions(tx, def);

        var input = ConductorJson.CloneMap(request.Input);
        // The definition's inputTemplate fills gaps only when some input was supplied (conductor-oss
        // WorkflowExecutorOps.java builds the workflow with ParametersUtils.getWorkflowInput only for a non-empty input).
        if (input.Count > 0 && def.InputTemplate is { Count: > 0 } template)
        {
            foreach (var pair in template)
            {
                if (!input.ContainsKey(pair.Key))
                {
                    input[pair.Key] = ConductorJson.DeepClone(pair.Value);
                }
            }
        }
        var workflow = new Workflow
        {
            WorkflowId = Ids.New(),
            WorkflowName = def.Name,
            WorkflowVersion = def.Version,
            WorkflowDefinition = def,
            Status = WorkflowStatus.RUNNING,
            Input = input,
            Output = new Dictionary<string, object?>(),
            CorrelationId = request.CorrelationId,
            Priority = request.Priority ?? 0,
            TaskToDomain = request.TaskToDomain is null ? null : new Dictionary<string, string>(request.TaskToDomain),
            Variables = ConductorJson.CloneMap(def.Variables),
            CreateTime = tx.Now,
            StartTime = tx.Now,
            UpdateTime = tx.Now,
            ParentWorkflowId = parentWorkflowId,
            ParentWorkflowTaskId = parentTaskId,
            CreatedBy = request.CreatedBy,
            IdempotencyKey = request.IdempotencyKey,
            ExternalInputPayloadStoragePath = request.ExternalInputPayloadStoragePath,
        };
        var state = tx.Add(workflow);
        Decide(tx, state);
        return state;
    }

    /// <summary>Snapshots registered TaskDefs into the definition (later edits do not affect running workflows).</summary>
    private static void PopulateTaskDefinitions(Tx tx, WorkflowDef def)
    {
        var cache = new Dictionary<string, TaskDef?>(StringComparer.Ordinal);
        foreach (var task in def.AllTasks())
        {
            if (task.TaskDefinition is not null || string.IsNullOrEmpty(task.Name))
            {
                continue;
            }
            if (!cache.TryGetValue(task.Name, out var registered))
            {
                registered = tx.Store.GetTaskDef(task.Name);
                cache[task.Name] = registered;
            }
            if (registered is not null)
            {
                task.TaskDefinition = registered;
            }
        }
    }

    // ---- decide -------------------------------------------------------------------------------------------------

    public void Decide(Tx tx, WorkflowState state)
    {
        if (state.Deciding)
        {
            return;
        }
        state.Deciding = true;
        try
        {
            // Each pass either changes something or stops; the bound only guards against a definition that loops forever.
            for (var pass = 0; pass < 100_000; pass++)
            {
                if (!DecideOnce(tx, state))
                {
                    return;
                }
            }
            EndWorkflow(tx, state, WorkflowStatus.FAILED, "The embedded engine stopped a workflow that kept scheduling tasks without end.", null);
        }
        finally
        {
            state.Deciding = false;
        }
    }

    private bool DecideOnce(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        if (workflow.Status.IsTerminal())
        {
            return false;
        }
        if (CheckWorkflowTimeout(tx, state))
        {
            return false;
        }
        if (workflow.Status == WorkflowStatus.PAUSED)
        {
            return false;
        }
        if (state.Tasks.Count == 0)
        {
            var first = FirstUnskipped(state, state.Definition.Tasks.FirstOrDefault());
            if (first is null)
            {
                Complete(tx, state);
                return false;
            }
            Schedule(tx, state, first, 0);
            return true;
        }

        var changed = false;
        foreach (var task in state.Tasks.ToList())
        {
            if (workflow.Status.IsTerminal())
            {
                return false;
            }
            if (task.Retried || task.Executed || task.Status == ConductorTaskStatus.SKIPPED)
            {
                continue;
            }
            var status = task.Status ?? ConductorTaskStatus.SCHEDULED;
            if (!status.IsTerminal())
            {
                if (OperatorRegistry.Of(task) is { IsWorker: false } op)
                {
                    changed |= op.Evaluate(new OperatorContext(this, tx, state), task);
                }
                if (!(task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
                {
                    changed |= CheckTimeouts(tx, state, task);
                }
                if (workflow.Status.IsTerminal())
                {
                    return false;
                }
                status = task.Status ?? ConductorTaskStatus.SCHEDULED;
                if (!status.IsTerminal())
                {
                    continue;
                }
            }
            if (!status.IsSuccessful())
            {
                HandleUnsuccessful(tx, state, task);
                changed = true;
                if (workflow.Status.IsTerminal())
                {
                    return false;
                }
                if (task.Retried)
                {
                    continue;
                }
            }
            task.Executed = true;
            changed = true;
            ScheduleNext(tx, state, task);
        }
        if (!changed && !workflow.Status.IsTerminal() && IsComplete(state))
        {
            Complete(tx, state);
            return false;
        }
        return changed;
    }

    private void ScheduleNext(Tx tx, WorkflowState state, ConductorTask task)
    {
        var wt = task.WorkflowTask;
        if (wt is null || !OperatorRegistry.For(wt.Type).ContinuesAfter(task))
        {
            return;
        }
        var next = FirstUnskipped(state, state.Navigator.NextOf(wt.TaskReferenceName));
        if (next is not null)
        {
            Schedule(tx, state, next, IterationFor(state, next));
        }
    }

    /// <summary>Walks past tasks pre-skipped by the skip API (Conductor's <c>isTaskSkipped</c> loop).</summary>
    private static WorkflowTask? FirstUnskipped(WorkflowState state, WorkflowTask? candidate)
    {
        while (candidate is not null && state.LatestByRef(candidate.TaskReferenceName) is { Status: ConductorTaskStatus.SKIPPED })
        {
            candidate = state.Navigator.NextOf(candidate.TaskReferenceName);
        }
        return candidate;
    }

    private static int IterationFor(WorkflowState state, WorkflowTask wt)
    {
        var loop = state.Navigator.LoopOf(wt.TaskReferenceName);
        return loop is null ? 0 : state.LatestByRef(loop.TaskReferenceName)?.Iteration ?? 0;
    }

    internal static string RefFor(WorkflowTask wt, int iteration) =>
        iteration > 0 ? wt.TaskReferenceName + "__" + iteration.ToString(CultureInfo.InvariantCulture) : wt.TaskReferenceName;

    private static bool IsComplete(WorkflowState state)
    {
        foreach (var task in state.Tasks)
        {
            if (!(task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                return false;
            }
        }
        foreach (var wt in state.Definition.Tasks)
        {
            if (state.LatestByRef(wt.TaskReferenceName) is null)
            {
                return false;
            }
        }
        return true;
    }

    // ---- scheduling and starting tasks -----------------------------------------------------------------------------

    /// <summary>Creates the task(s) for <paramref name="wt"/> and starts them, unless a task with that reference name
    /// already exists (the decider's "schedule unless present" rule). The task type's operator does the work.</summary>
    internal void Schedule(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        if (state.Workflow.Status.IsTerminal())
        {
            return;
        }
        if (state.LatestByRef(RefFor(wt, iteration)) is not null)
        {
            return;
        }
        OperatorRegistry.For(wt.Type).Schedule(new OperatorContext(this, tx, state), wt, iteration);
    }

    /// <summary>While a fork maps its branches, starts wait until every branch task exists (as Conductor's mappers
    /// create all tasks before any runs), so e.g. a TERMINATE in one branch cancels the others.</summary>
    private List<(ConductorTask Task, long VisibleAt)>? _deferredStarts;

    internal void StartOrDefer(Tx tx, WorkflowState state, ConductorTask task, long visibleAt)
    {
        if (_deferredStarts is not null)
        {
            _deferredStarts.Add((task, visibleAt));
            return;
        }
        StartTask(tx, state, task, visibleAt);
    }

    internal void MapThenStart(Tx tx, WorkflowState state, Action map)
    {
        var outer = _deferredStarts;
        _deferredStarts = new List<(ConductorTask, long)>();
        List<(ConductorTask Task, long VisibleAt)> pending;
        try
        {
            map();
        }
        finally
        {
            pending = _deferredStarts;
            _deferredStarts = outer;
        }
        foreach (var (task, visibleAt) in pending)
        {
            if (!state.Workflow.Status.IsTerminal() && !(task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                StartOrDefer(tx, state, task, visibleAt);
            }
        }
    }

    internal static void Add(WorkflowState state, ConductorTask task)
    {
        task.Seq = state.NextSeq();
        state.Tasks.Add(task);
    }

    /// <summary>Starts a newly created (or retried) task: worker tasks go to their queue (in their domain, visible at
    /// <paramref name="visibleAt"/>); system tasks are started by their operator.</summary>
    internal void StartTask(Tx tx, WorkflowState state, ConductorTask task, long visibleAt)
    {
        var op = OperatorRegistry.Of(task);
        if (op.IsWorker)
        {
            task.Domain = ResolveDomain(tx, state, task.TaskType!);
            var queue = QueueName(task.TaskType!, task.Domain);
            tx.Store.Enqueue(task.TaskId!, queue, visibleAt, state.Workflow.Priority, tx.Now);
            tx.WokenQueues.Add(queue);
            return;
        }
        op.Start(new OperatorContext(this, tx, state), task, visibleAt);
    }

    // ---- scripts (evaluated outside the writer lock) -------------------------------------------------------------

    internal static void RequestScript(Tx tx, WorkflowState state, ScriptJob job)
    {
        tx.Store.Enqueue(job.TaskId, ScriptJob.Queue, tx.Now + ScriptJob.LeaseMs, state.Workflow.Priority, tx.Now);
        tx.ScriptJobs.Add(job);
    }

    /// <summary>Applies finished script evaluations: each to its task if the task still waits for it (the queue entry
    /// is the claim: the first to apply removes it), then decides the workflow.</summary>
    public void ApplyScripts(Tx tx, IEnumerable<ScriptJob> jobs)
    {
        foreach (var job in jobs)
        {
            if (!tx.Store.IsQueued(job.TaskId))
            {
                continue;
            }
            tx.Store.Dequeue(job.TaskId);
            if (tx.Load(job.WorkflowId) is not { } state || state.Workflow.Status.IsTerminal()
                || state.TaskById(job.TaskId) is not { } task || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                continue;
            }
            OperatorRegistry.Of(task).ApplyScript(new OperatorContext(this, tx, state), task, job);
            Decide(tx, state);
        }
    }

    /// <summary>Takes up evaluations whose lease ran out (the process that asked for them stopped): captures their
    /// input again and extends the lease.</summary>
    public List<ScriptJob> ClaimDueScripts(Tx tx, int limit)
    {
        var jobs = new List<ScriptJob>();
        foreach (var taskId in tx.Store.DueTaskIds(ScriptJob.Queue, tx.Now, limit))
        {
            var workflowId = tx.Store.GetTaskWorkflowId(taskId);
            var state = workflowId is null ? null : tx.Load(workflowId);
            var task = state?.TaskById(taskId);
            var job = state is null || task is null || state.Workflow.Status.IsTerminal() || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal()
                ? null
                : OperatorRegistry.Of(task).ScriptFor(new OperatorContext(this, tx, state), task);
            if (job is null)
            {
                tx.Store.Dequeue(taskId);
                continue;
            }
            tx.Store.Postpone(taskId, tx.Now + ScriptJob.LeaseMs);
            jobs.Add(job);
        }
        return jobs;
    }

    internal static void Finish(Tx tx, ConductorTask task, ConductorTaskStatus status, string? reason = null)
    {
        task.Status = status;
        if (reason is not null)
        {
            task.ReasonForIncompletion = reason;
        }
        if (task.StartTime == 0)
        {
            task.StartTime = tx.Now;
        }
        task.EndTime = tx.Now;
        task.UpdateTime = tx.Now;
    }

    // ---- domains (conductor-oss WorkflowExecutorOps.getActiveDomain) -----------------------------------------------------------------------------------------

    /// <summary>How long a domain counts as having active workers after its last poll (Conductor's activeWorkerLastPollTimeout).</summary>
    private const long ActiveWorkerWindowMs = 10_000;

    private static string? ResolveDomain(Tx tx, WorkflowState state, string taskType)
    {
        var map = state.Workflow.TaskToDomain;
        if (map is null || map.Count == 0)
        {
            return null;
        }
        if (!map.TryGetValue(taskType, out var value) && !map.TryGetValue("*", out value))
        {
            return null;
        }
        var domains = (value ?? "").Split(',').Select(d => d.Trim()).Where(d => d.Length > 0).ToArray();
        if (domains.Length == 0)
        {
            return null;
        }
        foreach (var domain in domains)
        {
            if (string.Equals(domain, "NO_DOMAIN", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (domains.Length > 1 && tx.Store.LastPollTime(taskType, domain) is { } last && tx.Now - last <= ActiveWorkerWindowMs)
            {
                return domain;
            }
        }
        var fallback = domains[domains.Length - 1];
        return string.Equals(fallback, "NO_DOMAIN", StringComparison.OrdinalIgnoreCase) ? null : fallback;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>Whether workers run the task (through a queue), rather than the engine.</summary>
    internal static bool IsWorkerTask(ConductorTask task) => OperatorRegistry.Of(task).IsWorker;

    /// <summary>The TaskDef in force for a task: its snapshot, else Conductor's ad-hoc default (worker tasks get the
    /// TaskDef defaults; system tasks get no retries and no response timeout).</summary>
    internal static TaskDef EffectiveDef(ConductorTask task)
    {
        if (task.WorkflowTask?.TaskDefinition is { } def)
        {
            return def;
        }
        var name = task.TaskDefName ?? task.TaskType ?? "";
        return IsWorkerTask(task) ? new TaskDef(name) : new TaskDef(name) { RetryCount = 0, ResponseTimeoutSeconds = 0 };
    }

    internal static T Clone<T>(T value) => ConductorJson.Deserialize<T>(ConductorJson.Serialize(value))!;

    internal static object? ToPlain<T>(T value)
    {
        using var document = JsonDocument.Parse(ConductorJson.Serialize(value));
        return ConductorJson.ToPlain(document.RootElement);
    }

    internal static string QueueName(string taskType, string? domain) =>
        string.IsNullOrEmpty(domain) ? taskType : domain + ":" + taskType;
}
