using System.Globalization;
using System.Net;
using System.Text;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace ConductorTools.Http;

/// <summary>
/// <see cref="IConductorApi"/> over the conductor-oss / Orkes REST API, on one reused <see cref="HttpClient"/>.
/// Every failure becomes a <see cref="ConductorException"/> naming the request; idempotent calls are retried on
/// transient failures, non-idempotent ones (start, task update) never are: their callers own that decision.
/// </summary>
public sealed class HttpConductorApi : IConductorApi, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _apiRoot;
    private readonly ConductorClientOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _transientRetry;
    private volatile bool _updateV2Missing;

    public HttpConductorApi(ConductorClientOptions options, HttpMessageHandler? handler = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _apiRoot = options.ServerUrl ?? throw new ArgumentException(
            $"No Conductor server URL is configured. Set ServerUrl, or the {ConductorClientOptions.ServerUrlVariable} environment variable (e.g. http://localhost:8080/api).",
            nameof(options));
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HttpConductorApi>();

        var pipeline = handler ?? CreateDefaultHandler();
        if (options.HasKeyAuth)
        {
            pipeline = new OrkesTokenHandler(pipeline, _apiRoot, options.KeyId!, options.KeySecret!, options.TokenRefreshInterval, timeProvider);
        }
        else if (options.Credential is not null)
        {
            var scopes = options.CredentialScopes.Count > 0 ? options.CredentialScopes : throw new ArgumentException(
                "An Entra ID credential needs at least one scope (CredentialScopes), e.g. api://<app-id>/.default.", nameof(options));
            pipeline = new BearerTokenHandler(pipeline, BearerTokenHandler.FromCredential(options.Credential, scopes), timeProvider);
        }
        else if (options.AccessTokenProvider is not null)
        {
            pipeline = new BearerTokenHandler(pipeline, options.AccessTokenProvider, timeProvider);
        }

        // Timeouts are applied per request (a long poll adds its wait), so the client itself never times out.
        _http = new HttpClient(pipeline, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);

        _transientRetry = options.MaxTransientAttempts <= 1
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ConductorException>(e => e.Retryable),
                MaxRetryAttempts = options.MaxTransientAttempts - 1,
                Delay = options.TransientRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    _logger.LogWarning("Retrying a Conductor request after a transient failure (attempt {Attempt}): {Message}",
                        args.AttemptNumber + 1, args.Outcome.Exception?.Message);
                    return default;
                },
            }).Build();
    }

    /// <summary>The API root requests are sent to.</summary>
    public Uri ServerUrl => _apiRoot;

    /// <summary>True once the server showed it has no <c>POST /api/tasks/update-v2</c>.</summary>
    public bool UpdateV2Unsupported => _updateV2Missing;

    private static HttpMessageHandler CreateDefaultHandler() => new HttpClientHandler
    {
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        MaxConnectionsPerServer = 256,
    };

    public void Dispose() => _http.Dispose();

    public override string ToString() => _options.ToString();

    // ---------------------------------------------------------------- metadata

    public Task RegisterTaskDefsAsync(IReadOnlyList<TaskDef> taskDefs, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "metadata/taskdefs", taskDefs, idempotent: true, cancellationToken);

    public Task UpdateTaskDefAsync(TaskDef taskDef, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "metadata/taskdefs", taskDef, idempotent: true, cancellationToken);

    public Task<TaskDef> GetTaskDefAsync(string name, CancellationToken cancellationToken = default) =>
        GetJsonAsync<TaskDef>("metadata/taskdefs/" + Segment(name, nameof(name)), cancellationToken);

    public async Task<IReadOnlyList<TaskDef>> GetTaskDefsAsync(CancellationToken cancellationToken = default) =>
        await GetJsonAsync<List<TaskDef>>("metadata/taskdefs", cancellationToken).ConfigureAwait(false);

    public Task DeleteTaskDefAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "metadata/taskdefs/" + Segment(name, nameof(name)), null, idempotent: true, cancellationToken);

    public Task RegisterWorkflowDefAsync(WorkflowDef workflowDef, bool overwrite = false, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "metadata/workflow" + Query(("overwrite", overwrite ? "true" : null)), workflowDef,
            idempotent: overwrite, cancellationToken);

    public async Task<BulkResponse> UpdateWorkflowDefsAsync(IReadOnlyList<WorkflowDef> workflowDefs, CancellationToken cancellationToken = default) =>
        await ReadJsonAsync<BulkResponse>(HttpMethod.Put, "metadata/workflow", workflowDefs, idempotent: true, cancellationToken).ConfigureAwait(false)
        ?? new BulkResponse();

    public Task ValidateWorkflowDefAsync(WorkflowDef workflowDef, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "metadata/workflow/validate", workflowDef, idempotent: true, cancellationToken);

    public Task<WorkflowDef> GetWorkflowDefAsync(string name, int? version = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync<WorkflowDef>("metadata/workflow/" + Segment(name, nameof(name)) + Query(("version", Str(version))), cancellationToken);

    public async Task<IReadOnlyList<WorkflowDef>> GetWorkflowDefsAsync(CancellationToken cancellationToken = default) =>
        await GetJsonAsync<List<WorkflowDef>>("metadata/workflow", cancellationToken).ConfigureAwait(false);

    public Task DeleteWorkflowDefAsync(string name, int version, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"metadata/workflow/{Segment(name, nameof(name))}/{version.ToString(CultureInfo.InvariantCulture)}",
            null, idempotent: true, cancellationToken);

    // ---------------------------------------------------------------- workflows

    public Task<string> StartWorkflowAsync(StartWorkflowRequest request, CancellationToken cancellationToken = default)
    {
        if (request is null) throw new ArgumentNullException(nameof(request));
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new ArgumentException("The start request has no workflow name. Set Name to a registered workflow definition.", nameof(request));
        }
        request.Input ??= new Dictionary<string, object?>(); // Conductor rejects a JSON null input
        return ReadTextAsync(HttpMethod.Post, "workflow", request, idempotent: false, cancellationToken);
    }

    public Task<string> StartWorkflowAsync(string name, IDictionary<string, object?>? input, int? version = null, string? correlationId = null,
        int priority = 0, CancellationToken cancellationToken = default) =>
        ReadTextAsync(HttpMethod.Post,
            "workflow/" + Segment(name, nameof(name)) + Query(("version", Str(version)), ("correlationId", correlationId),
                ("priority", priority == 0 ? null : Str(priority))),
            input ?? new Dictionary<string, object?>(), idempotent: false, cancellationToken);

    public Task<Workflow> GetWorkflowAsync(string workflowId, bool includeTasks = true, CancellationToken cancellationToken = default) =>
        GetJsonAsync<Workflow>("workflow/" + Segment(workflowId, nameof(workflowId)) + Query(("includeTasks", includeTasks ? "true" : "false")),
            cancellationToken);

    public Task<WorkflowStatusInfo> GetWorkflowStatusAsync(string workflowId, bool includeOutput = false, bool includeVariables = false,
        CancellationToken cancellationToken = default) =>
        GetJsonAsync<WorkflowStatusInfo>("workflow/" + Segment(workflowId, nameof(workflowId)) + "/status" +
            Query(("includeOutput", includeOutput ? "true" : null), ("includeVariables", includeVariables ? "true" : null)), cancellationToken);

    public Task TerminateWorkflowAsync(string workflowId, string? reason = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "workflow/" + Segment(workflowId, nameof(workflowId)) + Query(("reason", reason)), null,
            idempotent: true, cancellationToken);

    public Task PauseWorkflowAsync(string workflowId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "workflow/" + Segment(workflowId, nameof(workflowId)) + "/pause", null, idempotent: true, cancellationToken);

    public Task ResumeWorkflowAsync(string workflowId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "workflow/" + Segment(workflowId, nameof(workflowId)) + "/resume", null, idempotent: true, cancellationToken);

    public Task RetryWorkflowAsync(string workflowId, bool resumeSubworkflowTasks = false, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "workflow/" + Segment(workflowId, nameof(workflowId)) + "/retry" +
            Query(("resumeSubworkflowTasks", resumeSubworkflowTasks ? "true" : null)), null, idempotent: false, cancellationToken);

    public Task RestartWorkflowAsync(string workflowId, bool useLatestDefinitions = false, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "workflow/" + Segment(workflowId, nameof(workflowId)) + "/restart" +
            Query(("useLatestDefinitions", useLatestDefinitions ? "true" : null)), null, idempotent: false, cancellationToken);

    public Task<string> RerunWorkflowAsync(string workflowId, RerunWorkflowRequest request, CancellationToken cancellationToken = default)
    {
        request ??= new RerunWorkflowRequest();
        request.ReRunFromWorkflowId ??= workflowId;
        return ReadTextAsync(HttpMethod.Post, "workflow/" + Segment(workflowId, nameof(workflowId)) + "/rerun", request, idempotent: false, cancellationToken);
    }

    public Task SkipTaskFromWorkflowAsync(string workflowId, string taskReferenceName, SkipTaskRequest? request = null,
        CancellationToken cancellationToken = default)
    {
        // conductor-oss binds SkipTaskRequest from query/form parameters, not the body; send both so Orkes also sees it.
        var query = Query(
            ("taskInput", request?.TaskInput is null ? null : ConductorJson.Serialize(request.TaskInput)),
            ("taskOutput", request?.TaskOutput is null ? null : ConductorJson.Serialize(request.TaskOutput)));
        return SendAsync(HttpMethod.Put, $"workflow/{Segment(workflowId, nameof(workflowId))}/skiptask/{Segment(taskReferenceName, nameof(taskReferenceName))}{query}",
            request, idempotent: true, cancellationToken);
    }

    public Task RemoveWorkflowAsync(string workflowId, bool archiveWorkflow = true, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, "workflow/" + Segment(workflowId, nameof(workflowId)) + "/remove" +
            Query(("archiveWorkflow", archiveWorkflow ? "true" : "false")), null, idempotent: true, cancellationToken);

    public Task<SearchResult<WorkflowSummary>> SearchWorkflowsAsync(SearchRequest request, CancellationToken cancellationToken = default) =>
        GetJsonAsync<SearchResult<WorkflowSummary>>("workflow/search" + SearchQuery(request), cancellationToken);

    public async Task<IReadOnlyList<string>> GetRunningWorkflowsAsync(string name, int? version = null, long? startTime = null, long? endTime = null,
        CancellationToken cancellationToken = default) =>
        await GetJsonAsync<List<string>>("workflow/running/" + Segment(name, nameof(name)) +
            Query(("version", Str(version)), ("startTime", Str(startTime)), ("endTime", Str(endTime))), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<Workflow>> GetWorkflowsByCorrelationIdAsync(string name, string correlationId, bool includeClosed = false,
        bool includeTasks = false, CancellationToken cancellationToken = default) =>
        await GetJsonAsync<List<Workflow>>($"workflow/{Segment(name, nameof(name))}/correlated/{Segment(correlationId, nameof(correlationId))}" +
            Query(("includeClosed", includeClosed ? "true" : null), ("includeTasks", includeTasks ? "true" : null)), cancellationToken).ConfigureAwait(false);

    // ---------------------------------------------------------------- tasks

    public async Task<ConductorTask?> PollAsync(string taskType, string? workerId = null, string? domain = null, CancellationToken cancellationToken = default) =>
        await ReadJsonAsync<ConductorTask>(HttpMethod.Get, "tasks/poll/" + Segment(taskType, nameof(taskType)) +
            Query(("workerid", workerId), ("domain", NullIfEmpty(domain))), null, idempotent: false, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<ConductorTask>> BatchPollAsync(string taskType, int count, TimeSpan timeout, string? workerId = null,
        string? domain = null, CancellationToken cancellationToken = default)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "A batch poll must ask for at least one task.");
        var ms = (long)Math.Max(0, Math.Min(5000, timeout.TotalMilliseconds));
        // A poll is not retried here: a lost response may have handed tasks out, and the caller's loop polls again anyway.
        var tasks = await ReadJsonAsync<List<ConductorTask>>(HttpMethod.Get, "tasks/poll/batch/" + Segment(taskType, nameof(taskType)) +
            Query(("workerid", workerId), ("count", Str(count)), ("timeout", Str(ms)), ("domain", NullIfEmpty(domain))),
            null, idempotent: false, cancellationToken, extraTimeout: TimeSpan.FromMilliseconds(ms)).ConfigureAwait(false);
        return tasks ?? (IReadOnlyList<ConductorTask>)Array.Empty<ConductorTask>();
    }

    public Task<string> UpdateTaskAsync(TaskResult result, CancellationToken cancellationToken = default)
    {
        ValidateResult(result);
        return ReadTextAsync(HttpMethod.Post, "tasks", result, idempotent: false, cancellationToken);
    }

    public async Task<ConductorTask?> UpdateTaskV2Async(TaskResult result, CancellationToken cancellationToken = default)
    {
        ValidateResult(result);
        if (!_updateV2Missing)
        {
            try
            {
                return await ReadJsonAsync<ConductorTask>(HttpMethod.Post, "tasks/update-v2", result, idempotent: false, cancellationToken).ConfigureAwait(false);
            }
            catch (ConductorException ex) when (ex.StatusCode is 404 or 405)
            {
                // Either the server predates update-v2 or the task is unknown. v1 tells which: if it succeeds, v2 is missing.
                await UpdateTaskAsync(result, cancellationToken).ConfigureAwait(false);
                _updateV2Missing = true;
                _logger.LogInformation("Conductor at {Url} has no update-v2 endpoint; using POST /api/tasks from now on.", _apiRoot);
                return null;
            }
        }
        await UpdateTaskAsync(result, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public async Task<string?> UpdateTaskByRefNameAsync(string workflowId, string taskReferenceName, TaskResultStatus status,
        IDictionary<string, object?>? output, string? workerId = null, CancellationToken cancellationToken = default)
    {
        var id = await ReadTextAsync(HttpMethod.Post,
            $"tasks/{Segment(workflowId, nameof(workflowId))}/{Segment(taskReferenceName, nameof(taskReferenceName))}/{status}" + Query(("workerid", workerId)),
            output ?? new Dictionary<string, object?>(), idempotent: false, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(id) ? null : id;
    }

    public Task SignalWorkflowTaskAsync(string workflowId, TaskResultStatus status, IDictionary<string, object?>? output,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"tasks/{Segment(workflowId, nameof(workflowId))}/{status}/signal",
            output ?? new Dictionary<string, object?>(), idempotent: false, cancellationToken);

    public Task<ConductorTask> GetTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        GetJsonAsync<ConductorTask>("tasks/" + Segment(taskId, nameof(taskId)), cancellationToken);

    public async Task<IReadOnlyList<TaskExecLog>> GetTaskLogsAsync(string taskId, CancellationToken cancellationToken = default) =>
        await ReadJsonAsync<List<TaskExecLog>>(HttpMethod.Get, "tasks/" + Segment(taskId, nameof(taskId)) + "/log", null, idempotent: true,
            cancellationToken).ConfigureAwait(false) ?? (IReadOnlyList<TaskExecLog>)Array.Empty<TaskExecLog>();

    public Task AddTaskLogAsync(string taskId, string log, CancellationToken cancellationToken = default) =>
        // The server stores the raw body verbatim, so the line is sent as plain text, not a JSON string.
        SendRawAsync(HttpMethod.Post, "tasks/" + Segment(taskId, nameof(taskId)) + "/log", new StringContent(log ?? "", Encoding.UTF8, "text/plain"),
            idempotent: false, cancellationToken);

    public async Task<IReadOnlyDictionary<string, int>> GetQueueSizesAsync(IEnumerable<string> taskTypes, CancellationToken cancellationToken = default)
    {
        var types = taskTypes?.Where(t => !string.IsNullOrEmpty(t)).ToList() ?? new List<string>();
        if (types.Count == 0) return new Dictionary<string, int>();
        var query = "?" + string.Join("&", types.Select(t => "taskType=" + Uri.EscapeDataString(t)));
        return await GetJsonAsync<Dictionary<string, int>>("tasks/queue/sizes" + query, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> GetQueueSizeAsync(string taskType, string? domain = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync<int>("tasks/queue/size" + Query(("taskType", taskType), ("domain", NullIfEmpty(domain))), cancellationToken);

    public async Task<IReadOnlyList<PollData>> GetPollDataAsync(string taskType, CancellationToken cancellationToken = default) =>
        await GetJsonAsync<List<PollData>>("tasks/queue/polldata" + Query(("taskType", taskType)), cancellationToken).ConfigureAwait(false);

    public Task<SearchResult<TaskSummary>> SearchTasksAsync(SearchRequest request, CancellationToken cancellationToken = default) =>
        GetJsonAsync<SearchResult<TaskSummary>>("tasks/search" + SearchQuery(request), cancellationToken);

    public Task<HealthResponse> GetHealthAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync<HealthResponse>("health", cancellationToken);

    // ---------------------------------------------------------------- plumbing

    private async Task<T> GetJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        var value = await ReadJsonAsync<T>(HttpMethod.Get, path, null, idempotent: true, cancellationToken).ConfigureAwait(false);
        return value ?? throw new ConductorException(
            $"Conductor answered GET {new Uri(_apiRoot, path)} with no content where a {typeof(T).Name} was expected. Is this URL a Conductor server?",
            ConductorErrorKind.Protocol, 204) { Request = "GET " + new Uri(_apiRoot, path) };
    }

    private async Task<T?> ReadJsonAsync<T>(HttpMethod method, string path, object? body, bool idempotent, CancellationToken cancellationToken,
        TimeSpan extraTimeout = default)
    {
        var (status, text, url) = await ExecuteAsync(method, path, () => JsonContent(body), idempotent, cancellationToken, extraTimeout).ConfigureAwait(false);
        if (status == HttpStatusCode.NoContent || string.IsNullOrWhiteSpace(text)) return default;
        try
        {
            return ConductorJson.Deserialize<T>(text);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ConductorException(
                $"Conductor answered {method} {url} with a body that is not the expected {typeof(T).Name} JSON ({ex.Message}). Is this URL a Conductor server?",
                ConductorErrorKind.Protocol, (int)status, ex) { Request = $"{method} {url}" };
        }
    }

    private async Task<string> ReadTextAsync(HttpMethod method, string path, object? body, bool idempotent, CancellationToken cancellationToken)
    {
        var (_, text, _) = await ExecuteAsync(method, path, () => JsonContent(body), idempotent, cancellationToken, default).ConfigureAwait(false);
        return text.Trim().Trim('"');
    }

    private Task SendAsync(HttpMethod method, string path, object? body, bool idempotent, CancellationToken cancellationToken) =>
        ExecuteAsync(method, path, () => JsonContent(body), idempotent, cancellationToken, default);

    private Task SendRawAsync(HttpMethod method, string path, HttpContent content, bool idempotent, CancellationToken cancellationToken) =>
        ExecuteAsync(method, path, () => content, idempotent, cancellationToken, default);

    private static HttpContent? JsonContent(object? body) =>
        body is null ? null : new StringContent(ConductorJson.Serialize(body), Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, string Body, Uri Url)> ExecuteAsync(HttpMethod method, string path, Func<HttpContent?> content,
        bool idempotent, CancellationToken cancellationToken, TimeSpan extraTimeout)
    {
        var url = new Uri(_apiRoot, path.StartsWith("health", StringComparison.Ordinal) ? "../health" : path);
        if (!idempotent)
        {
            return await ExecuteOnceAsync(method, url, content(), cancellationToken, extraTimeout).ConfigureAwait(false);
        }
        return await _transientRetry.ExecuteAsync(
            async ct => await ExecuteOnceAsync(method, url, content(), ct, extraTimeout).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<(HttpStatusCode, string, Uri)> ExecuteOnceAsync(HttpMethod method, Uri url, HttpContent? content,
        CancellationToken cancellationToken, TimeSpan extraTimeout)
    {
        var described = $"{method} {url.GetLeftPart(UriPartial.Path)}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout + extraTimeout);
        using var request = new HttpRequestMessage(method, url) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            throw new ConductorException(
                $"Conductor did not answer {described} within {(_options.Timeout + extraTimeout).TotalSeconds:0.#} s. The server may be overloaded or unreachable; raise the client Timeout if it is slow.",
                ConductorErrorKind.Timeout, null, ex) { Retryable = true, Request = described };
        }
        catch (HttpRequestException ex)
        {
            throw new ConductorException(
                $"Cannot reach Conductor at {_apiRoot}: {InnermostMessage(ex)} ({described}). Is the server running? Check the server URL ({ConductorClientOptions.ServerUrlVariable}).",
                ConductorErrorKind.Transport, null, ex) { Retryable = true, Request = described };
        }
        using (response)
        {
            var body = response.Content is null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (response.StatusCode, body, url);
            }
            throw ToException(response, body, described);
        }
    }

    private ConductorException ToException(HttpResponseMessage response, string body, string described)
    {
        var status = (int)response.StatusCode;
        ErrorResponse? error = null;
        string? code = null;
        if (body.TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            try
            {
                error = ConductorJson.Deserialize<ErrorResponse>(body);
                var raw = ConductorJson.Deserialize<Dictionary<string, object?>>(body);
                code = error?.Code ?? (raw is not null && raw.TryGetValue("error", out var e) ? e as string : null);
            }
            catch (System.Text.Json.JsonException)
            {
                // Not Conductor's error body; the raw text is used below.
            }
        }
        var serverMessage = error?.Message ?? (body.Length > 500 ? body.Substring(0, 500) + "…" : body);
        var kind = ConductorException.KindFor(status);
        if (status == 500 && error?.Message is not null && !error.Retryable)
        {
            // Conductor answers 500 for IllegalStateException (resume a running workflow, bad skip): a state problem, not an outage.
            kind = ConductorErrorKind.InvalidState;
        }
        var advice = kind switch
        {
            ConductorErrorKind.Unauthorized => " Check the key id and secret (CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET) or the access token.",
            ConductorErrorKind.Forbidden => " The credentials are valid but lack permission for this operation; ask the Conductor administrator for access.",
            ConductorErrorKind.PayloadTooLarge => " The payload is larger than the server accepts; send less data or use external payload storage.",
            ConductorErrorKind.RateLimited => " The server is throttling requests; slow down and retry later.",
            ConductorErrorKind.Server => " The server failed; retry later or check its logs.",
            _ => "",
        };
        var text = string.IsNullOrWhiteSpace(serverMessage) ? response.ReasonPhrase : serverMessage;
        var message = $"{text} ({status} from {described}).{advice}";
        var validation = error?.ValidationErrors ?? new List<ValidationError>();
        if (validation.Count > 0)
        {
            message += Environment.NewLine + string.Join(Environment.NewLine, validation.Select(v => "  - " + v));
        }
        return new ConductorException(message, kind, status)
        {
            ServerMessage = serverMessage,
            Code = code,
            Retryable = error?.Retryable == true || status >= 500 && kind != ConductorErrorKind.InvalidState || status == 429,
            Request = described,
            ValidationErrors = validation,
        };
    }

    private static void ValidateResult(TaskResult result)
    {
        if (result is null) throw new ArgumentNullException(nameof(result));
        if (string.IsNullOrEmpty(result.TaskId) || string.IsNullOrEmpty(result.WorkflowInstanceId))
        {
            throw new ArgumentException("A task result needs TaskId and WorkflowInstanceId; build it from the polled task (TaskResult.For(task, status)).",
                nameof(result));
        }
    }

    private static string Segment(string value, string name)
    {
        if (string.IsNullOrEmpty(value)) throw new ArgumentException($"'{name}' must not be empty.", name);
        // '.' and '..' would be removed from the path by URL normalisation (sending another request than meant).
        if (value is "." or "..") throw new ArgumentException($"'{name}' cannot be '{value}': such a name cannot be used in a URL path.", name);
        return Uri.EscapeDataString(value);
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    private static string SearchQuery(SearchRequest request)
    {
        request ??= new SearchRequest();
        return Query(("start", Str(request.Start)), ("size", Str(request.Size)), ("sort", request.Sort),
            ("freeText", string.IsNullOrEmpty(request.FreeText) ? "*" : request.FreeText), ("query", request.Query));
    }

    private static string? Str(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string InnermostMessage(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex.Message;
    }
}
