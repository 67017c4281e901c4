using ConductorTools.Model;

namespace ConductorTools.Api;

/// <summary>
/// The one seam every caller (cmdlets, worker runtime, Functions app, server) uses to talk to Conductor.
/// Implemented by <c>HttpConductorApi</c> (the REST API of conductor-oss and Orkes) and by the embedded engine,
/// with the same semantics. Every failure is a <see cref="ConductorException"/>.
/// </summary>
public interface IConductorApi : IMetadataApi, IWorkflowApi, ITaskApi
{
    /// <summary>Server health (<c>GET /health</c>).</summary>
    Task<HealthResponse> GetHealthAsync(CancellationToken cancellationToken = default);
}

/// <summary>Task and workflow definitions (<c>/api/metadata</c>).</summary>
public interface IMetadataApi
{
    /// <summary>Creates or updates task definitions (<c>POST /api/metadata/taskdefs</c>, an upsert).</summary>
    Task RegisterTaskDefsAsync(IReadOnlyList<TaskDef> taskDefs, CancellationToken cancellationToken = default);

    /// <summary>Updates an existing task definition (<c>PUT /api/metadata/taskdefs</c>); 404 if it does not exist.</summary>
    Task UpdateTaskDefAsync(TaskDef taskDef, CancellationToken cancellationToken = default);

    /// <summary>One task definition; <see cref="ConductorErrorKind.NotFound"/> when unknown.</summary>
    Task<TaskDef> GetTaskDefAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TaskDef>> GetTaskDefsAsync(CancellationToken cancellationToken = default);

    Task DeleteTaskDefAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Registers a workflow definition (<c>POST /api/metadata/workflow</c>); 409 when the version exists and <paramref name="overwrite"/> is false.</summary>
    Task RegisterWorkflowDefAsync(WorkflowDef workflowDef, bool overwrite = false, CancellationToken cancellationToken = default);

    /// <summary>Creates or updates several workflow definitions (<c>PUT /api/metadata/workflow</c>).</summary>
    Task<BulkResponse> UpdateWorkflowDefsAsync(IReadOnlyList<WorkflowDef> workflowDefs, CancellationToken cancellationToken = default);

    /// <summary>Validates a definition without storing it (<c>POST /api/metadata/workflow/validate</c>).</summary>
    Task ValidateWorkflowDefAsync(WorkflowDef workflowDef, CancellationToken cancellationToken = default);

