using System.Globalization;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Conductor's execution semantics (protocol §4): start, the decider loop (§4.9), retries (§4.4), timeouts (§4.5),
/// completion and output (§4.8), ending a workflow and its failure workflow. Everything runs inside one
/// <see cref="Tx"/>, under the engine's writer lock, so a pass is atomic.
/// </summary>
internal sealed partial class Decider
{
    /// <summary>Operators that are never retried (§4.4).</summary>
    private static readonly HashSet<string> BuiltIns = new(StringComparer.Ordinal)
    {
        WorkflowTaskTypes.Decision, WorkflowTaskTypes.Switch, WorkflowTaskTypes.Fork, WorkflowTaskTypes.ForkJoin,
        WorkflowTaskTypes.ForkJoinDynamic, WorkflowTaskTypes.Join, WorkflowTaskTypes.ExclusiveJoin, WorkflowTaskTypes.DoWhile,
        WorkflowTaskTypes.Terminate,
    };

    /// <summary>Types the engine runs itself; every other type string is a worker task.</summary>
    internal static readonly HashSet<string> SystemTypes = new(StringComparer.Ordinal)
    {
        WorkflowTaskTypes.Decision, WorkflowTaskTypes.Switch, WorkflowTaskTypes.ForkJoin, WorkflowTaskTypes.ForkJoinDynamic,
        WorkflowTaskTypes.Fork, WorkflowTaskTypes.Join, WorkflowTaskTypes.DoWhile, WorkflowTaskTypes.Wait, WorkflowTaskTypes.SetVariable,
        WorkflowTaskTypes.Terminate, WorkflowTaskTypes.SubWorkflow, WorkflowTaskTypes.StartWorkflow, WorkflowTaskTypes.Inline,
        WorkflowTaskTypes.Http, WorkflowTaskTypes.Human, WorkflowTaskTypes.Noop, WorkflowTaskTypes.JsonJqTransform,
        WorkflowTaskTypes.ExclusiveJoin, WorkflowTaskTypes.Lambda, WorkflowTaskTypes.Event, WorkflowTaskTypes.KafkaPublish,
    };

