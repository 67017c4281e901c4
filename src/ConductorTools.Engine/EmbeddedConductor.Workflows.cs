using ConductorTools.Api;
using ConductorTools.Engine.Execution;
using ConductorTools.Model;

namespace ConductorTools.Engine;

/// <summary>Workflow executions (conductor-oss rest/.../controllers/WorkflowResource.java).</summary>
public sealed partial class EmbeddedConductor
{
    public async Task<string> StartWorkflowAsync(StartWorkflowRequest request, CancellationToken cancellationToken = default)
    {
        if (request is null)
        {
            throw ConductorException.BadRequest("The start workflow request cannot be null.");
        }
        PayloadLimits.CheckData(request.Input, "The workflow input");
        var id = await RunAsync(tx =>
        {
            if (request.WorkflowDef is not null)
            {
                DefinitionChecks.ThrowIfInvalid(request.WorkflowDef, "startWorkflow.startWorkflowRequest.workflowDef", tx.Store.GetTaskDef);
            }
            return _decider.StartWorkflow(tx, request).Id;
        }, cancellationToken).ConfigureAwait(false);
        StartedCounter.Add(1);
        return id;
    }

    public Task<string> StartWorkflowAsync(string name, IDictionary<string, object?>? input, int? version = null,
        string? correlationId = null, int priority = 0, CancellationToken cancellationToken = default) =>
        StartWorkflowAsync(new StartWorkflowRequest
        {
            Name = name,
            Version = version,
            CorrelationId = correlationId,
            Priority = priority,
            Input = input is null ? null : ConductorJson.CloneMap(input),
        }, cancellationToken);

