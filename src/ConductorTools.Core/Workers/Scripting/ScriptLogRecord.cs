namespace ConductorTools.Workers.Scripting;

/// <summary>Which PowerShell stream a captured record came from.</summary>
public enum ScriptLogKind
{
    Information,
    Verbose,
    Warning,
    Error,
    Debug,
}

/// <summary>
/// One record a script wrote to a non-output stream, already reduced to text by the host (PowerShell-free so the
/// mapping to task execution logs is decided and tested here).
/// </summary>
public sealed class ScriptLogRecord
{
    public ScriptLogRecord(ScriptLogKind kind, string message, DateTimeOffset timestamp)
    {
        Kind = kind;
        Message = message ?? "";
        Timestamp = timestamp;
    }

    public ScriptLogKind Kind { get; }
    public string Message { get; }
    public DateTimeOffset Timestamp { get; }

    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>A terminating error of a script run, reduced to what the task result needs.</summary>
public sealed class ScriptFailure
{
    public ScriptFailure(string message, string? scriptStackTrace = null, string? errorId = null,
        IReadOnlyList<string>? exceptionTypeNames = null)
    {
        Message = string.IsNullOrWhiteSpace(message) ? "The script failed without a message." : message;
        ScriptStackTrace = scriptStackTrace;
        ErrorId = errorId;
        ExceptionTypeNames = exceptionTypeNames ?? Array.Empty<string>();
    }

    public string Message { get; }

    /// <summary>PowerShell's <c>ErrorRecord.ScriptStackTrace</c> (or a .NET stack trace for non-script failures).</summary>
    public string? ScriptStackTrace { get; }

    /// <summary>The error record's FullyQualifiedErrorId, when there is one.</summary>
    public string? ErrorId { get; }

    /// <summary>Full names of the exception and its inner exceptions, outermost first.</summary>
    public IReadOnlyList<string> ExceptionTypeNames { get; }

    public override string ToString() => Message;
}

/// <summary>What one run of a script block produced, in plain values.</summary>
public sealed class ScriptInvocation
{
    public ScriptInvocation(IReadOnlyList<object?> outputs, IReadOnlyList<ScriptLogRecord> logs, ScriptFailure? failure = null)
    {
        Outputs = outputs ?? Array.Empty<object?>();
        Logs = logs ?? Array.Empty<ScriptLogRecord>();
        Failure = failure;
    }

    /// <summary>Pipeline output converted to plain values: dictionaries for hashtables and objects, <see cref="Model.TaskResult"/> as is.</summary>
    public IReadOnlyList<object?> Outputs { get; }

    public IReadOnlyList<ScriptLogRecord> Logs { get; }

    /// <summary>The terminating error, or null when the script ran to its end.</summary>
    public ScriptFailure? Failure { get; }
}
