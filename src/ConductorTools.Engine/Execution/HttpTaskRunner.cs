using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Runs HTTP system tasks outside the writer lock (network I/O never blocks the engine): the sweeper takes due HTTP
/// tasks from their reserved queue, this class calls the endpoint, and the outcome goes back through the normal task
/// update, so retries and timeouts follow the task's TaskDef like any other task.
/// </summary>
internal sealed class HttpTaskRunner : IDisposable
{
    private readonly EmbeddedConductor _engine;
    private readonly ILogger _logger;
    /// <summary>One client per connect timeout (the connect timeout is a handler setting); a few distinct values in practice.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, HttpClient> _clients = new();

    public HttpTaskRunner(EmbeddedConductor engine, ILogger logger)
    {
        _engine = engine;
        _logger = logger;
    }

    /// <summary>How many HTTP calls run at once; more due tasks wait in their queue for a free slot.</summary>
    internal const int MaxConcurrentCalls = 32;

    /// <summary>How many of those may go to one host (host and port) at once, so calls hanging on one host leave slots
    /// for the others; more due tasks for that host wait in their queue.</summary>
    internal const int MaxConcurrentCallsPerHost = 8;

    /// <summary>How far past the due tasks it takes a dispatch looks for tasks whose host has a free slot.</summary>
    private const int HostLookAhead = 256;

    /// <summary>Calls in flight per host (host:port, lower case); changed under <see cref="_dispatching"/> when calls
    /// start, and by each call when it ends.</summary>
    private readonly ConcurrentDictionary<string, int> _perHost = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _slots = new(MaxConcurrentCalls, MaxConcurrentCalls);
    private readonly SemaphoreSlim _dispatching = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();

