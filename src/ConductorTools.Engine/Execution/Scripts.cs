namespace ConductorTools.Engine.Execution;

/// <summary>
/// The engine's one door to the scripting pieces (JavaScript for INLINE/SWITCH/DECISION/DO_WHILE, jq for
/// JSON_JQ_TRANSFORM, WAIT durations), implemented in <c>ConductorTools.Engine.Scripting</c>.
/// </summary>
internal static class Scripts
{
    public static object? Evaluate(string expression, IDictionary<string, object?> input)
    {
        _ = expression;
        _ = input;
        throw new NotSupportedException("JavaScript evaluation is not available in this build of the embedded engine yet.");
    }

    public static bool IsTruthy(object? value) => value switch
    {
        bool b => b,
        long l => l > 0,
        int i => i > 0,
        double d => d > 0,
        _ => false,
    };

    public static IReadOnlyList<object?> Jq(string query, IDictionary<string, object?> input)
    {
        _ = query;
        _ = input;
        throw new NotSupportedException("JSON_JQ_TRANSFORM is not available in this build of the embedded engine yet.");
    }

    public static TimeSpan ParseDuration(string text) =>
        throw new FormatException($"Unable to parse the WAIT duration '{text}' in this build of the embedded engine yet.");

    public static DateTimeOffset ParseUntil(string text) =>
        throw new FormatException($"Unable to parse the WAIT until '{text}' in this build of the embedded engine yet.");
}
