using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConductorTools.Server;

/// <summary>
/// The conductor-oss REST surface (protocol reference §1–§2) mapped onto an <see cref="IConductorApi"/>: same paths,
/// query parameters and defaults, status codes (204 vs <c>[]</c>, 204 on retry/restart) and content types
/// (text/plain ids). Semantics live in the engine; this file only translates HTTP.
/// </summary>
internal static class ConductorEndpoints
{
    /// <summary>Conductor's cap on a search page.</summary>
    private const int MaxSearchSize = 5000;

    public static void MapConductorApi(this IEndpointRouteBuilder app, IConductorApi api)
    {
        async Task Health(HttpContext c) => await c.WriteJsonAsync(await api.GetHealthAsync(c.RequestAborted));
        app.MapGet("/health", Health);
        app.MapGet("/api/health", Health);
        app.MapGet("/api/version", c => c.WriteTextAsync(typeof(ConductorEndpoints).Assembly.GetName().Version?.ToString(3)));

        MapMetadata(app.MapGroup("/api/metadata"), api);
        MapWorkflows(app.MapGroup("/api/workflow"), api);
        MapTasks(app.MapGroup("/api/tasks"), api);
    }

    private static void MapMetadata(RouteGroupBuilder group, IConductorApi api)
    {
        group.MapPost("/taskdefs", async c =>
        {
            var defs = await c.ReadJsonAsync<List<TaskDef>>("an array of task definitions");
            if (defs.Count == 0) throw new BadRequestException("The array of task definitions is empty; send at least one.");
            await api.RegisterTaskDefsAsync(defs, c.RequestAborted);
        });
        group.MapPut("/taskdefs", async c => await api.UpdateTaskDefAsync(await c.ReadJsonAsync<TaskDef>("a task definition"), c.RequestAborted));
        group.MapGet("/taskdefs", async c => await c.WriteJsonAsync(await api.GetTaskDefsAsync(c.RequestAborted)));
        group.MapGet("/taskdefs/{tasktype}", async c => await c.WriteJsonAsync(await api.GetTaskDefAsync(c.Route("tasktype"), c.RequestAborted)));
        group.MapDelete("/taskdefs/{tasktype}", c => api.DeleteTaskDefAsync(c.Route("tasktype"), c.RequestAborted));

        group.MapPost("/workflow", async c =>
            await api.RegisterWorkflowDefAsync(await c.ReadJsonAsync<WorkflowDef>("a workflow definition"), c.QueryBool("overwrite", false), c.RequestAborted));
        group.MapPut("/workflow", async c =>
            await c.WriteJsonAsync(await api.UpdateWorkflowDefsAsync(await c.ReadJsonAsync<List<WorkflowDef>>("an array of workflow definitions"), c.RequestAborted)));
        group.MapPost("/workflow/validate", async c =>
            await api.ValidateWorkflowDefAsync(await c.ReadJsonAsync<WorkflowDef>("a workflow definition"), c.RequestAborted));
        group.MapGet("/workflow", async c => await c.WriteJsonAsync(await api.GetWorkflowDefsAsync(c.RequestAborted)));
        group.MapGet("/workflow/latest-versions", async c => await c.WriteJsonAsync(LatestVersions(await api.GetWorkflowDefsAsync(c.RequestAborted))));
        group.MapGet("/workflow/names", async c =>
            await c.WriteJsonAsync((await api.GetWorkflowDefsAsync(c.RequestAborted)).Select(d => d.Name).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList()));
        group.MapGet("/workflow/{name}", async c =>
            await c.WriteJsonAsync(await api.GetWorkflowDefAsync(c.Route("name"), c.QueryInt("version"), c.RequestAborted)));
        group.MapDelete("/workflow/{name}/{version}", c =>
        {
            var text = c.Route("version");
            if (!int.TryParse(text, out var version)) throw new BadRequestException($"The workflow definition version must be an integer; got '{text}'.");
            return api.DeleteWorkflowDefAsync(c.Route("name"), version, c.RequestAborted);
        });
    }