    /// <summary>Reserved queue for HTTP tasks, run by the sweeper (workers never poll it: it has a colon-free name no
    /// task type can produce with a domain, and the underscore prefix is not a Conductor type).</summary>
    internal const string HttpQueue = "_system:HTTP";

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
            throw ConductorException.BadRequest("Validation failed, check below errors for detail.",
                new[] { new ValidationError("startWorkflow.request.name", "Workflow name cannot be null or empty") });
        }
        if (request.Priority is < 0 or > 99)
        {
            throw ConductorException.BadRequest("Validation failed, check below errors for detail.",
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
        // §4.11: template keys fill gaps only when some input was supplied.
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
                if (!IsWorkerTask(task))
                {
                    changed |= ExecuteSystemTask(tx, state, task);
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
        if (wt is null)
        {
            return;
        }
        switch (wt.Type)
        {
            case WorkflowTaskTypes.Terminate:
            case WorkflowTaskTypes.ForkJoin:
            case WorkflowTaskTypes.ForkJoinDynamic:
                return;
            case WorkflowTaskTypes.Switch:
            case WorkflowTaskTypes.Decision:
                if (task.InputData is { } input && input.TryGetValue("hasChildren", out var has) && has is true)
                {
                    return;
                }
                break;
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

    // ---- completion and ending ----------------------------------------------------------------------------------

    private void Complete(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        var permissiveFailure = state.Tasks.FirstOrDefault(t => !t.Retried && t.WorkflowTask?.Permissive == true
            && t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR
                or ConductorTaskStatus.TIMED_OUT or ConductorTaskStatus.CANCELED);
        if (permissiveFailure is not null)
        {
            EndWorkflow(tx, state, WorkflowStatus.FAILED,
                $"Task {permissiveFailure.TaskId} failed with status: {permissiveFailure.Status} and reason: '{permissiveFailure.ReasonForIncompletion}'",
                permissiveFailure);
            return;
        }
        workflow.Status = WorkflowStatus.COMPLETED;
        workflow.EndTime = tx.Now;
        workflow.Output = ComputeOutput(state);
        var failed = state.Tasks.Where(t => t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR).ToList();
        workflow.FailedReferenceTaskNames = failed.Select(t => t.ReferenceTaskName!).Distinct().ToList();
        workflow.FailedTaskNames = failed.Select(t => t.TaskDefName!).Distinct().ToList();
        _logger.LogDebug("Workflow {WorkflowId} ({Name}) completed", workflow.WorkflowId, workflow.WorkflowName);
        NotifyParent(tx, state);
    }

    private static Dictionary<string, object?> ComputeOutput(WorkflowState state)
    {
        var terminate = state.Tasks.LastOrDefault(t => t.TaskType == WorkflowTaskTypes.Terminate && t.Status == ConductorTaskStatus.COMPLETED);
        if (terminate is not null)
        {
            return ConductorJson.CloneMap(terminate.OutputData);
        }
        if (state.Definition.OutputParameters is { Count: > 0 } outputParameters)
        {
            return Inputs.ResolveMap(state, outputParameters);
        }
        return ConductorJson.CloneMap(state.Tasks.LastOrDefault()?.OutputData);
    }

    /// <summary>
    /// Ends a running workflow with a non-success status: cancels what is still pending (children too), computes the
    /// output, starts the failure workflow when the engine (not the API) ended it, and tells a parent.
    /// </summary>
    public void EndWorkflow(Tx tx, WorkflowState state, WorkflowStatus status, string? reason, ConductorTask? failedTask,
        bool triggerFailureWorkflow = true)
    {
        var workflow = state.Workflow;
        if (workflow.Status.IsTerminal())
        {
            return;
        }
        workflow.Status = status;
        workflow.ReasonForIncompletion = reason;
        workflow.EndTime = tx.Now;
        CancelPendingTasks(tx, state);
        workflow.Output = ComputeOutput(state);
        var failed = state.Tasks.Where(t => t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR
            or ConductorTaskStatus.TIMED_OUT).ToList();
        workflow.FailedReferenceTaskNames = failed.Select(t => t.ReferenceTaskName!).Distinct().ToList();
        workflow.FailedTaskNames = failed.Select(t => t.TaskDefName!).Distinct().ToList();
        _logger.LogDebug("Workflow {WorkflowId} ({Name}) ended {Status}: {Reason}", workflow.WorkflowId, workflow.WorkflowName, status, reason);
        if (triggerFailureWorkflow && status != WorkflowStatus.COMPLETED)
        {
            StartFailureWorkflow(tx, state, failedTask);
        }
        NotifyParent(tx, state);
    }

    /// <summary>Completes a workflow because a TERMINATE task said COMPLETED.</summary>
    private void CompleteByTerminate(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        workflow.Status = WorkflowStatus.COMPLETED;
        workflow.EndTime = tx.Now;
        CancelPendingTasks(tx, state);
        workflow.Output = ComputeOutput(state);
        NotifyParent(tx, state);
    }

    private void CancelPendingTasks(Tx tx, WorkflowState state)
    {
        foreach (var task in state.Tasks)
        {
            if ((task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                continue;
            }
            task.Status = ConductorTaskStatus.CANCELED;
            task.EndTime = tx.Now;
            task.UpdateTime = tx.Now;
            tx.Store.Dequeue(task.TaskId!);
            if (task.TaskType == WorkflowTaskTypes.SubWorkflow && task.SubWorkflowId is { } childId && tx.Load(childId) is { } child)
            {
                EndWorkflow(tx, child, WorkflowStatus.TERMINATED, "Parent workflow has been terminated with status " + state.Workflow.Status,
                    null, triggerFailureWorkflow: false);
            }
        }
    }

    private void StartFailureWorkflow(Tx tx, WorkflowState state, ConductorTask? failedTask)
    {
        var workflow = state.Workflow;
        var name = state.Definition.FailureWorkflow;
        if (string.IsNullOrWhiteSpace(name))
        {
            return;
        }
        // "${workflow.input.key}": the third dot-segment names the input key (Conductor's special case).
        if (name!.StartsWith("${", StringComparison.Ordinal))
        {
            var segments = name.Trim('$', '{', '}').Split('.');
            name = segments.Length >= 3 && workflow.Input is not null && workflow.Input.TryGetValue(segments[2], out var value)
                ? value as string
                : null;
            if (string.IsNullOrWhiteSpace(name))
            {
                return;
            }
        }
        var input = ConductorJson.CloneMap(workflow.Input);
        input["workflowId"] = workflow.WorkflowId;
        input["reason"] = workflow.ReasonForIncompletion;
        input["failureStatus"] = workflow.Status.ToString();
        if (failedTask is not null)
        {
            input["failureTaskId"] = failedTask.TaskId;
        }
        input["failedWorkflow"] = ToPlain(workflow);
        try
        {
            var failureState = StartWorkflow(tx, new StartWorkflowRequest
            {
                Name = name!,
                Version = state.Definition.FailureWorkflowVersion,
                Input = input,
                CorrelationId = workflow.CorrelationId,
                TaskToDomain = workflow.TaskToDomain,
            });
            (workflow.Output ??= new())["conductor.failure_workflow"] = failureState.Id;
        }
        catch (ConductorException e)
        {
            (workflow.Output ??= new())["conductor.failure_workflow"] = "Error starting failure workflow " + name + ": " + e.Message;
            _logger.LogWarning("Could not start failure workflow {Name} for {WorkflowId}: {Message}", name, workflow.WorkflowId, e.Message);
        }
    }

    private void NotifyParent(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        if (workflow.ParentWorkflowId is null || workflow.ParentWorkflowTaskId is null || tx.Load(workflow.ParentWorkflowId) is not { } parent)
        {
            return;
        }
        var task = parent.TaskById(workflow.ParentWorkflowTaskId);
        if (task is null || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
        {
            return;
        }
        task.Status = workflow.Status switch
        {
            WorkflowStatus.COMPLETED => ConductorTaskStatus.COMPLETED,
            WorkflowStatus.TERMINATED => ConductorTaskStatus.CANCELED,
            WorkflowStatus.TIMED_OUT => ConductorTaskStatus.TIMED_OUT,
            _ => ConductorTaskStatus.FAILED,
        };
        var output = new Dictionary<string, object?>(StringComparer.Ordinal) { ["subWorkflowId"] = workflow.WorkflowId };
        foreach (var pair in workflow.Output ?? new())
        {
            output[pair.Key] = ConductorJson.DeepClone(pair.Value);
        }
        task.OutputData = output;
        task.ReasonForIncompletion = workflow.ReasonForIncompletion;
        task.EndTime = tx.Now;
        task.UpdateTime = tx.Now;
        Decide(tx, parent);
    }

    // ---- failures and retries (§4.4) ----------------------------------------------------------------------------

    private void HandleUnsuccessful(Tx tx, WorkflowState state, ConductorTask task)
    {
        var wt = task.WorkflowTask ?? new WorkflowTask { Name = task.TaskDefName ?? "", TaskReferenceName = task.ReferenceTaskName ?? "" };
        var def = EffectiveDef(task);
        var status = task.Status ?? ConductorTaskStatus.FAILED;
        var expected = wt.RetryCount ?? def.RetryCount;
        var retriable = status is ConductorTaskStatus.FAILED or ConductorTaskStatus.TIMED_OUT
            && !BuiltIns.Contains(wt.Type) && !BuiltIns.Contains(task.TaskType ?? "")
            && task.RetryCount < expected
            && !TotalTimeoutExhausted(state, task, def, tx.Now);
        if (retriable)
        {
            Retry(tx, state, task, def);
            return;
        }
        if (wt.Optional)
        {
            task.Status = ConductorTaskStatus.COMPLETED_WITH_ERRORS;
            return;
        }
        if (wt.Permissive)
        {
            return;
        }
        var workflowStatus = status switch
        {
            ConductorTaskStatus.CANCELED => WorkflowStatus.TERMINATED,
            ConductorTaskStatus.TIMED_OUT => WorkflowStatus.TIMED_OUT,
            _ => WorkflowStatus.FAILED,
        };
        EndWorkflow(tx, state, workflowStatus,
            $"Task {task.TaskId} failed with status: {workflowStatus} and reason: '{task.ReasonForIncompletion}'", task);
    }

    private static bool TotalTimeoutExhausted(WorkflowState state, ConductorTask task, TaskDef def, long now)
    {
        if (def.TotalTimeoutSeconds is not > 0)
        {
            return false;
        }
        var first = state.Tasks.Where(t => t.ReferenceTaskName == task.ReferenceTaskName).Min(t => t.ScheduledTime);
        return now - first >= def.TotalTimeoutSeconds.Value * 1000;
    }

    /// <summary>Delay in milliseconds before retry number <paramref name="retryCount"/>+1 (§4.4).</summary>
    internal long RetryDelayMs(TaskDef def, int retryCount)
    {
        long seconds = def.RetryLogic switch
        {
            RetryLogic.LINEAR_BACKOFF => (long)def.RetryDelaySeconds * def.BackoffScaleFactor * (retryCount + 1),
            RetryLogic.EXPONENTIAL_BACKOFF => retryCount >= 31 ? int.MaxValue : (long)def.RetryDelaySeconds * (1L << retryCount),
            _ => def.RetryDelaySeconds,
        };
        if (seconds > int.MaxValue)
        {
            seconds = int.MaxValue;
        }
        if (def.MaxRetryDelaySeconds is > 0 && seconds > def.MaxRetryDelaySeconds.Value)
        {
            seconds = def.MaxRetryDelaySeconds.Value;
        }
        var jitter = def.BackoffJitterMs is > 0 ? _jitter.Next(def.BackoffJitterMs.Value + 1) : 0;
        return Math.Max(0, seconds) * 1000 + jitter;
    }

    private void Retry(Tx tx, WorkflowState state, ConductorTask failed, TaskDef def)
    {
        var delayMs = RetryDelayMs(def, failed.RetryCount);
        var retry = Clone(failed);
        retry.WorkflowTask = failed.WorkflowTask; // keep the definition's own node (stored by reference)
        retry.TaskId = Ids.New();
        retry.RetryCount = failed.RetryCount + 1;
        retry.RetriedTaskId = failed.TaskId;
        retry.Status = ConductorTaskStatus.SCHEDULED;
        retry.PollCount = 0;
        retry.OutputData = new Dictionary<string, object?>();
        retry.ReasonForIncompletion = null;
        retry.StartTime = 0;
        retry.EndTime = 0;
        retry.WorkerId = null;
        retry.Executed = false;
        retry.Retried = false;
        retry.ScheduledTime = tx.Now;
        retry.UpdateTime = tx.Now;
        retry.SubWorkflowId = null;
        retry.StartDelayInSeconds = (int)(delayMs / 1000);
        retry.CallbackAfterSeconds = delayMs / 1000;
        var input = ConductorJson.CloneMap(failed.InputData);
        if (retry.WorkflowTask is { } wt)
        {
            foreach (var pair in Inputs.ResolveTaskInput(state, wt.InputParameters, def, retry.TaskId))
            {
                input[pair.Key] = pair.Value;
            }
        }
        retry.InputData = input;
        failed.Retried = true;
        retry.Seq = state.NextSeq();
        state.Tasks.Add(retry);
        _logger.LogDebug("Retrying task {Ref} of {WorkflowId} (attempt {Attempt}) in {Delay} ms", failed.ReferenceTaskName,
            state.Id, retry.RetryCount, delayMs);
        StartTask(tx, state, retry, tx.Now + delayMs);
    }

    // ---- timeouts (§4.5) ----------------------------------------------------------------------------------------

    private bool CheckWorkflowTimeout(Tx tx, WorkflowState state)
    {
        var def = state.Definition;
        if (def.TimeoutSeconds <= 0 || def.TimeoutPolicy != WorkflowTimeoutPolicy.TIME_OUT_WF || state.Workflow.Status != WorkflowStatus.RUNNING)
        {
            return false;
        }
        var since = state.Workflow.LastRetriedTime > 0 ? state.Workflow.LastRetriedTime : state.Workflow.CreateTime ?? 0;
        var elapsed = tx.Now - since;
        if (elapsed < def.TimeoutSeconds * 1000)
        {
            return false;
        }
        EndWorkflow(tx, state, WorkflowStatus.TIMED_OUT,
            $"Workflow timed out after {elapsed / 1000} seconds. Timeout configured as {def.TimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy}",
            null);
        return true;
    }

    private bool CheckTimeouts(Tx tx, WorkflowState state, ConductorTask task)
    {
        if (!IsWorkerTask(task))
        {
            return false;
        }
        var def = EffectiveDef(task);
        var now = tx.Now;
        if (def.TimeoutSeconds > 0 && task.StartTime > 0)
        {
            var elapsed = now - (task.StartTime + task.StartDelayInSeconds * 1000L);
            if (elapsed >= def.TimeoutSeconds * 1000)
            {
                var reason = $"Task timed out after {elapsed / 1000} seconds. Timeout configured as {def.TimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy}";
                if (ApplyTimeoutPolicy(tx, state, task, def, reason))
                {
                    return true;
                }
            }
        }
        if (task.Status == ConductorTaskStatus.SCHEDULED && def.PollTimeoutSeconds is > 0)
        {
            var elapsed = now - (task.ScheduledTime + task.StartDelayInSeconds * 1000L);
            if (elapsed >= (def.PollTimeoutSeconds.Value + task.CallbackAfterSeconds) * 1000)
            {
                var reason = $"Task poll timed out after {elapsed / 1000} seconds. Poll timeout configured as {def.PollTimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy}";
                if (ApplyTimeoutPolicy(tx, state, task, def, reason))
                {
                    return true;
                }
            }
        }
        if (task.Status == ConductorTaskStatus.IN_PROGRESS && task.ResponseTimeoutSeconds != 0
            && now - task.UpdateTime >= (task.ResponseTimeoutSeconds + task.CallbackAfterSeconds) * 1000)
        {
            // Response timeout ignores the policy: the task is timed out and the retry rules decide (§4.5).
            MarkTimedOut(tx, task, $"responseTimeout: {task.ResponseTimeoutSeconds} exceeded for taskId: {task.TaskId} with Task Definition: {task.TaskDefName}");
            return true;
        }
        return false;
    }

    private bool ApplyTimeoutPolicy(Tx tx, WorkflowState state, ConductorTask task, TaskDef def, string reason)
    {
        switch (def.TimeoutPolicy)
        {
            case TaskTimeoutPolicy.ALERT_ONLY:
                _logger.LogWarning("{Reason} (task {TaskId} of workflow {WorkflowId})", reason, task.TaskId, state.Id);
                return false;
            case TaskTimeoutPolicy.RETRY:
                MarkTimedOut(tx, task, reason);
                return true;
            default:
                MarkTimedOut(tx, task, reason);
                task.Executed = true;
                EndWorkflow(tx, state, WorkflowStatus.TIMED_OUT, reason, task);
                return true;
        }
    }

    private static void MarkTimedOut(Tx tx, ConductorTask task, string reason)
    {
        task.Status = ConductorTaskStatus.TIMED_OUT;
        task.ReasonForIncompletion = reason;
        task.EndTime = tx.Now;
        task.UpdateTime = tx.Now;
        tx.Store.Dequeue(task.TaskId!);
    }

    /// <summary>When the sweeper must next look at this workflow (a timeout or a WAIT deadline), or null.</summary>
    public static long? WakeAt(WorkflowState state)
    {
        var workflow = state.Workflow;
        if (workflow.Status != WorkflowStatus.RUNNING)
        {
            return null;
        }
        long? wake = null;
        void Consider(long at) => wake = wake is null || at < wake ? at : wake;

        var def = workflow.WorkflowDefinition;
        if (def is { TimeoutSeconds: > 0, TimeoutPolicy: WorkflowTimeoutPolicy.TIME_OUT_WF })
        {
            var since = workflow.LastRetriedTime > 0 ? workflow.LastRetriedTime : workflow.CreateTime ?? 0;
            Consider(since + def.TimeoutSeconds * 1000);
        }
        foreach (var task in state.Tasks)
        {
            var status = task.Status ?? ConductorTaskStatus.SCHEDULED;
            if (task.Retried || status.IsTerminal())
            {
                continue;
            }
            if (task.TaskType == WorkflowTaskTypes.Wait && WaitDeadline(task) is { } deadline)
            {
                Consider(deadline);
            }
            if (!IsWorkerTask(task))
            {
                continue;
            }
            var taskDef = EffectiveDef(task);
            var policyActs = taskDef.TimeoutPolicy != TaskTimeoutPolicy.ALERT_ONLY;
            if (taskDef.TimeoutSeconds > 0 && task.StartTime > 0 && policyActs)
            {
                Consider(task.StartTime + task.StartDelayInSeconds * 1000L + taskDef.TimeoutSeconds * 1000);
            }
            if (status == ConductorTaskStatus.SCHEDULED && taskDef.PollTimeoutSeconds is > 0 && policyActs)
            {
                Consider(task.ScheduledTime + task.StartDelayInSeconds * 1000L + (taskDef.PollTimeoutSeconds.Value + task.CallbackAfterSeconds) * 1000);
            }
            if (status == ConductorTaskStatus.IN_PROGRESS && task.ResponseTimeoutSeconds != 0)
            {
                Consider(task.UpdateTime + (task.ResponseTimeoutSeconds + task.CallbackAfterSeconds) * 1000);
            }
        }
        return wake;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    internal static bool IsWorkerTask(ConductorTask task)
    {
        var type = task.WorkflowTask?.Type ?? WorkflowTaskTypes.Simple;
        return type == WorkflowTaskTypes.Dynamic || !SystemTypes.Contains(type);
    }

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
