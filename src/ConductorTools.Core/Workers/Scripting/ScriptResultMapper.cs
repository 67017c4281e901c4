using System.Collections;
using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>
/// Turns what a script block produced into the task result the worker runtime reports (the script-block contract of
/// <c>Invoke-WorkerLoop</c>, documented in about_ConductorTools):
/// <list type="bullet">
/// <item>a <see cref="TaskResult"/> output (from <c>New-TaskResult</c>) is used as is; ids and worker id are filled when blank;</item>
/// <item>otherwise the task is COMPLETED: one dictionary output becomes outputData, one other value becomes
/// <c>outputData.result</c>, several outputs become an array in <c>outputData.result</c>; null outputs are ignored;</item>
/// <item>a terminating error fails the task (FAILED) with its message, and its script stack trace in the logs; the
/// non-retryable form (see <see cref="IsNonRetryable"/>) fails it with FAILED_WITH_TERMINAL_ERROR;</item>
/// <item>every captured stream record becomes a task execution log line.</item>
/// </list>
/// </summary>
public sealed class ScriptResultMapper
{
    /// <summary>Error id (first segment of FullyQualifiedErrorId) that marks a failure as non-retryable.</summary>
    public const string NonRetryableErrorId = "NonRetryable";

    /// <summary>Simple exception type name that marks a failure as non-retryable, whatever its namespace.</summary>
    public const string NonRetryableExceptionName = "NonRetryableException";

    private readonly ScriptWorkerOptions _options;

    public ScriptResultMapper(ScriptWorkerOptions? options = null) => _options = options ?? new ScriptWorkerOptions();