    /// <summary>Takes as many due HTTP tasks as there are free slots and starts their calls in the background (never on
    /// the sweeper: a slow endpoint does not hold up timers); each call reports its own result when it ends. Returns
    /// the calls started, for a caller that wants to wait for them (tests).</summary>
    public async Task<List<Task>> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var started = new List<Task>();
        await _dispatching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var free = _slots.CurrentCount;
            if (free == 0 || _stopping.IsCancellationRequested)
            {
                return started;
            }
            // Admitted in this dispatch, per host: the filter runs inside the engine's transaction, which may still roll back.
            var admitted = new Dictionary<string, int>(StringComparer.Ordinal);
            bool Admit(ConductorTask candidate)
            {
                var host = HostOf(candidate);
                admitted.TryGetValue(host, out var now);
                if (host.Length > 0 && (_perHost.TryGetValue(host, out var running) ? running : 0) + now >= MaxConcurrentCallsPerHost)
                {
                    return false;
                }
                admitted[host] = now + 1;
                return true;
            }
            var tasks = await _engine.PollSystemAsync(Operators.Http.Queue, free, cancellationToken, Admit, HostLookAhead).ConfigureAwait(false);
            foreach (var task in tasks)
            {
                _slots.Wait(0);
                var host = HostOf(task);
                _perHost.AddOrUpdate(host, 1, (_, n) => n + 1);
                var call = Task.Run(() => RunOneAsync(task, host));
                _inFlight[call] = true;
                _ = call.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
                started.Add(call);
            }
        }
        finally
        {
            _dispatching.Release();
        }
        return started;
    }

    /// <summary>One call and its result. Any failure of the call fails this task alone; only stopping the engine leaves
    /// it IN_PROGRESS (queued again when the engine reopens).</summary>
    private async Task RunOneAsync(ConductorTask task, string host)
    {
        try
        {
            TaskResult result;
            try
            {
                result = await ExecuteAsync(task, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                result = Failed(new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.FAILED) { WorkerId = "embedded-http" },
                    "Failed to invoke HTTP task due to: " + e.Message);
            }
            await _engine.UpdateTaskAsync(result, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
#pragma warning disable CA1031 // A background call must never crash the process; the task is recovered on restart.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "Reporting the result of HTTP task {TaskId} failed", task.TaskId);
        }
        finally
        {
            _perHost.AddOrUpdate(host, 0, (_, n) => n - 1);
            ((ICollection<KeyValuePair<string, int>>)_perHost).Remove(new KeyValuePair<string, int>(host, 0)); // only if still 0
            _slots.Release();
            if (!_stopping.IsCancellationRequested)
            {
                _engine.WakeSweeper();
            }
        }
    }

    /// <summary>The host (and port) a task calls, lower case; empty when its URI cannot be read (it fails at once).</summary>
    private static string HostOf(ConductorTask task)
    {
        var input = task.InputData ?? new Dictionary<string, object?>();
        var request = input.TryGetValue("http_request", out var nested) && nested is IDictionary<string, object?> map ? map : input;
        return request.TryGetValue("uri", out var value) && value is not null
            && Uri.TryCreate(Convert.ToString(value, CultureInfo.InvariantCulture), UriKind.Absolute, out var uri) && uri.IsAbsoluteUri
            ? uri.Authority.ToLowerInvariant()
            : "";
    }

    /// <summary>Cancels the calls in flight and waits for them to end.</summary>
    public async Task StopAsync()
    {
        _stopping.Cancel();
        await Task.WhenAll(_inFlight.Keys.ToList()).ConfigureAwait(false);
    }

    private async Task<TaskResult> ExecuteAsync(ConductorTask task, CancellationToken cancellationToken)
    {
        var result = new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED) { WorkerId = "embedded-http" };
        var input = task.InputData ?? new Dictionary<string, object?>();
        var request = input.TryGetValue("http_request", out var nested) && nested is IDictionary<string, object?> map ? map : input;
        string? Text(string key) => request.TryGetValue(key, out var v) && v is not null ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
        // Any whole number of milliseconds; huge values are capped (never overflow), others fall back to the default.
        int Millis(string key, int fallback) =>
            request.TryGetValue(key, out var v) && v is not null
            && double.TryParse(Convert.ToString(v, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 1
                ? (int)Math.Min(ms, MaxTimeoutMillis) : fallback;

        var uri = Text("uri");
        var method = Text("method");
        if (string.IsNullOrWhiteSpace(uri) || string.IsNullOrWhiteSpace(method))
        {
            return Failed(result, "Missing HTTP URI or method: set inputParameters.http_request.uri and .method.");
        }
        if (UriProblem(uri!) is { } problem)
        {
            return Failed(result, problem);
        }
        try
        {
            using var message = new HttpRequestMessage(new HttpMethod(method!.ToUpperInvariant()), uri);
            var accept = request.TryGetValue("accept", out var acceptValue) ? acceptValue : null;
            foreach (var type in accept switch
            {
                null => new[] { "application/json" },
                string s => new[] { s },
                IEnumerable<object?> list => list.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture) ?? "").ToArray(),
                _ => new[] { "application/json" },
            })
            {
                message.Headers.Accept.ParseAdd(type);
            }
            if (request.TryGetValue("body", out var body) && body is not null)
            {
                var contentType = Text("contentType") ?? "application/json";
                var text = body is string s && !contentType.Contains("json") ? s : JsonSerializer.Serialize(body, ConductorJson.Options);
                message.Content = new StringContent(text, Encoding.UTF8);
                message.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            }
            if (request.TryGetValue("headers", out var headersValue) && headersValue is IDictionary<string, object?> headers)
            {
                foreach (var header in headers)
                {
                    var value = Convert.ToString(header.Value, CultureInfo.InvariantCulture) ?? "";
                    if (!message.Headers.TryAddWithoutValidation(header.Key, value))
                    {
                        message.Content?.Headers.TryAddWithoutValidation(header.Key, value);
                    }
                }
            }
            // As conductor-oss: connectionTimeOut bounds establishing the connection (the handler's connect timeout),
            // readTimeOut bounds waiting for the response, and again reading its body.
            var connectMs = Millis("connectionTimeOut", 3000);
            var readMs = Millis("readTimeOut", 3000);
            var client = ClientFor(connectMs);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(HasConnectTimeout ? readMs : (int)Math.Min((long)connectMs + readMs, MaxTimeoutMillis));
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            timeout.CancelAfter(readMs);
            var responseText = response.Content is null ? "" : await ReadBodyAsync(response.Content, timeout.Token).ConfigureAwait(false);
            var responseHeaders = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in response.Headers.Concat(response.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            {
                responseHeaders[header.Key] = header.Value.Select(v => (object?)v).ToList();
            }
            var output = new Dictionary<string, object?>
            {
                ["body"] = ParseBody(responseText),
                ["headers"] = responseHeaders,
                ["statusCode"] = (long)(int)response.StatusCode,
                ["reasonPhrase"] = response.ReasonPhrase,
            };
            var code = (int)response.StatusCode;
            if (code >= 400)
            {
                // conductor-oss's RestTemplate throws for 4xx/5xx: the task fails with the exception's text, which is also
                // its whole output (no body, headers or status code).
                var error = $"java.lang.Exception: {code} {response.ReasonPhrase}: "
                    + (responseText.Length == 0 ? "[no body]" : "\"" + responseText.Replace("\r\n", "<EOL>").Replace("\n", "<EOL>") + "\"");
                result.Status = TaskResultStatus.FAILED;
                result.ReasonForIncompletion = "Failed to invoke HTTP task due to: " + error;
                result.OutputData = new Dictionary<string, object?> { ["response"] = error };
                return result;
            }
            result.OutputData = new Dictionary<string, object?> { ["response"] = output };
            if (code is < 200 or > 299)
            {
                // Other non-2xx answers (1xx/3xx not followed): failed, with the response (its body is not read).
                output["body"] = null;
                result.Status = TaskResultStatus.FAILED;
                result.ReasonForIncompletion = "No response from the remote service";
            }
            else if (task.WorkflowTask?.AsyncComplete == true)
            {
                result.Status = TaskResultStatus.IN_PROGRESS;
            }
            return result;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or UriFormatException or FormatException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            _logger.LogDebug(e, "HTTP task {TaskId} failed", task.TaskId);
            return Failed(result, "Failed to invoke HTTP task due to: " + (e is OperationCanceledException ? "timed out" : e.Message));
        }
    }

    /// <summary>Timeouts are capped at 24 days (what a .NET timer takes), so adding two never overflows.</summary>
    internal const int MaxTimeoutMillis = int.MaxValue / 2 - 1;

    /// <summary>Why <paramref name="uri"/> cannot be called (not absolute, or not http/https), or null.</summary>
    internal static string? UriProblem(string uri) =>
        !Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
            ? $"The HTTP task URI '{uri}' is not an absolute URI; use e.g. https://example.com/path."
            : parsed.Scheme is not ("http" or "https")
                ? $"The HTTP task URI '{uri}' uses the scheme '{parsed.Scheme}'; only http and https are supported."
                : null;

    private static TaskResult Failed(TaskResult result, string reason)
    {
        result.Status = TaskResultStatus.FAILED;
        result.ReasonForIncompletion = reason;
        result.OutputData = new Dictionary<string, object?> { ["response"] = reason };
        return result;
    }

    private static object? ParseBody(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return text;
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var value = ConductorJson.ToPlain(document.RootElement);
            // Conductor's HTTP task reads JSON numbers as doubles.
            return value is long l ? (double)l : value;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static async Task<string> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        // ReadAsStringAsync takes no token on netstandard2.0: stop waiting when the read timeout fires.
        var read = content.ReadAsStringAsync();
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
        {
            if (await Task.WhenAny(read, cancelled.Task).ConfigureAwait(false) != read)
            {
                _ = read.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                throw new OperationCanceledException(cancellationToken);
            }
        }
        return await read.ConfigureAwait(false);
    }

    /// <summary>Whether this runtime's handler takes a connect timeout (SocketsHttpHandler, .NET Core 2.1 and later).</summary>
    private static readonly Type? SocketsHandler = Type.GetType("System.Net.Http.SocketsHttpHandler, System.Net.Http", throwOnError: false);

    private static bool HasConnectTimeout => SocketsHandler?.GetProperty("ConnectTimeout") is not null;

    private HttpClient ClientFor(int connectMs) => _clients.GetOrAdd(connectMs, ms =>
    {
        HttpMessageHandler handler;
        if (HasConnectTimeout)
        {
            handler = (HttpMessageHandler)Activator.CreateInstance(SocketsHandler!)!;
            SocketsHandler!.GetProperty("ConnectTimeout")!.SetValue(handler, TimeSpan.FromMilliseconds(ms));
        }
        else
        {
            handler = new HttpClientHandler();
        }
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    });

    public void Dispose()
    {
        _stopping.Dispose();
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
