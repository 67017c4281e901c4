using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ConductorTools.Server;

/// <summary>
/// The conductor-oss REST surface (conductor-oss rest/.../controllers/*Resource.java) mapped onto an <see cref="IConductorApi"/>: same paths,
/// query parameters and defaults, status codes (204 vs <c>[]</c>, 204 on retry/restart) and content types
/// (text/plain ids). Semantics live in the engine; this file only translates HTTP.
/// </summary>
internal static class ConductorEndpoints
{
    /// <summary>The longest <c>waitForSeconds</c> of <c>execute</c> (a day; timers take at most about 24 days).</summary>
    private const int MaxWaitSeconds = 86_400;

    /// <summary>Conductor's cap on a search page.</summary>
    private const int MaxSearchSize = 5000;

    /// <summary>The conductor-oss release whose REST API this server follows (paths, shapes, status codes).</summary>
    public const string ConductorApiVersion = "3.32";

    /// <summary><c>GET /api/version</c> (text/plain, as conductor-oss): the product version and the API it follows.</summary>
    internal static string VersionText =>
        $"{typeof(ConductorEndpoints).Assembly.GetName().Version?.ToString(3)} (ConductorTools local server; follows the conductor-oss {ConductorApiVersion} REST API)";

    public static void MapConductorApi(this IEndpointRouteBuilder app, IConductorApi api)
    {
        async Task Health(HttpContext c) => await c.WriteJsonAsync(await api.GetHealthAsync(c.RequestAborted));
        app.MapGet("/health", Health);
        app.MapGet("/api/health", Health);
        app.MapGet("/api/version", c => c.WriteTextAsync(VersionText));

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
        group.MapGet("/workflow/names-and-versions", async c =>
            await c.WriteJsonAsync((await api.GetWorkflowDefsAsync(c.RequestAborted))
                .GroupBy(d => d.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.OrderBy(d => d.Version).Select(Summary).ToList(), StringComparer.Ordinal)));
        group.MapGet("/workflow/{name}/versions", async c =>
        {
            var name = c.Route("name");
            await c.WriteJsonAsync((await api.GetWorkflowDefsAsync(c.RequestAborted))
                .Where(d => d.Name == name).OrderBy(d => d.Version).Select(Summary).ToList());
        });
        group.MapGet("/workflow/{name}", async c =>
            await c.WriteJsonAsync(await api.GetWorkflowDefAsync(c.Route("name"), c.QueryInt("version"), c.RequestAborted)));
        group.MapDelete("/workflow/{name}/{version}", c =>
        {
            var text = c.Route("version");
            if (!int.TryParse(text, out var version)) throw new BadRequestException($"The workflow definition version must be an integer; got '{text}'.");
            return api.DeleteWorkflowDefAsync(c.Route("name"), version, c.RequestAborted);
        });
    }

    /// <summary>
    /// <c>POST /api/workflow/execute/{name}/{version}</c>: starts a workflow and answers when it ends, when a task named
    /// in <c>waitUntilTaskRef</c> completes, when it blocks on a WAIT/HUMAN task, or after <c>waitForSeconds</c> [10],
    /// in the shape <c>returnStrategy</c> asks for (<see cref="SignalResponses"/>).
    /// </summary>
    private static async Task ExecuteAsync(HttpContext c, IConductorApi api)
    {
        var strategy = SignalResponses.Strategy(c);
        var versionText = c.Route("version");
        if (!int.TryParse(versionText, out var version)) throw new BadRequestException($"The workflow version must be an integer; got '{versionText}'.");
        var waitSeconds = c.QueryInt("waitForSeconds") ?? 10;
        if (waitSeconds < 0) throw new BadRequestException($"waitForSeconds must not be negative; got {waitSeconds}.");
        // Checked before the workflow starts (a wait a timer cannot take would otherwise fail after starting it).
        if (waitSeconds > MaxWaitSeconds) throw new BadRequestException($"waitForSeconds must be at most {MaxWaitSeconds}; got {waitSeconds}.");
        var waitUntil = (c.Query("waitUntilTaskRef") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

        var request = await c.ReadOptionalJsonAsync<StartWorkflowRequest>("a start workflow request") ?? new StartWorkflowRequest();
        request.Name = c.Route("name");
        request.Version = version == 0 ? null : version;
        request.Input ??= new Dictionary<string, object?>();
        var id = await api.StartWorkflowAsync(request, c.RequestAborted);
        await SignalResponses.AnswerAsync(c, api, id, waitUntil, strategy, TimeSpan.FromSeconds(waitSeconds), c.Query("requestId"));
    }

    /// <summary><c>GET /api/metadata/workflow/names-and-versions</c> and <c>/{name}/versions</c>: WorkflowDefSummary.</summary>
    private static Dictionary<string, object?> Summary(WorkflowDef def)
    {
        var summary = new Dictionary<string, object?> { ["name"] = def.Name, ["version"] = def.Version };
        if (def.CreateTime is { } created) summary["createTime"] = created;
        if (def.UpdateTime is { } updated) summary["updateTime"] = updated;
        return summary;
    }

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
        // search-v2: the same search, answering whole workflows (without tasks, as conductor-oss's index holds them).
        group.MapGet("/search-v2", async c =>
        {
            var found = await api.SearchWorkflowsAsync(Search(c), c.RequestAborted);
            var workflows = new List<Workflow>();
            foreach (var summary in found.Results)
            {
                try
                {
                    workflows.Add(await api.GetWorkflowAsync(summary.WorkflowId!, includeTasks: false, c.RequestAborted));
                }
                catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.NotFound)
                {
                    // Removed between the search and the read.
                }
            }
            await c.WriteJsonAsync(new SearchResult<Workflow> { TotalHits = found.TotalHits, Results = workflows });
        });
        foreach (var path in new[] { "/search-by-tasks", "/search-by-tasks-v2", "/externalstoragelocation", "/external-storage-location" })
        {
            group.MapGet(path, NotImplemented);
        }
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
        group.MapDelete("/{workflowId}/terminate-remove", c =>
            TerminateRemoveAsync(api, c.Route("workflowId"), c.Query("reason"), c.QueryBool("archiveWorkflow", true), c.RequestAborted));
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

