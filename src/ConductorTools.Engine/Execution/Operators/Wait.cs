using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>WAIT: IN_PROGRESS until its <c>duration</c> or <c>until</c> deadline passes (the sweeper completes it), or,
/// with neither, until it is signalled or updated.</summary>
internal sealed class Wait : Operator
{
    /// <summary>The deadline, kept in the task's extra properties (epoch ms).</summary>
    private const string WaitTimeoutProperty = "waitTimeout";

    public override string Type => WorkflowTaskTypes.Wait;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        object? durationValue = null, untilValue = null;
        task.InputParameters?.TryGetValue("duration", out durationValue);
        task.InputParameters?.TryGetValue("until", out untilValue);
        var duration = durationValue is null ? "" : DefinitionChecks.Text(durationValue);
        var until = untilValue is null ? "" : DefinitionChecks.Text(untilValue);
        var hasDuration = duration.Trim().Length > 0;
        var hasUntil = until.Trim().Length > 0;
        if (hasDuration && hasUntil)
        {
            errors.Add(new ValidationError(path + ".inputParameters",
                $"WAIT task {task.TaskReferenceName} has both 'duration' and 'until'; give only one"));
        }
        // Literal values must parse; expressions are checked when the task runs.
        try
        {
            if (hasDuration && !duration.StartsWith("${", StringComparison.Ordinal))
            {
                Scripts.ParseDuration(duration);
            }
            else if (hasUntil && !until.StartsWith("${", StringComparison.Ordinal))
            {
                Scripts.ParseUntil(until);
            }
        }
        catch (FormatException e)
        {
            errors.Add(new ValidationError(path + ".inputParameters." + (hasDuration ? "duration" : "until"),
                $"WAIT task {task.TaskReferenceName}: {e.Message}", hasDuration ? duration : until));
        }
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = context.Now;
        var input = task.InputData ?? new();
        input.TryGetValue("duration", out var duration);
        input.TryGetValue("until", out var until);
        var hasDuration = duration is string d && d.Trim().Length > 0;
        var hasUntil = until is string u && u.Trim().Length > 0;
        if (hasDuration && hasUntil)
        {
            context.Finish(task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                "Both 'duration' and 'until' specified. Please provide only one input");
            return;
        }
        try
        {
            long? deadline = null;
            if (hasDuration)
            {
                deadline = context.Now + (long)Scripts.ParseDuration((string)duration!).TotalMilliseconds;
            }
            else if (hasUntil)
            {
                deadline = Scripts.ParseUntil((string)until!).ToUnixTimeMilliseconds();
            }
            if (deadline is { } at)
            {
                SetDeadline(task, at);
                task.CallbackAfterSeconds = Math.Max(0, (at - context.Now) / 1000);
            }
        }
        catch (FormatException e)
        {
            context.Finish(task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, e.Message);
        }
    }

    public override bool Evaluate(OperatorContext context, ConductorTask task)
    {
        if (Deadline(task) is { } deadline && context.Now >= deadline)
        {
            context.Finish(task, ConductorTaskStatus.COMPLETED);
            return true;
        }
        return false;
    }

    public override long? WakeAt(ConductorTask task) => Deadline(task);

    private static void SetDeadline(ConductorTask task, long at)
    {
        task.AdditionalProperties ??= new Dictionary<string, System.Text.Json.JsonElement>();
        using var document = System.Text.Json.JsonDocument.Parse(at.ToString(CultureInfo.InvariantCulture));
        task.AdditionalProperties[WaitTimeoutProperty] = document.RootElement.Clone();
    }

    private static long? Deadline(ConductorTask task) =>
        task.AdditionalProperties is { } extra && extra.TryGetValue(WaitTimeoutProperty, out var value)
            && value.ValueKind == System.Text.Json.JsonValueKind.Number ? value.GetInt64() : null;
}
