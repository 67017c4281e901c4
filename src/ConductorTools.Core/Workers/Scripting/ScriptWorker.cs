using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>One run of a script block for one task: the bound named arguments and the task itself.</summary>
public sealed class ScriptCall
{
    public ScriptCall(ConductorTask task, IReadOnlyDictionary<string, object?> arguments)
    {
        Task = task ?? throw new ArgumentNullException(nameof(task));
        Arguments = arguments ?? throw new ArgumentNullException(nameof(arguments));
    }

    public ConductorTask Task { get; }
    public IReadOnlyDictionary<string, object?> Arguments { get; }
}

/// <summary>
/// Runs a script block for a task somewhere (the pipeline thread, or a pooled runspace) and returns what it produced.
/// Implemented by the PowerShell module; a script failure is returned in <see cref="ScriptInvocation.Failure"/>, not thrown.
/// Cancellation means "stop the script now" (the drain grace period is over): throw <see cref="OperationCanceledException"/>,
/// as also when the host stopped the script on its own (Ctrl+C stops a sequential script at once); the task is handed back.
/// </summary>
public interface IScriptInvoker
{
    Task<ScriptInvocation> InvokeAsync(ScriptCall call, CancellationToken cancellationToken);
}

/// <summary>
/// The worker-runtime handler for one script-block worker: binds the task to the script's parameters, runs it through an
/// <see cref="IScriptInvoker"/>, and maps what it produced to a <see cref="TaskResult"/> (see <see cref="ScriptResultMapper"/>).
/// Polling, updates, retries, leases and drain are the runtime's; this class only adapts.
/// </summary>
public sealed class ScriptWorker
{
    private readonly ScriptBindingPlan _plan;
    private readonly IScriptInvoker _invoker;
    private readonly ScriptResultMapper _mapper;
    private readonly TimeProvider _time;

    public ScriptWorker(string taskType, ScriptBindingPlan plan, IScriptInvoker invoker,
        string? workerId = null, ScriptResultMapper? mapper = null, TimeProvider? timeProvider = null)
    {
        if (string.IsNullOrWhiteSpace(taskType)) throw new ArgumentException("The task type is empty.", nameof(taskType));
        TaskType = taskType;
        WorkerId = workerId;
        _plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _invoker = invoker ?? throw new ArgumentNullException(nameof(invoker));
        _mapper = mapper ?? new ScriptResultMapper();
        _time = timeProvider ?? TimeProvider.System;
    }

    public string TaskType { get; }
    public string? WorkerId { get; }

    /// <summary>Raised (on the handler's thread) after each task's result is decided, before the runtime reports it.</summary>
    public event Action<WorkerLoopTaskRecord>? TaskFinished;

    /// <summary>The handler the worker runtime calls: <c>(task, cancellation) -> TaskResult</c>.</summary>
    public async Task<TaskResult> HandleAsync(ConductorTask task, CancellationToken cancellationToken)
    {
        if (task is null) throw new ArgumentNullException(nameof(task));
        var start = _time.GetUtcNow();
        var timestamp = _time.GetTimestamp();
        TaskResult result;
        try
        {
            Dictionary<string, object?> arguments;
            try
            {
                arguments = _plan.Bind(task);
            }
            catch (ScriptBindingException e)
            {
                result = _mapper.MapFailure(task, new ScriptFailure(e.Message), WorkerId);
                return Finish(task, result, start, timestamp);
            }
            var invocation = await _invoker.InvokeAsync(new ScriptCall(task, arguments), cancellationToken).ConfigureAwait(false);
            result = _mapper.Map(task, invocation, WorkerId);
        }
        catch (OperationCanceledException)
        {
            // Stopped before the script finished (the drain grace period ran out, or PowerShell stopped the pipeline
            // the script ran in): the runtime hands the task back to Conductor (and counts it).
            throw;
        }
        catch (Exception e)
        {
            // The host itself failed (not the script): still a result, never a stranded task.
            result = _mapper.MapFailure(task, new ScriptFailure(
                "The script host failed: " + e.Message, e.StackTrace, null, ExceptionNames(e)), WorkerId);
        }
        return Finish(task, result, start, timestamp);
    }

    private TaskResult Finish(ConductorTask task, TaskResult result, DateTimeOffset start, long timestamp)
    {
        var status = result.Status ?? TaskResultStatus.COMPLETED;
        TaskFinished?.Invoke(new WorkerLoopTaskRecord
        {
            TaskType = task.TaskType ?? TaskType,
            TaskId = task.TaskId ?? "",
            WorkflowInstanceId = task.WorkflowInstanceId ?? "",
            Status = status,
            ReasonForIncompletion = result.ReasonForIncompletion,
            OutputData = result.OutputData,
            Logs = result.Logs?.Select(l => l.Log ?? "").ToArray() ?? Array.Empty<string>(),
            RetryCount = task.RetryCount,
            StartTime = start,
            Duration = _time.GetElapsedTime(timestamp),
        });
        return result;
    }

    private static List<string> ExceptionNames(Exception e)
    {
        var names = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) names.Add(x.GetType().FullName ?? x.GetType().Name);
        return names;
    }
}
