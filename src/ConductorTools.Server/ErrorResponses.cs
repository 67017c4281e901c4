using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Server;

/// <summary>Thrown by endpoint code for input it can name (bad query value, malformed body): a 400 with that message.</summary>
internal sealed class BadRequestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns every failure into Conductor's <c>ErrorResponse</c> JSON with the status the REST API uses, and gives unmatched
/// routes a 404/405 body too. Input the server can name is a 4xx, never a 500.
/// </summary>
internal sealed class ErrorResponses(RequestDelegate next, ILogger log)
{
    private static readonly string Instance = Environment.MachineName;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (!context.Response.HasStarted && context.Response.StatusCode is 404 or 405 && context.GetEndpoint() is null or { DisplayName: "405 HTTP Method Not Supported" })
            {
                var status = context.Response.StatusCode;
                var message = status == 405
                    ? $"Request method '{context.Request.Method}' is not supported for {context.Request.Path}."
                    : $"No endpoint {context.Request.Method} {context.Request.Path}. Is the server URL right (it ends in /api)?";
                await WriteAsync(context, new ErrorResponse { Status = status, Message = message, Instance = Instance });
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var error = ToErrorResponse(ex);
            if (error.Status >= 500 && ex is not ConductorException)
            {
                log.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            }
            await WriteAsync(context, error);
        }
    }

    internal static ErrorResponse ToErrorResponse(Exception ex)
    {
        var error = ex switch
        {
            ConductorException ce => ce.ToErrorResponse(),
            BadRequestException => new ErrorResponse { Status = 400, Message = ex.Message },
            BadHttpRequestException bad => new ErrorResponse
            {
                Status = bad.StatusCode,
                Message = bad.StatusCode == 413
                    ? "The request body is larger than this server accepts. Keep task input and output small (store large data elsewhere and pass a reference)."
                    : bad.Message,
            },
            JsonException json => new ErrorResponse { Status = 400, Message = "The request body is not valid JSON for this endpoint: " + json.Message },
            ArgumentException arg => new ErrorResponse { Status = 400, Message = arg.Message },
            OperationCanceledException or ObjectDisposedException => new ErrorResponse
            {
                Status = 503, Message = "The server is shutting down; retry against a running server.", Retryable = true,
            },
            _ => new ErrorResponse { Status = 500, Message = "The server failed to handle this request; its log has the details." },
        };
        error.Instance ??= Instance;
        return error;
    }

    internal static async Task WriteAsync(HttpContext context, ErrorResponse error, params (string Name, string Value)[] headers)
    {
        context.Response.Clear();
        context.Response.StatusCode = error.Status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }
        await context.Response.WriteAsJsonAsync(error, ConductorJson.Options, "application/json", context.RequestAborted);
    }
}

/// <summary>One structured line per request through ILogger: Debug by default (quiet), Information when asked.</summary>
internal sealed class RequestLogging(RequestDelegate next, ILogger log, bool verbose)
{
    private readonly LogLevel _level = verbose ? LogLevel.Information : LogLevel.Debug;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!log.IsEnabled(_level))
        {
            await next(context);
            return;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // The path only: query strings may carry user data, and headers (tokens) are never logged.
            log.Log(_level, "{Method} {Path} -> {Status} in {ElapsedMs:0.0} ms", context.Request.Method, context.Request.Path,
                context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
