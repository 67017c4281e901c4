using ConductorTools.Model;

namespace ConductorTools.Api;

/// <summary>What kind of failure a <see cref="ConductorException"/> is, for callers that branch on it
/// (PowerShell error categories, retry decisions) without parsing messages.</summary>
public enum ConductorErrorKind
{
    /// <summary>Bad input: 400, with validation errors when Conductor listed them.</summary>
    Validation,
    /// <summary>An unknown task, workflow or definition: 404.</summary>
    NotFound,
    /// <summary>The operation conflicts with the current state (already exists, wrong status): 409.</summary>
    Conflict,
    /// <summary>The operation is not allowed in the current state and Conductor answered 500 for it (IllegalStateException).</summary>
    InvalidState,
    /// <summary>401: missing, wrong or expired credentials.</summary>
    Unauthorized,
    /// <summary>403: authenticated but not allowed.</summary>
    Forbidden,
    /// <summary>413: the payload is larger than the server accepts.</summary>
    PayloadTooLarge,
    /// <summary>429: too many requests.</summary>
    RateLimited,
    /// <summary>The server could not be reached, or the connection failed mid-request.</summary>
    Transport,
    /// <summary>The request did not finish in time.</summary>
    Timeout,
    /// <summary>The server failed (5xx) for a reason the client cannot name.</summary>
    Server,
    /// <summary>The server answered with something that is not Conductor's protocol.</summary>
    Protocol,
}

/// <summary>
/// The one exception every <see cref="IConductorApi"/> implementation throws for a failed operation: HTTP status,
/// Conductor's message, whether Conductor says it is retryable, and every validation error. Messages name the
/// URL, name or field and what to do; they never contain secrets.
/// </summary>
public class ConductorException : Exception
{
    public ConductorException(string message, ConductorErrorKind kind, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    public ConductorErrorKind Kind { get; }

    /// <summary>HTTP status (or the status the REST API would have answered, for the embedded engine).</summary>
    public int? StatusCode { get; }

    /// <summary>Conductor's own message, without any text the client added.</summary>
    public string? ServerMessage { get; init; }

    /// <summary>Conductor's <c>code</c> field or auth error (e.g. EXPIRED_TOKEN).</summary>
    public string? Code { get; init; }

    /// <summary>Whether a retry can succeed: Conductor's <c>retryable</c> flag, or a transport/5xx failure.</summary>
    public bool Retryable { get; init; }

    /// <summary>The request that failed, e.g. <c>POST http://localhost:8080/api/tasks</c> (no query secrets).</summary>
    public string? Request { get; init; }

    public IReadOnlyList<ValidationError> ValidationErrors { get; init; } = Array.Empty<ValidationError>();

    public static ConductorException NotFound(string message) =>
        new(message, ConductorErrorKind.NotFound, 404) { ServerMessage = message };

    public static ConductorException Conflict(string message) =>
        new(message, ConductorErrorKind.Conflict, 409) { ServerMessage = message };

    public static ConductorException InvalidState(string message) =>
        new(message, ConductorErrorKind.InvalidState, 500) { ServerMessage = message };

    public static ConductorException BadRequest(string message, IReadOnlyList<ValidationError>? errors = null)
    {
        var full = errors is { Count: > 0 }
            ? message + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e))
            : message;
        return new ConductorException(full, ConductorErrorKind.Validation, 400)
        {
            ServerMessage = message,
            ValidationErrors = errors ?? Array.Empty<ValidationError>(),
        };
    }

    /// <summary>Kind for an HTTP status code.</summary>
    public static ConductorErrorKind KindFor(int statusCode) => statusCode switch
    {
        400 => ConductorErrorKind.Validation,
        401 => ConductorErrorKind.Unauthorized,
        403 => ConductorErrorKind.Forbidden,
        404 => ConductorErrorKind.NotFound,
        405 => ConductorErrorKind.NotFound,
        409 => ConductorErrorKind.Conflict,
        413 => ConductorErrorKind.PayloadTooLarge,
        429 => ConductorErrorKind.RateLimited,
        408 => ConductorErrorKind.Timeout,
        >= 500 => ConductorErrorKind.Server,
        _ => ConductorErrorKind.Protocol,
    };

    /// <summary>The error body the REST API answers for this exception.</summary>
    public ErrorResponse ToErrorResponse() => new()
    {
        Status = StatusCode ?? 500,
        Code = Code,
        Message = ServerMessage ?? Message,
        Retryable = Retryable,
        ValidationErrors = ValidationErrors.Count > 0 ? ValidationErrors.ToList() : null,
    };
}
