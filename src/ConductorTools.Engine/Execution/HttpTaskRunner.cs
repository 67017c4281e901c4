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
    private readonly HttpClient _client = new() { Timeout = Timeout.InfiniteTimeSpan };

    public HttpTaskRunner(EmbeddedConductor engine, ILogger logger)
    {
        _engine = engine;
        _logger = logger;
    }

    public async Task RunDueAsync(CancellationToken cancellationToken)
    {
        var tasks = await _engine.PollSystemAsync(Operators.Http.Queue, 32, cancellationToken).ConfigureAwait(false);
        if (tasks.Count == 0)
        {
            return;
        }
        var results = await Task.WhenAll(tasks.Select(t => ExecuteAsync(t, cancellationToken))).ConfigureAwait(false);
        foreach (var result in results)
        {
            await _engine.UpdateTaskAsync(result, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TaskResult> ExecuteAsync(ConductorTask task, CancellationToken cancellationToken)
    {
        var result = new TaskResult(task.WorkflowInstanceId!, task.TaskId!, TaskResultStatus.COMPLETED) { WorkerId = "embedded-http" };
        var input = task.InputData ?? new Dictionary<string, object?>();
        var request = input.TryGetValue("http_request", out var nested) && nested is IDictionary<string, object?> map ? map : input;
        string? Text(string key) => request.TryGetValue(key, out var v) && v is not null ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
        int Millis(string key, int fallback) =>
            request.TryGetValue(key, out var v) && v is not null && int.TryParse(Convert.ToString(v, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms > 0 ? ms : fallback;

        var uri = Text("uri");
        var method = Text("method");
        if (string.IsNullOrWhiteSpace(uri) || string.IsNullOrWhiteSpace(method))
        {
            return Failed(result, "Missing HTTP URI or method: set inputParameters.http_request.uri and .method.");
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
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Millis("connectionTimeOut", 3000) + Millis("readTimeOut", 3000));
            using var response = await _client.SendAsync(message, timeout.Token).ConfigureAwait(false);
            var responseText = response.Content is null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
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
            result.OutputData = new Dictionary<string, object?> { ["response"] = output };
            if (!response.IsSuccessStatusCode)
            {
                result.Status = TaskResultStatus.FAILED;
                result.ReasonForIncompletion = $"Failed to invoke HTTP task due to: {(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(responseText)}";
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

    private static string Truncate(string text) => text.Length <= 200 ? text : text.Substring(0, 200) + "...";

    public void Dispose() => _client.Dispose();
}
