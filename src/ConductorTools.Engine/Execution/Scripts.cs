using ConductorTools.Engine.Scripting;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// The engine's one door to the scripting pieces (JavaScript for INLINE/SWITCH/DECISION/DO_WHILE, WAIT times),
/// implemented in <c>ConductorTools.Engine.Scripting</c>.
/// </summary>
internal static class Scripts
{
    /// <exception cref="ScriptEvaluationException">The script failed or ran out of time.</exception>
    public static object? Evaluate(string expression, IDictionary<string, object?> input) => JavaScript.Evaluate(expression, input);

    /// <exception cref="ScriptEvaluationException">The script failed or ran out of its budget.</exception>
    public static object? EvaluateJson(string expression, string inputJson) => JavaScript.EvaluateJson(expression, inputJson);

    public static bool IsTruthy(object? value) => value switch
    {
        bool b => b,
        long l => l > 0,
        int i => i > 0,
        double d => d > 0,
        _ => false,
    };

    public static TimeSpan ParseDuration(string text) => WaitTimes.ParseDuration(text);

    public static DateTimeOffset ParseUntil(string text) => WaitTimes.ParseUntil(text);
}
