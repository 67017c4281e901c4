using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>INLINE: evaluates <c>inputParameters.expression</c> with <c>evaluatorType</c> <c>javascript</c>/<c>graaljs</c>
/// (the default; <c>$</c> is the input) or <c>value-param</c>, and completes with output <c>result</c>. A script error is
/// terminal; running out of time is an ordinary (retryable) failure, as in Conductor.</summary>
internal sealed class Inline : Operator
{
    public override string Type => WorkflowTaskTypes.Inline;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        object? evaluator = null;
        task.InputParameters?.TryGetValue("evaluatorType", out evaluator);
        if (Evaluators.Refusal(evaluator, task) is { } problem)
        {
            errors.Add(new ValidationError(path + ".inputParameters.evaluatorType", problem, evaluator as string));
        }
    }

    public override IEnumerable<(string Field, string Script)> ScriptsToCheck(WorkflowTask task)
    {
        if (task.InputParameters is { } input
            && (!input.TryGetValue("evaluatorType", out var e) || e is null or "javascript" or "graaljs")
            && input.TryGetValue("expression", out var expression) && expression is string text && !text.Contains("${"))
        {
            yield return ("inputParameters.expression", text);
        }
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        var input = task.InputData ?? new();
        input.TryGetValue("evaluatorType", out var evaluatorValue);
        input.TryGetValue("expression", out var expressionValue);
        var evaluator = evaluatorValue as string ?? "javascript";
        var expression = expressionValue as string ?? "";
        if (evaluator == "value-param")
        {
            input.TryGetValue(expression, out var value);
            Complete(context, task, ConductorJson.DeepClone(value));
            return;
        }
        if (!Evaluators.IsJavaScript(evaluator))
        {
            Fail(context, task, new NotSupportedException(
                $"evaluatorType '{evaluator}' is not supported by the embedded engine (use javascript, graaljs or value-param)."));
            return;
        }
        // The script runs after this transaction, outside the writer lock; ApplyScript completes the task.
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = context.Now;
        context.RequestScript(ScriptFor(context, task)!);
    }

    public override ScriptJob? ScriptFor(OperatorContext context, ConductorTask task)
    {
        var input = task.InputData ?? new();
        input.TryGetValue("expression", out var expressionValue);
        return new ScriptJob(task, expressionValue as string ?? "", input);
    }

    public override void ApplyScript(OperatorContext context, ConductorTask task, ScriptJob job)
    {
        if (job.Error is { } error)
        {
            Fail(context, task, error);
            return;
        }
        Complete(context, task, job.Result);
    }

    private static void Complete(OperatorContext context, ConductorTask task, object? result)
    {
        if (PayloadLimits.IsTooDeep(result))
        {
            Fail(context, task, new InvalidOperationException(PayloadLimits.TooDeep("The script's result")));
            return;
        }
        task.OutputData = new Dictionary<string, object?> { ["result"] = result };
        context.Finish(task, ConductorTaskStatus.COMPLETED);
    }

    private static void Fail(OperatorContext context, ConductorTask task, Exception e)
    {
        task.OutputData = new Dictionary<string, object?> { ["error"] = e.Message };
        var timedOut = e is Scripting.ScriptEvaluationException { IsTimeout: true };
        context.Finish(task, timedOut ? ConductorTaskStatus.FAILED : ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, e.Message);
    }
}