    /// <summary>How often a synchronous execute looks at the workflow while it waits (the engine has no change feed).</summary>
    private static readonly TimeSpan ExecutePollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// <c>POST /api/workflow/execute/{name}/{version}</c>: starts a workflow and answers when it ends, when a task named
    /// in <c>waitUntilTaskRef</c> completes, when it blocks on a WAIT/HUMAN task, or after <c>waitForSeconds</c> [10],
    /// with the workflow in the SignalResponse (TARGET_WORKFLOW) shape, which carries the WorkflowRun fields too.
    /// </summary>
    private static async Task ExecuteAsync(HttpContext c, IConductorApi api)
    {
        var strategy = c.Query("returnStrategy") ?? "TARGET_WORKFLOW";
        if (strategy is not ("TARGET_WORKFLOW" or "BLOCKING_WORKFLOW"))
        {
            throw new BadRequestException($"returnStrategy '{strategy}' is not supported by the local server; use TARGET_WORKFLOW or BLOCKING_WORKFLOW.");
        }
        var versionText = c.Route("version");
        if (!int.TryParse(versionText, out var version)) throw new BadRequestException($"The workflow version must be an integer; got '{versionText}'.");
        var waitSeconds = c.QueryInt("waitForSeconds") ?? 10;
        if (waitSeconds < 0) throw new BadRequestException($"waitForSeconds must not be negative; got {waitSeconds}.");
        var waitUntil = (c.Query("waitUntilTaskRef") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

        var request = await c.ReadOptionalJsonAsync<StartWorkflowRequest>("a start workflow request") ?? new StartWorkflowRequest();
        request.Name = c.Route("name");
        request.Version = version == 0 ? null : version;
        request.Input ??= new Dictionary<string, object?>();
        var id = await api.StartWorkflowAsync(request, c.RequestAborted);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
        limit.CancelAfter(TimeSpan.FromSeconds(waitSeconds));
        var workflow = await api.GetWorkflowAsync(id, includeTasks: true, c.RequestAborted);
        while (!IsSettled(workflow, waitUntil) && !limit.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ExecutePollInterval, limit.Token);
            }
            catch (OperationCanceledException) when (!c.RequestAborted.IsCancellationRequested)
            {
                // waitForSeconds elapsed: answer with the workflow as it is now.
            }
            workflow = await api.GetWorkflowAsync(id, includeTasks: true, c.RequestAborted);
        }