        group.MapPut("/decide/{workflowId}", async c =>
        {
            if (api is Engine.EmbeddedConductor engine) await engine.DecideAsync(c.Route("workflowId"), c.RequestAborted);
            else await api.GetWorkflowStatusAsync(c.Route("workflowId"), false, false, c.RequestAborted);
        });
        group.MapPost("/{workflowId}/resetcallbacks", async c =>
        {
            if (api is not Engine.EmbeddedConductor engine) throw new BadRequestException("resetcallbacks needs the embedded engine.");
            await engine.ResetCallbacksAsync(c.Route("workflowId"), c.RequestAborted);
            c.NoContent();
        });

        MapBulk(group.MapGroup("/bulk"), api);
    }

    private static async Task TerminateRemoveAsync(IConductorApi api, string id, string? reason, bool archive, CancellationToken cancellationToken)
    {
        try
        {
            await api.TerminateWorkflowAsync(id, reason, cancellationToken);
        }
        catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.Conflict)
        {
            // Already completed: nothing to terminate, remove it all the same.
        }
        await api.RemoveWorkflowAsync(id, archive, cancellationToken);
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
        bulk.MapDelete("/terminate-remove", c => Run(c, id => TerminateRemoveAsync(api, id, c.Query("reason"), c.QueryBool("archiveWorkflow", true), c.RequestAborted)));
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
        group.MapGet("/search-v2", async c =>
        {
            var found = await api.SearchTasksAsync(Search(c), c.RequestAborted);
            var tasks = new List<ConductorTask>();
            foreach (var summary in found.Results)
            {
                try
                {
                    tasks.Add(await api.GetTaskAsync(summary.TaskId!, c.RequestAborted));
                }
                catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.NotFound)
                {
                    // Removed between the search and the read.
                }
            }
            await c.WriteJsonAsync(new SearchResult<ConductorTask> { TotalHits = found.TotalHits, Results = tasks });
        });
        foreach (var path in new[] { "/externalstoragelocation", "/external-storage-location" })
        {
            group.MapGet(path, NotImplemented);
        }
        if (api is Engine.EmbeddedConductor engine)
        {
            group.MapGet("/queue/all", async c =>
                await c.WriteJsonAsync((await engine.GetAllQueueSizesAsync(c.RequestAborted)).ToDictionary(p => p.Key, p => (long)p.Value)));
            // conductor-oss's verbose form: queue -> shard -> size and unacked count (one shard; polled tasks leave the queue).
            group.MapGet("/queue/all/verbose", async c =>
                await c.WriteJsonAsync((await engine.GetAllQueueSizesAsync(c.RequestAborted)).ToDictionary(p => p.Key,
                    p => new Dictionary<string, Dictionary<string, long>> { ["a"] = new() { ["size"] = p.Value, ["uacked"] = 0 } })));
            group.MapGet("/queue/polldata/all", async c => await c.WriteJsonAsync(await engine.GetAllPollDataAsync(c.RequestAborted)));
            group.MapPost("/queue/requeue/{taskType}", async c =>
                await c.WriteTextAsync((await engine.RequeuePendingTasksAsync(c.Route("taskType"), c.RequestAborted)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        else
        {
            foreach (var path in new[] { "/queue/all", "/queue/all/verbose", "/queue/polldata/all" })
            {
                group.MapGet(path, NotImplemented);
            }
            group.MapPost("/queue/requeue/{taskType}", NotImplemented);
        }
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
        group.MapPost("/{workflowId}/{status}/signal/sync", async c =>
        {
            var strategy = SignalResponses.Strategy(c);
            var timeoutMillis = c.QueryLong("timeoutMillis") ?? 5000;
            if (timeoutMillis < 0) throw new BadRequestException($"timeoutMillis must not be negative; got {timeoutMillis}.");
            var status = HttpExchange.ParseEnum<TaskResultStatus>(c.Route("status"), "task status");
            var output = await c.ReadOptionalJsonAsync<Dictionary<string, object?>>("the task output");
            var workflowId = c.Route("workflowId");
            try
            {
                await api.SignalWorkflowTaskAsync(workflowId, status, output, c.RequestAborted);
            }
            catch (ConductorException ex) when (ex.Kind == ConductorErrorKind.NotFound && !ex.Message.Contains("No such workflow", StringComparison.Ordinal))
            {
                throw ConductorException.NotFound($"Found no blocked task in workflow {workflowId} to signal");
            }
            await SignalResponses.AnswerAsync(c, api, workflowId, new HashSet<string>(), strategy, TimeSpan.FromMilliseconds(timeoutMillis), null);
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

    /// <summary>A conductor-oss path this server does not implement: the same 404 as an unknown path, rather than the
    /// answer of a parameterised route it would otherwise match (<c>/api/workflow/{workflowId}</c>).</summary>
    private static Task NotImplemented(HttpContext c) =>
        ErrorResponses.WriteAsync(c, new ErrorResponse
        {
            Status = 404,
            Message = $"No endpoint {c.Request.Method} {c.Request.Path}: the ConductorTools local server does not implement it.",
        });

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