    public Task<Workflow> GetWorkflowAsync(string workflowId, bool includeTasks = true, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var state = LoadOrThrow(tx, workflowId);
            return Snapshot(state.Workflow, includeTasks);
        }, cancellationToken);

    private static Workflow Snapshot(Workflow workflow, bool includeTasks)
    {
        var copy = Decider.Clone(workflow);
        if (!includeTasks)
        {
            copy.Tasks = new List<ConductorTask>();
        }
        return copy;
    }

    public Task<WorkflowStatusInfo> GetWorkflowStatusAsync(string workflowId, bool includeOutput = false, bool includeVariables = false,
        CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var row = tx.Store.GetWorkflow(workflowId) ?? throw ConductorException.NotFound($"No such workflow found by id: {workflowId}");
            var workflow = row.Workflow;
            return new WorkflowStatusInfo
            {
                WorkflowId = workflow.WorkflowId,
                CorrelationId = workflow.CorrelationId,
                Status = workflow.Status,
                Output = includeOutput ? workflow.Output : null,
                Variables = includeVariables ? workflow.Variables : null,
            };
        }, cancellationToken);

    private static WorkflowState LoadOrThrow(Tx tx, string workflowId) =>
        tx.Load(workflowId) ?? throw ConductorException.NotFound($"No such workflow found by id: {workflowId}");

    public Task TerminateWorkflowAsync(string workflowId, string? reason = null, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var state = LoadOrThrow(tx, workflowId);
            var workflow = state.Workflow;
            switch (workflow.Status)
            {
                case WorkflowStatus.COMPLETED:
                    throw ConductorException.Conflict("Cannot terminate a COMPLETED workflow.");
                case WorkflowStatus.TERMINATED:
                    return;
                case WorkflowStatus.FAILED:
                case WorkflowStatus.TIMED_OUT:
                    workflow.Status = WorkflowStatus.TERMINATED;
                    workflow.ReasonForIncompletion = reason ?? workflow.ReasonForIncompletion;
                    return;
                default:
                    // The API terminate never starts the failure workflow in conductor-oss (WorkflowExecutorOps.terminateWorkflow(workflowId, reason)).
                    _decider.EndWorkflow(tx, state, WorkflowStatus.TERMINATED, reason, null, triggerFailureWorkflow: false);
                    return;
            }
        }, cancellationToken);

    public Task PauseWorkflowAsync(string workflowId, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var workflow = LoadOrThrow(tx, workflowId).Workflow;
            if (workflow.Status.IsTerminal())
            {
                throw ConductorException.Conflict($"Workflow {workflowId} has ended, status cannot be updated.");
            }
            workflow.Status = WorkflowStatus.PAUSED;
        }, cancellationToken);

    public Task ResumeWorkflowAsync(string workflowId, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var state = LoadOrThrow(tx, workflowId);
            var workflow = state.Workflow;
            if (workflow.Status != WorkflowStatus.PAUSED)
            {
                throw ConductorException.InvalidState($"The workflow {workflowId} is not PAUSED so cannot resume. Current status is {workflow.Status}.");
            }
            workflow.Status = WorkflowStatus.RUNNING;
            workflow.LastRetriedTime = tx.Now;
            _decider.Decide(tx, state);
        }, cancellationToken);

    public Task RetryWorkflowAsync(string workflowId, bool resumeSubworkflowTasks = false, CancellationToken cancellationToken = default) =>
        RunAsync(tx => _decider.RetryWorkflow(tx, LoadOrThrow(tx, workflowId), resumeSubworkflowTasks), cancellationToken);

    public Task RestartWorkflowAsync(string workflowId, bool useLatestDefinitions = false, CancellationToken cancellationToken = default) =>
        RunAsync(tx => _decider.RestartWorkflow(tx, LoadOrThrow(tx, workflowId), useLatestDefinitions), cancellationToken);

    public Task<string> RerunWorkflowAsync(string workflowId, RerunWorkflowRequest request, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            _decider.RerunWorkflow(tx, LoadOrThrow(tx, workflowId), request ?? new RerunWorkflowRequest());
            return workflowId;
        }, cancellationToken);

    public Task SkipTaskFromWorkflowAsync(string workflowId, string taskReferenceName, SkipTaskRequest? request = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(tx => _decider.SkipTask(tx, LoadOrThrow(tx, workflowId), taskReferenceName, request), cancellationToken);

    public Task RemoveWorkflowAsync(string workflowId, bool archiveWorkflow = true, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            LoadOrThrow(tx, workflowId);
            tx.Store.DeleteWorkflow(workflowId);
            tx.Forget(workflowId);
        }, cancellationToken);

    public Task<SearchResult<WorkflowSummary>> SearchWorkflowsAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        return RunAsync(tx =>
        {
            var (total, rows) = tx.Store.SearchWorkflows(request ?? new SearchRequest());
            return new SearchResult<WorkflowSummary>
            {
                TotalHits = total,
                Results = rows.Select(json => Summaries.Of(ConductorJson.Deserialize<Workflow>(json)!)).ToList(),
            };
        }, cancellationToken);
    }

    public Task<SearchResult<TaskSummary>> SearchTasksAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        return RunAsync(tx =>
        {
            var (total, rows) = tx.Store.SearchTasks(request ?? new SearchRequest());
            return new SearchResult<TaskSummary>
            {
                TotalHits = total,
                Results = rows.Select(json => Summaries.Of(ConductorJson.Deserialize<ConductorTask>(json)!)).ToList(),
            };
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> GetRunningWorkflowsAsync(string name, int? version = null, long? startTime = null, long? endTime = null,
        CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.RunningWorkflowIds(name, version ?? 1, startTime, endTime), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<Workflow>> GetWorkflowsByCorrelationIdAsync(string name, string correlationId, bool includeClosed = false,
        bool includeTasks = false, CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.CorrelatedWorkflowIds(name, correlationId, includeClosed)
            .Select(id => tx.Load(id))
            .Where(s => s is not null)
            .Select(s => Snapshot(s!.Workflow, includeTasks))
            .ToList(), cancellationToken).ConfigureAwait(false);

    /// <summary>conductor-oss's <c>POST /api/workflow/{id}/resetcallbacks</c>: worker tasks of a running workflow that wait
    /// out a <c>callbackAfterSeconds</c> (SCHEDULED, not yet visible) become visible to pollers now. A 409 for a finished
    /// workflow; returns how many tasks were reset.</summary>
    public Task<int> ResetCallbacksAsync(string workflowId, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            var state = LoadOrThrow(tx, workflowId);
            if (state.Workflow.Status.IsTerminal())
            {
                throw ConductorException.Conflict($"Workflow is in terminal state. Status = {state.Workflow.Status}");
            }
            var count = 0;
            foreach (var task in state.Tasks.Where(t => t.Status == ConductorTaskStatus.SCHEDULED && t.CallbackAfterSeconds > 0 && Decider.IsWorkerTask(t)))
            {
                if (!tx.Store.IsQueued(task.TaskId!))
                {
                    continue;
                }
                tx.Store.Postpone(task.TaskId!, tx.Now);
                tx.WokenQueues.Add(Decider.QueueName(task.TaskType!, task.Domain));
                task.CallbackAfterSeconds = 0;
                count++;
            }
            return count;
        }, cancellationToken);

    /// <summary>conductor-oss's <c>PUT /api/workflow/decide/{id}</c>: runs the decider on the workflow now (the engine also
    /// decides after every change, so this only matters for timers that are due). A 404 for an unknown id.</summary>
    public Task DecideAsync(string workflowId, CancellationToken cancellationToken = default) =>
        RunAsync(tx => _decider.Decide(tx, LoadOrThrow(tx, workflowId)), cancellationToken);
}
