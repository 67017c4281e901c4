using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>Scheduling (Conductor's task mappers) and running the system tasks the engine executes itself (§6).</summary>
internal sealed partial class Decider
{
    /// <summary>How long a domain counts as having active workers after its last poll (Conductor's activeWorkerLastPollTimeout).</summary>
    private const long ActiveWorkerWindowMs = 10_000;

    /// <summary>Creates the task(s) for <paramref name="wt"/> and starts them, unless a task with that reference name
    /// already exists (the decider's "schedule unless present" rule).</summary>
    internal void Schedule(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        if (state.Workflow.Status.IsTerminal())
        {
            return;
        }
        var reference = RefFor(wt, iteration);
        if (state.LatestByRef(reference) is not null)
        {
            return;
        }
        switch (wt.Type)
        {
            case WorkflowTaskTypes.Switch:
            case WorkflowTaskTypes.Decision:
                ScheduleSwitch(tx, state, wt, iteration);
                return;
            case WorkflowTaskTypes.ForkJoin:
                ScheduleFork(tx, state, wt, iteration);
                return;
            case WorkflowTaskTypes.ForkJoinDynamic:
                ScheduleDynamicFork(tx, state, wt, iteration);
                return;
            case WorkflowTaskTypes.DoWhile:
                ScheduleDoWhile(tx, state, wt, iteration);
                return;
            case WorkflowTaskTypes.Dynamic:
                ScheduleDynamic(tx, state, wt, iteration);
                return;
        }
        var task = NewTask(state, wt, TaskTypeOf(wt), iteration, tx.Now);
        task.InputData = Inputs.ResolveTaskInput(state, wt.InputParameters, EffectiveDef(task), task.TaskId!);
        if (wt.Type == WorkflowTaskTypes.Join)
        {
            task.InputData["joinOn"] = (wt.JoinOn ?? new List<string>()).Select(r => (object?)(iteration > 0 ? r + "__" + iteration.ToString(CultureInfo.InvariantCulture) : r)).ToList();
        }
        Add(state, task);
        StartOrDefer(tx, state, task, tx.Now + wt.StartDelay * 1000L);
    }

    /// <summary>While a fork maps its branches, starts wait until every branch task exists (as Conductor's mappers
    /// create all tasks before any runs), so e.g. a TERMINATE in one branch cancels the others.</summary>
    private List<(ConductorTask Task, long VisibleAt)>? _deferredStarts;

    private void StartOrDefer(Tx tx, WorkflowState state, ConductorTask task, long visibleAt)
    {
        if (_deferredStarts is not null)
        {
            _deferredStarts.Add((task, visibleAt));
            return;
        }
        StartTask(tx, state, task, visibleAt);
    }

    private void MapThenStart(Tx tx, WorkflowState state, Action map)
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

    private static string TaskTypeOf(WorkflowTask wt) => wt.Type switch
    {
        WorkflowTaskTypes.Simple => wt.Name,
        WorkflowTaskTypes.ForkJoin or WorkflowTaskTypes.ForkJoinDynamic => WorkflowTaskTypes.Fork,
        _ => wt.Type,
    };

    private static ConductorTask NewTask(WorkflowState state, WorkflowTask wt, string taskType, int iteration, long now)
    {
        var def = wt.TaskDefinition;
        var task = new ConductorTask
        {
            TaskId = Ids.New(),
            TaskType = taskType,
            TaskDefName = string.IsNullOrEmpty(wt.Name) ? taskType : wt.Name,
            ReferenceTaskName = RefFor(wt, iteration),
            Status = ConductorTaskStatus.SCHEDULED,
            WorkflowInstanceId = state.Id,
            WorkflowType = state.Workflow.WorkflowName,
            CorrelationId = state.Workflow.CorrelationId,
            WorkflowPriority = state.Workflow.Priority,
            ScheduledTime = now,
            UpdateTime = now,
            StartDelayInSeconds = wt.StartDelay,
            WorkflowTask = wt,
            Iteration = iteration,
            LoopOverTask = iteration > 0,
            InputData = new Dictionary<string, object?>(),
            OutputData = new Dictionary<string, object?>(),
        };
        var effective = EffectiveDef(task);
        task.ResponseTimeoutSeconds = effective.ResponseTimeoutSeconds;
        task.RateLimitPerFrequency = def?.EffectiveRateLimitPerFrequency ?? 0;
        task.RateLimitFrequencyInSeconds = def?.EffectiveRateLimitFrequencyInSeconds ?? 1;
        task.IsolationGroupId = def?.IsolationGroupId;
        task.ExecutionNameSpace = def?.ExecutionNameSpace;
        return task;
    }

    private static void Add(WorkflowState state, ConductorTask task)
    {
        task.Seq = state.NextSeq();
        state.Tasks.Add(task);
    }

    /// <summary>Starts a newly created (or retried) task: worker tasks go to their queue, synchronous system tasks run
    /// now, asynchronous ones begin.</summary>
    internal void StartTask(Tx tx, WorkflowState state, ConductorTask task, long visibleAt)
    {
        if (IsWorkerTask(task))
        {
            task.Domain = ResolveDomain(tx, state, task.TaskType!);
            var queue = QueueName(task.TaskType!, task.Domain);
            tx.Store.Enqueue(task.TaskId!, queue, visibleAt, state.Workflow.Priority, tx.Now);
            tx.WokenQueues.Add(queue);
            return;
        }
        switch (task.TaskType)
        {
            case WorkflowTaskTypes.Join:
            case WorkflowTaskTypes.DoWhile:
            case WorkflowTaskTypes.Human:
                task.Status = ConductorTaskStatus.IN_PROGRESS;
                task.StartTime = tx.Now;
                return;
            case WorkflowTaskTypes.Wait:
                StartWait(tx, task);
                return;
            case WorkflowTaskTypes.Http:
                tx.Store.Enqueue(task.TaskId!, HttpQueue, visibleAt, state.Workflow.Priority, tx.Now);
                tx.SystemTaskQueued = true;
                return;
            case WorkflowTaskTypes.SubWorkflow:
                StartSubWorkflow(tx, state, task);
                return;
            case WorkflowTaskTypes.StartWorkflow:
                RunStartWorkflow(tx, state, task);
                return;
            case WorkflowTaskTypes.SetVariable:
                RunSetVariable(tx, state, task);
                return;
            case WorkflowTaskTypes.Terminate:
                RunTerminate(tx, state, task);
                return;
            case WorkflowTaskTypes.Noop:
                Finish(tx, task, ConductorTaskStatus.COMPLETED);
                return;
            case WorkflowTaskTypes.Inline:
                RunInline(tx, state, task);
                return;
            case WorkflowTaskTypes.JsonJqTransform:
                RunJq(tx, task);
                return;
            default:
                Finish(tx, task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                    $"Task type {task.TaskType} is not supported by the embedded engine.");
                return;
        }
    }

    /// <summary>Re-checks a non-terminal system task during a decider pass; true when it changed.</summary>
    private bool ExecuteSystemTask(Tx tx, WorkflowState state, ConductorTask task)
    {
        switch (task.TaskType)
        {
            case WorkflowTaskTypes.Join:
                return EvaluateJoin(tx, state, task);
            case WorkflowTaskTypes.DoWhile:
                return EvaluateDoWhile(tx, state, task);
            case WorkflowTaskTypes.Wait:
                if (WaitDeadline(task) is { } deadline && tx.Now >= deadline)
                {
                    Finish(tx, task, ConductorTaskStatus.COMPLETED);
                    return true;
                }
                return false;
            default:
                return false;
        }
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

    // ---- domains (§4.2) -----------------------------------------------------------------------------------------

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

    // ---- SWITCH / DECISION --------------------------------------------------------------------------------------

    private void ScheduleSwitch(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        var task = NewTask(state, wt, wt.Type, iteration, tx.Now);
        var input = Inputs.ResolveTaskInput(state, wt.InputParameters, null, task.TaskId!);
        task.InputData = input;
        Add(state, task);
        string caseValue;
        try
        {
            caseValue = EvaluateCase(wt, input);
        }
        catch (Scripting.ScriptEvaluationException e)
        {
            Finish(tx, task, ConductorTaskStatus.FAILED, $"Error evaluating the expression of {wt.Type} {wt.TaskReferenceName}: {e.Message}");
            return;
        }
        List<WorkflowTask>? branch = null;
        if (wt.DecisionCases is not null && wt.DecisionCases.TryGetValue(caseValue, out var chosen))
        {
            branch = chosen;
        }
        // DECISION also falls back to the default case for an empty case list; SWITCH treats it as "do nothing".
        if (branch is null || (wt.Type == WorkflowTaskTypes.Decision && branch.Count == 0))
        {
            branch = wt.DefaultCase;
        }
        input["case"] = caseValue;
        var hasChildren = branch is { Count: > 0 };
        if (hasChildren)
        {
            input["hasChildren"] = true;
        }
        task.OutputData = wt.Type == WorkflowTaskTypes.Switch
            ? new Dictionary<string, object?> { ["evaluationResult"] = new List<object?> { caseValue }, ["selectedCase"] = caseValue }
            : new Dictionary<string, object?> { ["caseOutput"] = new List<object?> { caseValue } };
        Finish(tx, task, ConductorTaskStatus.COMPLETED);
        if (hasChildren)
        {
            Schedule(tx, state, branch![0], iteration);
        }
    }

    private static string EvaluateCase(WorkflowTask wt, Dictionary<string, object?> input)
    {
        if (wt.Type == WorkflowTaskTypes.Switch)
        {
            var evaluator = wt.EvaluatorType ?? "value-param";
            if (evaluator == "value-param")
            {
                input.TryGetValue(wt.Expression ?? "", out var value);
                return CaseString(value);
            }
            return CaseString(Scripts.Evaluate(wt.Expression ?? "", input));
        }
        if (!string.IsNullOrEmpty(wt.CaseValueParam))
        {
            input.TryGetValue(wt.CaseValueParam!, out var value);
            return CaseString(value);
        }
        return CaseString(Scripts.Evaluate(wt.CaseExpression ?? "", input));
    }

    /// <summary>Java's <c>String.valueOf</c> of a case value: null is "null", whole numbers have no decimals.</summary>
    internal static string CaseString(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => s,
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    // ---- FORK_JOIN / FORK_JOIN_DYNAMIC / JOIN -------------------------------------------------------------------

    private void ScheduleFork(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        var fork = NewTask(state, wt, WorkflowTaskTypes.Fork, iteration, tx.Now);
        fork.InputData = Inputs.ResolveTaskInput(state, wt.InputParameters, null, fork.TaskId!);
        Add(state, fork);
        Finish(tx, fork, ConductorTaskStatus.COMPLETED);
        var join = state.Navigator.NextOf(wt.TaskReferenceName);
        if (join is null || join.Type != WorkflowTaskTypes.Join)
        {
            EndWorkflow(tx, state, WorkflowStatus.FAILED, $"FORK_JOIN {wt.TaskReferenceName} must be followed by a JOIN task.", fork);
            return;
        }
        MapThenStart(tx, state, () =>
        {
            foreach (var branch in wt.ForkTasks ?? new List<List<WorkflowTask>>())
            {
                if (branch.Count > 0)
                {
                    Schedule(tx, state, branch[0], iteration);
                }
            }
            Schedule(tx, state, join, iteration);
        });
    }

    private bool EvaluateJoin(Tx tx, WorkflowState state, ConductorTask join)
    {
        var joinOn = join.InputData is { } input && input.TryGetValue("joinOn", out var refs) && refs is IList<object?> list
            ? list.Select(r => r?.ToString() ?? "").ToList()
            : new List<string>();
        var output = new Dictionary<string, object?>(StringComparer.Ordinal);
        var failures = new List<ConductorTask>();
        var withErrors = false;
        foreach (var reference in joinOn)
        {
            var task = state.LatestByRef(reference);
            var status = task?.Status ?? ConductorTaskStatus.SCHEDULED;
            // Not there yet, still running, or failed but not yet handled by the decider (it may be retried): wait.
            // A handled failure here is a permissive task's; the JOIN then waits for every branch before failing.
            if (task is null || !status.IsTerminal() || (!status.IsSuccessful() && !task.Executed))
            {
                return false;
            }
            if (!status.IsSuccessful())
            {
                failures.Add(task);
            }
            withErrors |= status == ConductorTaskStatus.COMPLETED_WITH_ERRORS;
            if (task.OutputData is { Count: > 0 })
            {
                output[reference] = ConductorJson.CloneMap(task.OutputData);
            }
        }
        join.OutputData = output;
        if (failures.Count > 0)
        {
            var allCanceled = failures.All(f => f.Status == ConductorTaskStatus.CANCELED);
            Finish(tx, join, allCanceled ? ConductorTaskStatus.CANCELED : ConductorTaskStatus.FAILED,
                string.Join(" ", failures.Select(f => f.ReasonForIncompletion).Where(r => !string.IsNullOrEmpty(r))));
            return true;
        }
        Finish(tx, join, withErrors ? ConductorTaskStatus.COMPLETED_WITH_ERRORS : ConductorTaskStatus.COMPLETED);
        return true;
    }

    // ---- DYNAMIC ------------------------------------------------------------------------------------------------

    private void ScheduleDynamic(Tx tx, WorkflowState state, WorkflowTask wt, int iteration)
    {
        var input = Inputs.ResolveTaskInput(state, wt.InputParameters, null, "");
        input.TryGetValue(wt.DynamicTaskNameParam ?? "", out var nameValue);
        var name = nameValue as string;
        if (string.IsNullOrWhiteSpace(name))
        {
            EndWorkflow(tx, state, WorkflowStatus.FAILED,
                $"Cannot map a dynamic task based on the parameter and input. Parameter= {wt.DynamicTaskNameParam}, input= {{{string.Join(", ", input.Select(p => p.Key + "=" + p.Value))}}}",
                null);
            return;
        }
        var resolved = Clone(wt);
        resolved.Name = name!;
        resolved.TaskDefinition ??= tx.Store.GetTaskDef(name!);
        var task = NewTask(state, resolved, name!, iteration, tx.Now);
        task.TaskDefName = name;
        task.InputData = Inputs.ResolveTaskInput(state, wt.InputParameters, resolved.TaskDefinition, task.TaskId!);
        Add(state, task);
        StartOrDefer(tx, state, task, tx.Now + wt.StartDelay * 1000L);
    }

    // ---- SET_VARIABLE / TERMINATE / START_WORKFLOW / SUB_WORKFLOW -----------------------------------------------

    private static void RunSetVariable(Tx tx, WorkflowState state, ConductorTask task)
    {
        var variables = state.Workflow.Variables ??= new Dictionary<string, object?>();
        var previous = ConductorJson.CloneMap(variables);
        foreach (var pair in task.InputData ?? new())
        {
            variables[pair.Key] = ConductorJson.DeepClone(pair.Value);
        }
        // Conductor caps variables at 256 KB and rolls back when exceeded.
        if (System.Text.Encoding.UTF8.GetByteCount(ConductorJson.Serialize(variables)) > 256 * 1024)
        {
            state.Workflow.Variables = previous;
            Finish(tx, task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                "The variables payload size exceeds the permissible limit of 256KB");
            return;
        }
        Finish(tx, task, ConductorTaskStatus.COMPLETED);
    }

    private void RunTerminate(Tx tx, WorkflowState state, ConductorTask task)
    {
        var input = task.InputData ?? new();
        input.TryGetValue("terminationStatus", out var statusValue);
        input.TryGetValue("terminationReason", out var reasonValue);
        input.TryGetValue("workflowOutput", out var outputValue);
        var statusText = (statusValue as string ?? "").ToUpperInvariant();
        if (statusText is not ("COMPLETED" or "FAILED" or "TERMINATED"))
        {
            Finish(tx, task, ConductorTaskStatus.FAILED,
                $"terminationStatus {statusValue ?? "null"} is invalid: use COMPLETED, FAILED or TERMINATED.");
            return;
        }
        task.OutputData = outputValue switch
        {
            null => new Dictionary<string, object?>(),
            IDictionary<string, object?> map => ConductorJson.CloneMap(map),
            _ => new Dictionary<string, object?> { ["output"] = ConductorJson.DeepClone(outputValue) },
        };
        Finish(tx, task, ConductorTaskStatus.COMPLETED);
        task.Executed = true;
        if (statusText == "COMPLETED")
        {
            CompleteByTerminate(tx, state);
            return;
        }
        var status = statusText == "FAILED" ? WorkflowStatus.FAILED : WorkflowStatus.TERMINATED;
        var reason = reasonValue as string;
        EndWorkflow(tx, state, status,
            string.IsNullOrEmpty(reason) ? $"Workflow is {status} by TERMINATE task: {task.TaskId}" : reason, task);
    }

    private void RunStartWorkflow(Tx tx, WorkflowState state, ConductorTask task)
    {
        try
        {
            if (task.InputData is null || !task.InputData.TryGetValue("startWorkflow", out var value) || value is not IDictionary<string, object?>)
            {
                throw ConductorException.BadRequest("START_WORKFLOW needs an input 'startWorkflow' holding a start workflow request.");
            }
            var request = ConductorJson.Deserialize<StartWorkflowRequest>(ConductorJson.Serialize(value))!;
            request.CorrelationId ??= state.Workflow.CorrelationId;
            request.TaskToDomain ??= state.Workflow.TaskToDomain;
            request.Input ??= new Dictionary<string, object?>();
            var started = StartWorkflow(tx, request);
            task.OutputData = new Dictionary<string, object?> { ["workflowId"] = started.Id };
            Finish(tx, task, ConductorTaskStatus.COMPLETED);
        }
        catch (Exception e) when (e is ConductorException or System.Text.Json.JsonException)
        {
            Finish(tx, task, ConductorTaskStatus.FAILED, e.Message);
        }
    }

    private void StartSubWorkflow(Tx tx, WorkflowState state, ConductorTask task)
    {
        var wt = task.WorkflowTask!;
        var param = wt.SubWorkflowParam;
        try
        {
            if (param is null)
            {
                throw ConductorException.BadRequest($"SUB_WORKFLOW {wt.TaskReferenceName} has no subWorkflowParam.");
            }
            WorkflowDef? inlineDef = null;
            var definition = Inputs.ResolveValue(state, param.WorkflowDefinition);
            if (definition is IDictionary<string, object?>)
            {
                inlineDef = ConductorJson.Deserialize<WorkflowDef>(ConductorJson.Serialize(definition));
            }
            var name = inlineDef?.Name ?? Inputs.ResolveValue(state, param.Name) as string ?? param.Name ?? "";
            var version = inlineDef?.Version ?? param.Version;
            var childInput = ConductorJson.CloneMap(task.InputData);
            var bookkeeping = task.InputData!;
            bookkeeping["subWorkflowName"] = name;
            bookkeeping["subWorkflowVersion"] = version;
            if (childInput.Count == 0)
            {
                childInput = ConductorJson.CloneMap(bookkeeping);
            }
            if (inlineDef is not null)
            {
                childInput["_systemMetadata"] = new Dictionary<string, object?> { ["dynamic"] = true };
            }
            var priorityValue = Inputs.ResolveValue(state, param.Priority);
            int priority = 0;
            if (priorityValue is not null)
            {
                priority = Convert.ToInt32(priorityValue, CultureInfo.InvariantCulture);
            }
            task.Status = ConductorTaskStatus.IN_PROGRESS;
            task.StartTime = tx.Now;
            var child = StartWorkflow(tx, new StartWorkflowRequest
            {
                Name = name,
                Version = version,
                WorkflowDef = inlineDef,
                Input = childInput,
                CorrelationId = state.Workflow.CorrelationId,
                TaskToDomain = param.TaskToDomain ?? state.Workflow.TaskToDomain,
                Priority = priority,
            }, state.Id, task.TaskId);
            task.SubWorkflowId = child.Id;
            task.OutputData ??= new Dictionary<string, object?>();
            if (!task.OutputData.ContainsKey("subWorkflowId"))
            {
                task.OutputData["subWorkflowId"] = child.Id;
            }
        }
        catch (Exception e) when (e is ConductorException or System.Text.Json.JsonException or FormatException or InvalidCastException)
        {
            Finish(tx, task, ConductorTaskStatus.FAILED, e.Message);
        }
    }

    // ---- WAIT ---------------------------------------------------------------------------------------------------

    private const string WaitTimeoutProperty = "waitTimeout";

    private static void StartWait(Tx tx, ConductorTask task)
    {
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = tx.Now;
        var input = task.InputData ?? new();
        input.TryGetValue("duration", out var duration);
        input.TryGetValue("until", out var until);
        var hasDuration = duration is string d && d.Trim().Length > 0;
        var hasUntil = until is string u && u.Trim().Length > 0;
        if (hasDuration && hasUntil)
        {
            Finish(tx, task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                "Both 'duration' and 'until' specified. Please provide only one input");
            return;
        }
        try
        {
            long? deadline = null;
            if (hasDuration)
            {
                deadline = tx.Now + (long)Scripts.ParseDuration((string)duration!).TotalMilliseconds;
            }
            else if (hasUntil)
            {
                deadline = Scripts.ParseUntil((string)until!).ToUnixTimeMilliseconds();
            }
            if (deadline is { } at)
            {
                SetWaitDeadline(task, at);
                task.CallbackAfterSeconds = Math.Max(0, (at - tx.Now) / 1000);
            }
        }
        catch (FormatException e)
        {
            Finish(tx, task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, e.Message);
        }
    }

    private static void SetWaitDeadline(ConductorTask task, long at)
    {
        task.AdditionalProperties ??= new Dictionary<string, System.Text.Json.JsonElement>();
        using var document = System.Text.Json.JsonDocument.Parse(at.ToString(CultureInfo.InvariantCulture));
        task.AdditionalProperties[WaitTimeoutProperty] = document.RootElement.Clone();
    }

    internal static long? WaitDeadline(ConductorTask task) =>
        task.AdditionalProperties is { } extra && extra.TryGetValue(WaitTimeoutProperty, out var value)
            && value.ValueKind == System.Text.Json.JsonValueKind.Number ? value.GetInt64() : null;
}