    /// <summary>Maps one script run of <paramref name="task"/> to its result.</summary>
    public TaskResult Map(ConductorTask task, ScriptInvocation invocation, string? workerId)
    {
        if (task is null) throw new ArgumentNullException(nameof(task));
        if (invocation is null) throw new ArgumentNullException(nameof(invocation));

        var notes = new List<string>();
        TaskResult result;
        if (invocation.Failure is { } failure)
        {
            result = FromFailure(task, failure, workerId);
        }
        else
        {
            result = FromOutputs(task, invocation.Outputs, workerId, notes);
        }

        var logs = new List<TaskExecLog>();
        foreach (var record in invocation.Logs) logs.Add(ToLog(task, record));
        if (invocation.Failure is { } f)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            logs.Add(new TaskExecLog(Truncate("[FAILED] " + f.Message), task.TaskId, now));
            if (!string.IsNullOrWhiteSpace(f.ScriptStackTrace))
                logs.Add(new TaskExecLog(Truncate(f.ScriptStackTrace!), task.TaskId, now));
        }
        foreach (var note in notes) logs.Add(new TaskExecLog(note, task.TaskId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        AppendLogs(result, logs);
        return result;
    }

    /// <summary>The result for a script that could not even start for this task (for example its input cannot be bound).</summary>
    public TaskResult MapFailure(ConductorTask task, ScriptFailure failure, string? workerId) =>
        Map(task, new ScriptInvocation(Array.Empty<object?>(), Array.Empty<ScriptLogRecord>(), failure), workerId);

    /// <summary>
    /// True when the failure is the documented non-retryable form: an exception whose type is named
    /// <c>NonRetryableException</c> (any namespace, anywhere in the inner-exception chain), or an error record whose
    /// error id is <c>NonRetryable</c> (<c>Write-Error -ErrorId NonRetryable -ErrorAction Stop</c>).
    /// </summary>
    public static bool IsNonRetryable(ScriptFailure failure)
    {
        if (failure is null) throw new ArgumentNullException(nameof(failure));
        foreach (var name in failure.ExceptionTypeNames)
        {
            var simple = name.Substring(name.LastIndexOfAny(['.', '+']) + 1);
            if (string.Equals(simple, NonRetryableExceptionName, StringComparison.Ordinal)) return true;
        }
        if (failure.ErrorId is { Length: > 0 } id)
        {
            var first = id.Split(',')[0].Trim();
            if (string.Equals(first, NonRetryableErrorId, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static TaskResult FromFailure(ConductorTask task, ScriptFailure failure, string? workerId)
    {
        var status = IsNonRetryable(failure) ? TaskResultStatus.FAILED_WITH_TERMINAL_ERROR : TaskResultStatus.FAILED;
        var result = TaskResult.For(task, status, workerId);
        result.ReasonForIncompletion = failure.Message;
        return result;
    }

    private static TaskResult FromOutputs(ConductorTask task, IReadOnlyList<object?> outputs, string? workerId, List<string> notes)
    {
        var values = new List<object?>(outputs.Count);
        var results = new List<TaskResult>();
        foreach (var output in outputs)
        {
            if (output is null) continue;
            if (output is TaskResult r) results.Add(r);
            else values.Add(output);
        }

        if (results.Count > 1)
        {
            var failed = TaskResult.For(task, TaskResultStatus.FAILED, workerId);
            failed.ReasonForIncompletion =
                $"The script output {results.Count} task results; output at most one (New-TaskResult) per task.";
            return failed;
        }
        if (results.Count == 1)
        {
            var given = results[0];
            if (given.TaskId.Length > 0 && task.TaskId is { Length: > 0 } && !string.Equals(given.TaskId, task.TaskId, StringComparison.Ordinal))
            {
                var failed = TaskResult.For(task, TaskResultStatus.FAILED, workerId);
                failed.ReasonForIncompletion =
                    $"The script output a task result for task '{given.TaskId}' while running task '{task.TaskId}'; a handler can only complete its own task.";
                return failed;
            }
            if (given.TaskId.Length == 0) given.TaskId = task.TaskId ?? "";
            if (given.WorkflowInstanceId.Length == 0) given.WorkflowInstanceId = task.WorkflowInstanceId ?? "";
            given.WorkerId ??= workerId ?? task.WorkerId;
            given.Status ??= TaskResultStatus.COMPLETED;
            if (values.Count > 0)
                notes.Add($"[NOTE] {values.Count} other output(s) ignored: the script output a task result, which is used as is.");
            return given;
        }

        var completed = TaskResult.For(task, TaskResultStatus.COMPLETED, workerId);
        completed.OutputData = ToOutputData(values);
        return completed;
    }

    /// <summary>The outputData for plain (non task-result) outputs: see the class summary.</summary>
    public static Dictionary<string, object?> ToOutputData(IReadOnlyList<object?> values)
    {
        if (values is null) throw new ArgumentNullException(nameof(values));
        if (values.Count == 1 && values[0] is IDictionary single)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in single)
            {
                map[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] = entry.Value;
            }
            return map;
        }
        var output = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (values.Count == 1) output["result"] = values[0];
        else if (values.Count > 1) output["result"] = new List<object?>(values);
        return output;
    }

    private TaskExecLog ToLog(ConductorTask task, ScriptLogRecord record)
    {
        var prefix = record.Kind switch
        {
            ScriptLogKind.Information => "",
            ScriptLogKind.Verbose => "[VERBOSE] ",
            ScriptLogKind.Warning => "[WARNING] ",
            ScriptLogKind.Error => "[ERROR] ",
            ScriptLogKind.Debug => "[DEBUG] ",
            _ => "",
        };
        return new TaskExecLog(Truncate(prefix + record.Message), task.TaskId, record.Timestamp.ToUnixTimeMilliseconds());
    }

    // Appends after any logs a New-TaskResult already carries, keeping the newest lines within the limit.
    private void AppendLogs(TaskResult result, List<TaskExecLog> logs)
    {
        if (logs.Count == 0) return;
        var all = result.Logs ?? new List<TaskExecLog>();
        all.AddRange(logs);
        var max = _options.MaxLogLines;
        if (all.Count > max)
        {
            var dropped = all.Count - max + 1;
            var kept = all.GetRange(dropped, all.Count - dropped);
            kept.Insert(0, new TaskExecLog($"[NOTE] {dropped} earlier log line(s) dropped (limit {max} per task).", result.TaskId,
                all[0].CreatedTime));
            all = kept;
        }
        result.Logs = all;
    }

    private string Truncate(string text)
    {
        var max = _options.MaxLogLineLength;
        return text.Length <= max ? text : text.Substring(0, max) + $"... [{text.Length - max} more characters]";
    }
}

/// <summary>Limits and names for script workers.</summary>
public sealed class ScriptWorkerOptions
{
    private int _maxLogLines = TaskLogLimits.MaxLinesPerUpdate;
    private int _maxLogLineLength = TaskLogLimits.MaxLineLength;

    /// <summary>Most execution log lines sent per task (older lines are dropped first, with a note; the failure lines come
    /// last, so they are kept). Default <see cref="TaskLogLimits.MaxLinesPerUpdate"/>, what the embedded engine stores.</summary>
    public int MaxLogLines
    {
        get => _maxLogLines;
        set => _maxLogLines = value >= 2 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxLogLines must be at least 2.");
    }

    /// <summary>Longest log line sent, in characters (longer lines are cut, with a note). Default 4000.</summary>
    public int MaxLogLineLength
    {
        get => _maxLogLineLength;
        set => _maxLogLineLength = value >= 16 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxLogLineLength must be at least 16.");
    }
}
