using System.Globalization;
using System.Text;
using ConductorTools.Model;

namespace ConductorTools.Engine.Expressions;

/// <summary>
/// Conductor's parameter expressions (conductor-oss core/.../utils/ParametersUtils.java): <c>${path}</c> tokens evaluated with JSONPath against an
/// <see cref="ExpressionContext"/> document. A value that is exactly one token keeps its JSON type; tokens inside text are
/// rendered the way Java's <c>toString</c> renders them; missing paths are null (or "null" in text); inner tokens are
/// resolved first; <c>$${</c> escapes. Resolution never throws for a bad path.
/// </summary>
public static class ParameterResolver
{
    private const string CurrentTaskIdToken = "CPEWF_TASK_ID";

    /// <summary>Resolves task input parameters, then applies the task definition's input template.</summary>
    public static Dictionary<string, object?> Resolve(IDictionary<string, object?>? inputParameters, IDictionary<string, object?> context,
        string? taskId = null, IDictionary<string, object?>? inputTemplate = null)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (inputParameters is not null)
        {
            foreach (var pair in inputParameters)
            {
                result[pair.Key] = ResolveValue(pair.Value, context, taskId);
            }
        }
        if (inputTemplate is not null)
        {
            foreach (var pair in inputTemplate)
            {
                if (!result.TryGetValue(pair.Key, out var value))
                {
                    result[pair.Key] = ResolveValue(pair.Value, context, taskId);
                }
                else if (value is null)
                {
                    result[pair.Key] = ConductorJson.DeepClone(pair.Value); // Conductor uses the template's raw value here
                }
            }
        }
        return result;
    }

    /// <summary>Resolves one value: strings are evaluated, maps and lists recursively, other values copied.</summary>
    public static object? ResolveValue(object? value, IDictionary<string, object?> context, string? taskId = null) => value switch
    {
        string text => ResolveString(text, context, taskId),
        IDictionary<string, object?> map => map.ToDictionary(p => p.Key, p => ResolveValue(p.Value, context, taskId), StringComparer.Ordinal),
        IList<object?> list => list.Select(item => ResolveValue(item, context, taskId)).ToList(),
        _ => ConductorJson.DeepClone(value),
    };

    private static object? ResolveString(string text, IDictionary<string, object?> context, string? taskId)
    {
        if (text.IndexOf("${", StringComparison.Ordinal) < 0) return text;
        if (text.StartsWith("${", StringComparison.Ordinal) && MatchingBrace(text, 2) == text.Length - 1)
        {
            // The whole value is one expression: its result keeps its type (and is not unescaped).
            var inner = Interpolate(text.Substring(2, text.Length - 3), context, taskId);
            return Evaluate(inner, context, taskId, text);
        }
        return Interpolate(text, context, taskId).Replace("$${", "${");
    }

    private static string Interpolate(string text, IDictionary<string, object?> context, string? taskId)
    {
        var output = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                output.Append("$${"); // escaped: kept as text
                i += 3;
                continue;
            }
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = MatchingBrace(text, i + 2);
                if (close < 0)
                {
                    output.Append(text, i, text.Length - i); // unbalanced: left as written
                    break;
                }
                var inner = Interpolate(text.Substring(i + 2, close - i - 2), context, taskId);
                output.Append(JavaText(Evaluate(inner, context, taskId, text.Substring(i, close - i + 1))));
                i = close + 1;
                continue;
            }
            output.Append(text[i]);
            i++;
        }
        return output.ToString();
    }

    /// <summary>Index of the brace closing the token whose content starts at <paramref name="start"/>, or -1.</summary>
    private static int MatchingBrace(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }

    private static object? Evaluate(string path, IDictionary<string, object?> context, string? taskId, string token)
    {
        path = path.Trim();
        if (path.Length == 0) return "";
        if (path.StartsWith("$.", StringComparison.Ordinal)) path = path.Substring(2);
        if (path == CurrentTaskIdToken) return taskId;
        if (path.StartsWith("workflow.secrets.", StringComparison.Ordinal)) return token; // substituted only when handed to a worker
        if (path.StartsWith("workflow.env.", StringComparison.Ordinal))
        {
            var rest = path.Substring("workflow.env.".Length);
            var dot = rest.IndexOf('.');
            var name = dot < 0 ? rest : rest.Substring(0, dot);
            var value = Environment.GetEnvironmentVariable(name);
            return dot < 0 || value is null ? value : JsonPath.Evaluate(value, rest.Substring(dot + 1));
        }
        var first = path.Split('.', '[')[0];
        if (!context.ContainsKey(first) && path == first)
        {
            return Environment.GetEnvironmentVariable(first); // bare names may be server environment variables
        }
        try
        {
            return JsonPath.Evaluate(context, path);
        }
        catch (FormatException)
        {
            return null; // Conductor suppresses path errors
        }
    }

    /// <summary>Renders a value as Java's <c>toString</c> does (maps as <c>{a=1, b=2}</c>, lists as <c>[1, 2]</c>).</summary>
    public static string JavaText(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => JavaDouble(d),
        float f => JavaDouble(f),
        IFormattable number when value is long or int or short or byte or decimal => number.ToString(null, CultureInfo.InvariantCulture),
        IDictionary<string, object?> map => "{" + string.Join(", ", map.Select(p => p.Key + "=" + JavaText(p.Value))) + "}",
        IEnumerable<object?> list => "[" + string.Join(", ", list.Select(JavaText)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string JavaDouble(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "Infinity" : "-Infinity";
        var abs = Math.Abs(d);
        if (abs != 0 && (abs < 1e-3 || abs >= 1e7))
        {
            var e = d.ToString("0.0###############E0", CultureInfo.InvariantCulture);
            return e;
        }
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOf('.') < 0 && text.IndexOf('E') < 0 ? text + ".0" : text;
    }
}
