using System.Globalization;
using ConductorTools.Model;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;

namespace ConductorTools.Engine.Scripting;

/// <summary>Why a script could not produce a value.</summary>
public sealed class ScriptEvaluationException : Exception
{
    public ScriptEvaluationException(string message, bool isTimeout, Exception? inner = null) : base(message, inner) => IsTimeout = isTimeout;

    /// <summary>The script ran out of its budget (time, statements or memory; Conductor: FAILED, retryable) rather than
    /// failing (FAILED_WITH_TERMINAL_ERROR).</summary>
    public bool IsTimeout { get; }
}

/// <summary>
/// JavaScript for INLINE, SWITCH, DECISION and DO_WHILE, on Jint 4 (modern ECMAScript: arrow functions, template
/// literals, <c>?.</c>, <c>??</c>, destructuring, spread, classes, <c>includes</c>, <c>Object.entries</c>, ...).
/// <c>$</c> is a copy of the task input; the value of the last statement is the result (e.g. <c>$.a + 1</c> or
/// <c>(function(){ return $.a + 1; })()</c>). Results come back as plain values the way conductor-oss's GraalJS
/// evaluator converts them: whole numbers as longs, other numbers as doubles, NaN and infinities as the strings Jackson
/// writes for them (<c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>), objects as maps, arrays as lists, undefined as
/// null. Each evaluation has its own engine with a time, statement and memory budget and a recursion limit.
/// </summary>
public static class JavaScript
{
    /// <summary>Conductor's INLINE limit.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Statements one evaluation may execute.</summary>
    public const int DefaultMaxStatements = 10_000_000;

    /// <summary>Bytes one evaluation may allocate (Jint counts the evaluating thread's allocations).</summary>
    public const long DefaultMemoryLimitBytes = 128L * 1024 * 1024;

    /// <summary>Nesting limit of a result (a cyclic object would never end).</summary>
    private const int MaxResultDepth = Execution.PayloadLimits.MaxDataDepth;

    /// <summary>Jint's memory limit needs GC.GetAllocatedBytesForCurrentThread (.NET Core; .NET Framework 4.8).</summary>
    private static readonly bool CanLimitMemory = typeof(GC).GetMethod("GetAllocatedBytesForCurrentThread", Type.EmptyTypes) is not null;

    /// <exception cref="ScriptEvaluationException">The script failed or ran out of its budget.</exception>
    public static object? Evaluate(string script, IDictionary<string, object?> input, TimeSpan? timeout = null,
        int maxStatements = DefaultMaxStatements, long memoryLimitBytes = DefaultMemoryLimitBytes) =>
        EvaluateJson(script, ConductorJson.Serialize(input), timeout, maxStatements, memoryLimitBytes);

