using System.Dynamic;
using ConductorTools.Model;
using Jint;
using Jint.Native;
using Jint.Runtime;

namespace ConductorTools.Engine.Scripting;

/// <summary>Why a script could not produce a value.</summary>
public sealed class ScriptEvaluationException : Exception
{
    public ScriptEvaluationException(string message, bool isTimeout, Exception? inner = null) : base(message, inner) => IsTimeout = isTimeout;

    /// <summary>The script ran past its time limit (Conductor: FAILED) rather than failing (FAILED_WITH_TERMINAL_ERROR).</summary>
    public bool IsTimeout { get; }
}

/// <summary>
/// JavaScript for INLINE, SWITCH, DECISION and DO_WHILE, on Jint 2.x: ECMAScript 5.1 (no arrow functions, let/const,
/// template literals or classes). <c>$</c> is the task input; the value of the last statement is the result
/// (e.g. <c>(function(){ return $.a + 1; })()</c>). Results come back as plain values, whole numbers as longs.
/// </summary>
public static class JavaScript
{
    /// <summary>Conductor's INLINE limit.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(4);

    public static object? Evaluate(string script, IDictionary<string, object?> input, TimeSpan? timeout = null)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            throw new ScriptEvaluationException("The script expression is empty.", isTimeout: false);
        }
        var engine = new Jint.Engine(options => options
            .TimeoutInterval(timeout ?? DefaultTimeout)
            .LimitRecursion(256)
            .Strict(false));
        try
        {
            engine.SetValue("__conductorInput", ConductorJson.Serialize(input));
            engine.Execute("var $ = JSON.parse(__conductorInput);");
            var value = engine.Execute(script).GetCompletionValue();
            return ToPlain(value.ToObject());
        }
        catch (TimeoutException ex)
        {
            throw new ScriptEvaluationException($"The script did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s.", isTimeout: true, ex);
        }
        catch (JavaScriptException ex)
        {
            throw new ScriptEvaluationException($"The script failed: {ex.Message} (line {ex.LineNumber})", isTimeout: false, ex);
        }
        catch (Exception ex) when (ex is not ScriptEvaluationException)
        {
            throw new ScriptEvaluationException($"The script could not run: {ex.Message}", isTimeout: false, ex);
        }
    }

    /// <summary>Checks that a script parses (at workflow registration); null when it does, else the problem.</summary>
    public static string? SyntaxError(string script)
    {
        try
        {
            new Jint.Parser.JavaScriptParser().Parse(script);
            return null;
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }

    private static object? ToPlain(object? value) => value switch
    {
        null => null,
        JsValue js when js.IsUndefined() || js.IsNull() => null,
        ExpandoObject expando => ((IDictionary<string, object?>)expando!).ToDictionary(p => p.Key, p => ToPlain(p.Value), StringComparer.Ordinal),
        IDictionary<string, object?> map => map.ToDictionary(p => p.Key, p => ToPlain(p.Value), StringComparer.Ordinal),
        object?[] array => array.Select(ToPlain).ToList(),
        double d when !double.IsInfinity(d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18 => (long)d,
        int i => (long)i,
        _ => value,
    };
}