        var body = System.Text.Json.JsonSerializer.SerializeToNode(workflow, ConductorJson.Options)!.AsObject();
        body["responseType"] = strategy;
        body["targetWorkflowId"] = workflow.WorkflowId;
        body["targetWorkflowStatus"] = workflow.Status.ToString();
        body["requestId"] = c.Query("requestId");
        await c.WriteJsonAsync(body);
    }

    private static bool IsSettled(Workflow workflow, IReadOnlySet<string> waitUntil) =>
        workflow.Status.IsTerminal()
        || workflow.Tasks.Any(t => waitUntil.Contains(t.ReferenceTaskName ?? "") && (t.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
        || workflow.Tasks.Any(t => t.TaskType is WorkflowTaskTypes.Wait or WorkflowTaskTypes.Human && t.Status == ConductorTaskStatus.IN_PROGRESS);

    private static List<WorkflowDef> LatestVersions(IEnumerable<WorkflowDef> defs) =>
        defs.GroupBy(d => d.Name, StringComparer.Ordinal).Select(g => g.OrderByDescending(d => d.Version).First()).ToList();

    private static void MapWorkflows(RouteGroupBuilder group, IConductorApi api)
    {
        group.MapPost("", async c =>
            await c.WriteTextAsync(await api.StartWorkflowAsync(await c.ReadJsonAsync<StartWorkflowRequest>("a start workflow request"), c.RequestAborted)));
        group.MapPost("/{name}", async c =>
        {
            var input = await c.ReadOptionalJsonAsync<Dictionary<string, object?>>("the workflow input");
            if (input is null) throw ConductorException.BadRequest("NULL input passed when starting workflow");
            var id = await api.StartWorkflowAsync(new StartWorkflowRequest
            {
                Name = c.Route("name"),
                Version = c.QueryInt("version"),
                CorrelationId = c.Query("correlationId"),
                Priority = c.QueryInt("priority") ?? 0,
                Input = input,
            }, c.RequestAborted);
            await c.WriteTextAsync(id);
        });

        group.MapPost("/execute/{name}/{version}", c => ExecuteAsync(c, api));

        group.MapGet("/search", async c => await c.WriteJsonAsync(await api.SearchWorkflowsAsync(Search(c), c.RequestAborted)));
        group.MapGet("/running/{name}", async c =>
            await c.WriteJsonAsync(await api.GetRunningWorkflowsAsync(c.Route("name"), c.QueryInt("version") ?? 1,
                c.QueryLong("startTime"), c.QueryLong("endTime"), c.RequestAborted)));
        group.MapGet("/{name}/correlated/{correlationId}", async c =>
            await c.WriteJsonAsync(await api.GetWorkflowsByCorrelationIdAsync(c.Route("name"), c.Route("correlationId"),
                c.QueryBool("includeClosed", false), c.QueryBool("includeTasks", false), c.RequestAborted)));
        group.MapPost("/{name}/correlated", async c =>
        {
            var ids = await c.ReadJsonAsync<List<string>>("an array of correlation ids");
            var result = new Dictionary<string, IReadOnlyList<Workflow>>(StringComparer.Ordinal);
            foreach (var id in ids.Distinct(StringComparer.Ordinal))
            {
                result[id] = await api.GetWorkflowsByCorrelationIdAsync(c.Route("name"), id, c.QueryBool("includeClosed", false),
                    c.QueryBool("includeTasks", false), c.RequestAborted);
            }
            await c.WriteJsonAsync(result);
        });

        group.MapGet("/{workflowId}", async c =>
            await c.WriteJsonAsync(await api.GetWorkflowAsync(c.Route("workflowId"), c.QueryBool("includeTasks", true), c.RequestAborted)));
        group.MapGet("/{workflowId}/status", async c =>
            await c.WriteJsonAsync(await api.GetWorkflowStatusAsync(c.Route("workflowId"), c.QueryBool("includeOutput", false),
                c.QueryBool("includeVariables", false), c.RequestAborted)));
        group.MapGet("/{workflowId}/tasks", async c =>
        {
            var workflow = await api.GetWorkflowAsync(c.Route("workflowId"), includeTasks: true, c.RequestAborted);
            var statuses = c.QueryAll("status").Select(s => s.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
            var tasks = workflow.Tasks.Where(t => statuses.Count == 0 || statuses.Contains(t.Status?.ToString() ?? "")).ToList();
            var start = Math.Max(0, c.QueryInt("start") ?? 0);
            var count = Math.Max(0, c.QueryInt("count") ?? 15);
            await c.WriteJsonAsync(new SearchResult<ConductorTask> { TotalHits = tasks.Count, Results = tasks.Skip(start).Take(count).ToList() });
        });
        group.MapDelete("/{workflowId}", c => api.TerminateWorkflowAsync(c.Route("workflowId"), c.Query("reason"), c.RequestAborted));
        group.MapDelete("/{workflowId}/remove", c => api.RemoveWorkflowAsync(c.Route("workflowId"), c.QueryBool("archiveWorkflow", true), c.RequestAborted));
        group.MapDelete("/{workflowId}/terminate-remove", async c =>
        {
            var id = c.Route("workflowId");
            try
            {
                await api.TerminateWorkflowAsync(id, c.Query("reason"), c.RequestAborted);
            }
            catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.Conflict)
            {
                // Already completed: nothing to terminate, remove it all the same.
            }
            await api.RemoveWorkflowAsync(id, c.QueryBool("archiveWorkflow", true), c.RequestAborted);
        });
        group.MapPut("/{workflowId}/pause", c => api.PauseWorkflowAsync(c.Route("workflowId"), c.RequestAborted));
        group.MapPut("/{workflowId}/resume", c => api.ResumeWorkflowAsync(c.Route("workflowId"), c.RequestAborted));
        group.MapPost("/{workflowId}/retry", async c =>
        {
            await api.RetryWorkflowAsync(c.Route("workflowId"), c.QueryBool("resumeSubworkflowTasks", false), c.RequestAborted);
            c.NoContent();
        });
        group.MapPost("/{workflowId}/restart", async c =>
        {
            await api.RestartWorkflowAsync(c.Route("workflowId"), c.QueryBool("useLatestDefinitions", false), c.RequestAborted);
            c.NoContent();
        });
        group.MapPost("/{workflowId}/rerun", async c =>
        {
            var request = await c.ReadOptionalJsonAsync<RerunWorkflowRequest>("a rerun workflow request") ?? new RerunWorkflowRequest();
            request.ReRunFromWorkflowId = c.Route("workflowId");
            await c.WriteTextAsync(await api.RerunWorkflowAsync(request.ReRunFromWorkflowId, request, c.RequestAborted));
        });
        group.MapPut("/{workflowId}/skiptask/{taskReferenceName}", async c =>
        {
            // conductor-oss binds the skip request from query parameters; a JSON body (what the Java SDK sends) is accepted too.
            var request = await c.ReadOptionalJsonAsync<SkipTaskRequest>("a skip task request") ?? new SkipTaskRequest
            {
                TaskInput = QueryMap(c, "taskInput"),
                TaskOutput = QueryMap(c, "taskOutput"),
            };
            await api.SkipTaskFromWorkflowAsync(c.Route("workflowId"), c.Route("taskReferenceName"), request, c.RequestAborted);
        });

        MapBulk(group.MapGroup("/bulk"), api);
    }

    /// <summary>Bulk operations (WorkflowBulkResource): each id is tried, failures are reported per id, the call is 200.</summary>
    private static void MapBulk(RouteGroupBuilder bulk, IConductorApi api)
    {
        static async Task Run(HttpContext c, Func<string, Task> operation)
        {
            var ids = await c.ReadJsonAsync<List<string>>("an array of workflow ids");
            if (ids.Count > 1000) throw new BadRequestException($"A bulk request takes at most 1000 workflow ids; got {ids.Count}.");
            var response = new BulkResponse { Message = "Bulk Request has been processed." };
            foreach (var id in ids)
            {
                try
                {
                    await operation(id);
                    response.BulkSuccessfulResults.Add(id);
                }
                catch (ConductorException ex)
                {
                    response.BulkErrorResults[id] = ex.ServerMessage ?? ex.Message;
                }
            }
            await c.WriteJsonAsync(response);
        }

        bulk.MapPut("/pause", c => Run(c, id => api.PauseWorkflowAsync(id, c.RequestAborted)));
        bulk.MapPut("/resume", c => Run(c, id => api.ResumeWorkflowAsync(id, c.RequestAborted)));
        bulk.MapPost("/restart", c => Run(c, id => api.RestartWorkflowAsync(id, c.QueryBool("useLatestDefinitions", false), c.RequestAborted)));
        bulk.MapPost("/retry", c => Run(c, id => api.RetryWorkflowAsync(id, false, c.RequestAborted)));
        bulk.MapPost("/terminate", c => Run(c, id => api.TerminateWorkflowAsync(id, c.Query("reason"), c.RequestAborted)));
        bulk.MapDelete("/remove", c => Run(c, id => api.RemoveWorkflowAsync(id, c.QueryBool("archiveWorkflow", true), c.RequestAborted)));
    }

    private static void MapTasks(RouteGroupBuilder group, IConductorApi api)
    {
        group.MapGet("/poll/{tasktype}", async c =>
        {
            var task = await api.PollAsync(c.Route("tasktype"), c.Query("workerid"), c.Query("domain"), c.RequestAborted);
            if (task is null) c.NoContent();
            else await c.WriteJsonAsync(task);
        });
        group.MapGet("/poll/batch/{tasktype}", async c =>
        {
            var count = c.QueryInt("count") ?? 1;
            var timeout = c.QueryInt("timeout") ?? 100;
            if (timeout < 0) throw new BadRequestException($"Query parameter 'timeout' must not be negative; got {timeout}.");
            // The engine waits server-side (no busy loop) and wakes as soon as a task of this type is scheduled.
            var tasks = await api.BatchPollAsync(c.Route("tasktype"), count, TimeSpan.FromMilliseconds(timeout), c.Query("workerid"),
                c.Query("domain"), c.RequestAborted);
            await c.WriteJsonAsync(tasks);
        });
        group.MapPost("", async c => await c.WriteTextAsync(await api.UpdateTaskAsync(await c.ReadJsonAsync<TaskResult>("a task result"), c.RequestAborted)));
        group.MapPost("/update-v2", async c =>
        {
            var next = await api.UpdateTaskV2Async(await c.ReadJsonAsync<TaskResult>("a task result"), c.RequestAborted);
            if (next is null) c.NoContent();
            else await c.WriteJsonAsync(next);
        });

        group.MapGet("/search", async c => await c.WriteJsonAsync(await api.SearchTasksAsync(Search(c), c.RequestAborted)));
        group.MapGet("/queue/sizes", async c =>
        {
            var types = c.QueryAll("taskType");
            if (types.Count == 0) throw new BadRequestException("Name at least one task type: GET /api/tasks/queue/sizes?taskType=a&taskType=b.");
            await c.WriteJsonAsync(await api.GetQueueSizesAsync(types, c.RequestAborted));
        });
        group.MapGet("/queue/size", async c =>
        {
            var type = c.Query("taskType") ?? throw new BadRequestException("Query parameter 'taskType' is required.");
            await c.WriteJsonAsync(await api.GetQueueSizeAsync(type, c.Query("domain"), c.RequestAborted));
        });
        group.MapGet("/queue/polldata", async c =>
        {
            var type = c.Query("taskType") ?? throw new BadRequestException("Query parameter 'taskType' is required.");
            await c.WriteJsonAsync(await api.GetPollDataAsync(type, c.RequestAborted));
        });

        group.MapGet("/{taskId}", async c => await c.WriteJsonAsync(await api.GetTaskAsync(c.Route("taskId"), c.RequestAborted)));
        group.MapGet("/{taskId}/log", async c =>
        {
            var logs = await api.GetTaskLogsAsync(c.Route("taskId"), c.RequestAborted);
            if (logs.Count == 0) c.NoContent();
            else await c.WriteJsonAsync(logs);
        });
        // The raw body is the log line, stored verbatim (a JSON-encoded string keeps its quotes, as in Conductor).
        group.MapPost("/{taskId}/log", async c => await api.AddTaskLogAsync(c.Route("taskId"), await c.ReadTextAsync(), c.RequestAborted));

        group.MapPost("/{workflowId}/{taskRefName}/{status}", async c =>
            await c.WriteTextAsync(await UpdateByRefAsync(c, api)));
        group.MapPost("/{workflowId}/{taskRefName}/{status}/sync", async c =>
        {
            var id = await UpdateByRefAsync(c, api)
                ?? throw ConductorException.NotFound($"Workflow {c.Route("workflowId")} has no pending task with reference name {c.Route("taskRefName")}.");
            await c.WriteJsonAsync(await api.GetWorkflowAsync(c.Route("workflowId"), includeTasks: true, c.RequestAborted));
        });
        group.MapPost("/{workflowId}/{status}/signal", async c =>
        {
            var status = HttpExchange.ParseEnum<TaskResultStatus>(c.Route("status"), "task status");
            var output = await c.ReadOptionalJsonAsync<Dictionary<string, object?>>("the task output");
            await api.SignalWorkflowTaskAsync(c.Route("workflowId"), status, output, c.RequestAborted);
        });
    }

    private static async Task<string?> UpdateByRefAsync(HttpContext c, IConductorApi api)
    {
        var status = HttpExchange.ParseEnum<TaskResultStatus>(c.Route("status"), "task status");
        var output = await c.ReadOptionalJsonAsync<Dictionary<string, object?>>("the task output");
        return await api.UpdateTaskByRefNameAsync(c.Route("workflowId"), c.Route("taskRefName"), status, output, c.Query("workerid"), c.RequestAborted);
    }

    private static SearchRequest Search(HttpContext c)
    {
        var size = c.QueryInt("size") ?? 100;
        if (size > MaxSearchSize) throw new BadRequestException($"Cannot return more than {MaxSearchSize} results per page; got size={size}. Page through the results with start and size.");
        var start = c.QueryInt("start") ?? 0;
        if (start < 0 || size < 0) throw new BadRequestException("Query parameters 'start' and 'size' must not be negative.");
        return new SearchRequest { Start = start, Size = size, Sort = c.Query("sort"), FreeText = c.Query("freeText") ?? "*", Query = c.Query("query") };
    }

    private static Dictionary<string, object?>? QueryMap(HttpContext c, string name)
    {
        var text = c.Query(name);
        if (text is null) return null;
        try
        {
            return ConductorJson.Deserialize<Dictionary<string, object?>>(text);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new BadRequestException($"Query parameter '{name}' must be a JSON object: {ex.Message}", ex);
        }
    }
}