    /// <summary>As <see cref="Evaluate"/>, with the input given as the JSON text of an object (captured earlier).</summary>
    /// <exception cref="ScriptEvaluationException">The script failed or ran out of its budget.</exception>
    public static object? EvaluateJson(string script, string inputJson, TimeSpan? timeout = null,
        int maxStatements = DefaultMaxStatements, long memoryLimitBytes = DefaultMemoryLimitBytes)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            throw new ScriptEvaluationException("The script expression is empty.", isTimeout: false);
        }
        var limit = timeout ?? DefaultTimeout;
        using var engine = new Jint.Engine(options =>
        {
            options.TimeoutInterval(limit).MaxStatements(maxStatements).LimitRecursion(256).Strict(false);
            if (CanLimitMemory && memoryLimitBytes > 0)
            {
                options.LimitMemory(memoryLimitBytes);
            }
        });
        try
        {
            engine.SetValue("$", new JsonParser(engine).Parse(inputJson));
            return ToPlain(engine.Evaluate(script), 0);
        }
        catch (TimeoutException ex)
        {
            throw new ScriptEvaluationException(
                $"Script not evaluated within {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} seconds, interrupted.", isTimeout: true, ex);
        }
        catch (StatementsCountOverflowException ex)
        {
            throw new ScriptEvaluationException($"Script stopped after {maxStatements} statements, interrupted.", isTimeout: true, ex);
        }
        catch (MemoryLimitExceededException ex)
        {
            throw new ScriptEvaluationException(
                $"Script stopped: it allocated more than {memoryLimitBytes / (1024 * 1024)} MB, interrupted.", isTimeout: true, ex);
        }
        catch (JavaScriptException ex)
        {
            var name = ex.Error is ObjectInstance error && error.Get("name") is { } n && n.IsString() ? n.AsString() : null;
            var text = name is null || ex.Message.StartsWith(name + ":", StringComparison.Ordinal) ? ex.Message : name + ": " + ex.Message;
            var line = ex.Location.Start.Line;
            throw new ScriptEvaluationException(
                line > 0 ? $"Error evaluating the script `{text}` at line {line}" : $"Error evaluating the script `{text}`", isTimeout: false, ex);
        }
        catch (Exception ex) when (ParseError(ex) is { } parse)
        {
            throw new ScriptEvaluationException($"Error evaluating the script `SyntaxError: {parse.Description}` at line {parse.LineNumber}", isTimeout: false, ex);
        }
        catch (RecursionDepthOverflowException ex)
        {
            throw new ScriptEvaluationException($"Error evaluating the script `RangeError: Maximum call stack size exceeded ({ex.Message})`", isTimeout: false, ex);
        }
        catch (Exception ex) when (ex is not ScriptEvaluationException)
        {
            throw new ScriptEvaluationException($"Error evaluating the script {ex.Message}", isTimeout: false, ex);
        }
    }

    /// <summary>Checks that a script parses (at workflow registration); null when it does, else the problem.</summary>
    public static string? SyntaxError(string script)
    {
        try
        {
            Jint.Engine.PrepareScript(script);
            return null;
        }
        catch (Exception ex)
        {
            return ParseError(ex) is { } parse ? $"{parse.Description} (line {parse.LineNumber}, column {parse.Column})" : ex.Message;
        }
    }

    private static Acornima.ParseErrorException? ParseError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is Acornima.ParseErrorException parse)
            {
                return parse;
            }
        }
        return null;
    }

    /// <summary>A JavaScript value as a plain .NET value, the way conductor-oss converts GraalJS values.</summary>
    private static object? ToPlain(JsValue value, int depth)
    {
        if (depth > MaxResultDepth)
        {
            throw new ScriptEvaluationException($"Error evaluating the script result: nested more than {MaxResultDepth} levels (a cycle?)", isTimeout: false);
        }
        if (value.IsNull() || value.IsUndefined())
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
            return Number(value.AsNumber());
        }
        if (value.IsBigInt())
        {
            return value.ToString();
        }
        if (value.IsArray())
        {
            var array = value.AsArray();
            var length = (int)array.Length;
            var list = new List<object?>(length);
            for (var i = 0; i < length; i++)
            {
                list.Add(ToPlain(array.Get(i), depth + 1));
            }
            return list;
        }
        if (value is ObjectInstance obj)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var key in obj.GetOwnPropertyKeys(Types.String))
            {
                var descriptor = obj.GetOwnProperty(key);
                if (descriptor.Enumerable)
                {
                    map[key.ToString()] = ToPlain(obj.Get(key), depth + 1);
                }
            }
            return map;
        }
        return value.ToString();
    }

    /// <summary>Whole numbers as longs, others as doubles; NaN and infinities as Jackson writes them (quoted).</summary>
    private static object Number(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }
        if (double.IsPositiveInfinity(d))
        {
            return "Infinity";
        }
        if (double.IsNegativeInfinity(d))
        {
            return "-Infinity";
        }
        return Math.Floor(d) == d && Math.Abs(d) < 9.2e18 ? (object)(long)d : d;
    }
}