    /// <summary>A workflow definition; the latest version when <paramref name="version"/> is null.</summary>
    Task<WorkflowDef> GetWorkflowDefAsync(string name, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>Every version of every workflow definition.</summary>
    Task<IReadOnlyList<WorkflowDef>> GetWorkflowDefsAsync(CancellationToken cancellationToken = default);

    Task DeleteWorkflowDefAsync(string name, int version, CancellationToken cancellationToken = default);
}

/// <summary>Workflow executions (<c>/api/workflow</c>).</summary>
public interface IWorkflowApi
{
    /// <summary>Starts a workflow (<c>POST /api/workflow</c>) and returns its id.</summary>
    Task<string> StartWorkflowAsync(StartWorkflowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Starts a workflow by name (<c>POST /api/workflow/{name}</c>) and returns its id.</summary>
    Task<string> StartWorkflowAsync(string name, IDictionary<string, object?>? input, int? version = null,
        string? correlationId = null, int priority = 0, CancellationToken cancellationToken = default);

    Task<Workflow> GetWorkflowAsync(string workflowId, bool includeTasks = true, CancellationToken cancellationToken = default);

    Task<WorkflowStatusInfo> GetWorkflowStatusAsync(string workflowId, bool includeOutput = false, bool includeVariables = false,
        CancellationToken cancellationToken = default);

    /// <summary>Terminates a workflow (<c>DELETE /api/workflow/{id}</c>).</summary>
    Task TerminateWorkflowAsync(string workflowId, string? reason = null, CancellationToken cancellationToken = default);

    Task PauseWorkflowAsync(string workflowId, CancellationToken cancellationToken = default);

    Task ResumeWorkflowAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Retries a terminal workflow from its failed tasks.</summary>
    Task RetryWorkflowAsync(string workflowId, bool resumeSubworkflowTasks = false, CancellationToken cancellationToken = default);

    /// <summary>Restarts a terminal workflow from the beginning, same id.</summary>
    Task RestartWorkflowAsync(string workflowId, bool useLatestDefinitions = false, CancellationToken cancellationToken = default);

    /// <summary>Reruns a terminal workflow, optionally from a task; returns the workflow id.</summary>
    Task<string> RerunWorkflowAsync(string workflowId, RerunWorkflowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Pre-skips a not-yet-scheduled task of a running workflow.</summary>
    Task SkipTaskFromWorkflowAsync(string workflowId, string taskReferenceName, SkipTaskRequest? request = null,
        CancellationToken cancellationToken = default);

    /// <summary>Deletes a workflow's execution data.</summary>
    Task RemoveWorkflowAsync(string workflowId, bool archiveWorkflow = true, CancellationToken cancellationToken = default);

    Task<SearchResult<WorkflowSummary>> SearchWorkflowsAsync(SearchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Ids of running workflows of a name and version (Conductor defaults the version to 1, not latest).</summary>
    Task<IReadOnlyList<string>> GetRunningWorkflowsAsync(string name, int? version = null, long? startTime = null, long? endTime = null,
        CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Workflow>> GetWorkflowsByCorrelationIdAsync(string name, string correlationId, bool includeClosed = false,
        bool includeTasks = false, CancellationToken cancellationToken = default);
}

/// <summary>Task polling, updates, logs and queues (<c>/api/tasks</c>).</summary>
public interface ITaskApi
{
    /// <summary>Polls one task (<c>GET /api/tasks/poll/{type}</c>); null when none is queued.</summary>
    Task<ConductorTask?> PollAsync(string taskType, string? workerId = null, string? domain = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Polls up to <paramref name="count"/> tasks, waiting up to <paramref name="timeout"/> (at most 5 s) server-side for
    /// the first (<c>GET /api/tasks/poll/batch/{type}</c>). Empty when none is queued.
    /// </summary>
    Task<IReadOnlyList<ConductorTask>> BatchPollAsync(string taskType, int count, TimeSpan timeout, string? workerId = null,
        string? domain = null, CancellationToken cancellationToken = default);

    /// <summary>Reports a task result (<c>POST /api/tasks</c>); returns the task id.</summary>
    Task<string> UpdateTaskAsync(TaskResult result, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports a task result and, where the server has <c>POST /api/tasks/update-v2</c>, receives the next task of the same
    /// type and domain for the result's worker (null when none, or when the server lacks update-v2, in which case the
    /// implementation falls back to <c>POST /api/tasks</c>).
    /// </summary>
    Task<ConductorTask?> UpdateTaskV2Async(TaskResult result, CancellationToken cancellationToken = default);

    /// <summary>
    /// Updates the first non-terminal task with a reference name (<c>POST /api/tasks/{wf}/{ref}/{status}</c>), merging
    /// <paramref name="output"/> into its output. Returns the task id, or null when no pending task has that name.
    /// </summary>
    Task<string?> UpdateTaskByRefNameAsync(string workflowId, string taskReferenceName, TaskResultStatus status,
        IDictionary<string, object?>? output, string? workerId = null, CancellationToken cancellationToken = default);

    /// <summary>Completes the first non-terminal WAIT task of a workflow (<c>POST /api/tasks/{wf}/{status}/signal</c>).</summary>
    Task SignalWorkflowTaskAsync(string workflowId, TaskResultStatus status, IDictionary<string, object?>? output,
        CancellationToken cancellationToken = default);

    Task<ConductorTask> GetTaskAsync(string taskId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken cancellationToken = default);

    Task AddTaskLogAsync(string taskId, string log, CancellationToken cancellationToken = default);

    /// <summary>Pending tasks per task type in the default-domain queue.</summary>
    Task<IReadOnlyDictionary<string, int>> GetQueueSizesAsync(IEnumerable<string> taskTypes, CancellationToken cancellationToken = default);

    /// <summary>Pending tasks of one task type in a domain's queue.</summary>
    Task<int> GetQueueSizeAsync(string taskType, string? domain = null, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken cancellationToken = default);

    Task<SearchResult<TaskSummary>> SearchTasksAsync(SearchRequest request, CancellationToken cancellationToken = default);
}
