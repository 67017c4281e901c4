using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>The <c>evaluatorType</c> values of INLINE and SWITCH the engine runs: <c>javascript</c> and <c>graaljs</c>
/// (both JavaScript on Jint) and <c>value-param</c>. conductor-oss also has <c>python</c> (GraalPy); the engine refuses it
/// at registration rather than failing the task when it runs.</summary>
internal static class Evaluators
{
    public static bool IsJavaScript(object? evaluator) => evaluator is null or "javascript" or "graaljs";

    /// <summary>Why the task's evaluator cannot run here, or null. An expression (<c>${...}</c>) is checked when it runs.</summary>
    public static string? Refusal(object? evaluator, WorkflowTask task)
    {
        if (evaluator is null or "javascript" or "graaljs" or "value-param")
        {
            return null;
        }
        if (evaluator is string text && text.Contains("${"))
        {
            return null;
        }
        return $"evaluatorType '{evaluator}' of {task.Type} task {task.TaskReferenceName} is not supported by the embedded engine"
            + (evaluator is "python" ? " (it has no Python interpreter)" : "")
            + ": use javascript, graaljs or value-param, or run this workflow on a Conductor server.";
    }
}
