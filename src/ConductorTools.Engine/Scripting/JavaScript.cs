using System.Text.Json;
using ConductorTools.Model;
using Jint;
using Jint.Native;

namespace ConductorTools.Engine.Scripting;

/// <summary>Why a script failed: a timeout is a transient failure, anything else is an error in the script.</summary>
public sealed class ScriptException : Exception
{
    public ScriptException(string message, bool timedOut, Exception? inner = null) : base(message, inner) => TimedOut = timedOut;

    public bool TimedOut { get; }
}

/// <summary>
/// Evaluates Conductor's JavaScript expressions (INLINE, SWITCH/DECISION <c>javascript</c>, DO_WHILE conditions) with
/// Jint 2.x, an ECMAScript 5.1 interpreter: <c>$</c> is the task input as a JS object, the value of the last statement
/// is the result (e.g. <c>(function(){ return $.a + 1; })()</c>), and the result comes back as a plain value (whole
/// numbers as <see cref="long"/>, other numbers as <see cref="double"/>, objects as maps, arrays as lists).
/// </summary>
public static class JavaScript
{
    /// <summary>Conductor's limit for one evaluation.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    public static object? Evaluate(string expression, IDictionary<string, object?>? input)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            throw new ScriptException("The JavaScript expression is empty.", timedOut: false);
        }
        var engine = new Jint.Engine(options => options.TimeoutInterval(Timeout).LimitRecursion(512));
        try
        {
            // The input goes in as JSON so scripts see ordinary JS objects and arrays.
            engine.Execute("var $ = " + ConductorJson.Serialize(input ?? new Dictionary<string, object?>()) + ";");
            var value = engine.Execute(expression).GetCompletionValue();
            return ToPlain(engine, value);
        }
        catch (TimeoutException e)
        {
            throw new ScriptException($"The JavaScript expression did not finish within {Timeout.TotalSeconds:0} seconds.", timedOut: true, e);
        }
        catch (Exception e) when (e is Jint.Runtime.JavaScriptException or Jint.Parser.ParserException
            or Jint.Runtime.RecursionDepthOverflowException or Jint.Runtime.StatementsCountOverflowException
            or ArgumentException or InvalidOperationException)
        {
            throw new ScriptException("Error evaluating the JavaScript expression: " + e.Message, timedOut: false, e);
        }
    }

    private static object? ToPlain(Jint.Engine engine, JsValue value)
    {
        if (value.IsUndefined() || value.IsNull())
        {
            return null;
        }
        if (value.IsBoolean())
        {
            return value.AsBoolean();
        }
        if (value.IsString())
        {
            return value.AsString();
        }
        if (value.IsNumber())
        {
            var number = value.AsNumber();
            return number == Math.Floor(number) && !double.IsInfinity(number) && Math.Abs(number) < 9.007199254740992E15 ? (long)number : number;
        }
        var json = new Jint.Native.Json.JsonSerializer(engine).Serialize(value, JsValue.Undefined, JsValue.Undefined);
        if (!json.IsString())
        {
            return null; // functions and other non-JSON values
        }
        using var document = JsonDocument.Parse(json.AsString());
        return ConductorJson.ToPlain(document.RootElement);
    }

    /// <summary>Conductor's DO_WHILE truthiness: true, or a number greater than zero.</summary>
    public static bool IsTruthy(object? value) => value switch
    {
        bool b => b,
        long l => l > 0,
        int i => i > 0,
        double d => d > 0,
        _ => false,
    };
}
