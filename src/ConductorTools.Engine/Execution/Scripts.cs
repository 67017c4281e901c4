using ConductorTools.Engine.Scripting;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// The engine's one door to the scripting pieces in <c>ConductorTools.Engine.Scripting</c>: JavaScript for
/// INLINE/SWITCH/DECISION/DO_WHILE and WAIT durations. JSON_JQ_TRANSFORM is rejected at registration (no jq here).
/// </summary>
internal static class Scripts
{
    public static object? Evaluate(string expression, IDictionary<string, object?> input) => JavaScript.Evaluate(expression, input);

    public static bool IsTruthy(object? value) => JavaScript.IsTruthy(value);

    public static IReadOnlyList<object?> Jq(string query, IDictionary<string, object?> input)
    {
        _ = input;
        throw new NotSupportedException($"JSON_JQ_TRANSFORM is not supported by the embedded engine (query: {query}).");
    }

    public static TimeSpan ParseDuration(string text) => WaitTimes.ParseDuration(text);

    public static DateTimeOffset ParseUntil(string text) => WaitTimes.ParseUntil(text);
}
