using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConductorTools.Jq;

/// <summary>A jq error at run time; the message is jq's own wording.</summary>
public class JqException : Exception
{
    public JqException(string message) : base(message) { }
    public JqException(string message, Exception? inner) : base(message, inner) { }

    internal JqException(JV value) : base(MessageOf(value)) => Value = value;

    /// <summary>The value given to <c>error</c> (or the message as a string), as JSON.</summary>
    public JsonNode? ErrorValue => Value is null ? JsonValue.Create(Message) : JConvert.ToNode(Value);

    internal JV? Value { get; }

    internal JV CatchValue => Value ?? JStr.Of(Message);

    internal static string MessageOf(JV v) => v is JStr s ? s.S : JsonText.Dump(v) + " (not a string)";
}

/// <summary>A filter that does not parse: <see cref="Position"/> (0-based offset), line and column (1-based), what was expected.</summary>
public sealed class JqParseException : JqException
{
    public JqParseException(string message, int position, int line, int column, string expected)
        : base(message)
    {
        Position = position;
        Line = line;
        Column = column;
        Expected = expected;
    }

    public int Position { get; }
    public int Line { get; }
    public int Column { get; }
    public string Expected { get; }
}

/// <summary>The evaluation ran out of its step, time or depth budget. jq's <c>try</c> does not catch it.</summary>
public sealed class JqBudgetExceededException : JqException
{
    public JqBudgetExceededException(string message) : base(message) { }
}

/// <summary>Limits and cancellation for one evaluation.</summary>
public sealed class JqOptions
{
    /// <summary>Defaults: 10 million steps (a second or two of work), arrays and strings up to 10 million elements, no time limit.</summary>
    public static readonly JqOptions Default = new();

    /// <summary>Maximum evaluation steps (each function call, each iterated, generated or collected value counts one); null for no limit.</summary>
    public long? MaxSteps { get; init; } = 10_000_000;

    /// <summary>Wall-clock budget for the whole evaluation (checked every few thousand steps); null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Cancels the evaluation (checked with the budgets).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Maximum length of a string or array that a single operation may build (guards memory).</summary>
    public int MaxCollectionLength { get; init; } = 10_000_000;

    /// <summary>Timeout for one regular-expression match.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>A compiled jq filter. Parse once, evaluate many times (thread-safe).</summary>
public sealed class JqFilter
{
    private readonly Node _root;

    private JqFilter(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The filter's source text.</summary>
    public string Text { get; }

    /// <summary>Parses and compiles a filter. Throws <see cref="JqParseException"/> with the position and what was expected.</summary>
    public static JqFilter Parse(string text)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        var ast = new Parser(text).ParseProgram();
        var node = Compiler.CompileProgram(ast, text);
        return new JqFilter(text, node);
    }

    /// <summary>Runs the filter on <paramref name="input"/>; outputs are produced lazily as the sequence is enumerated.</summary>
    public IEnumerable<JsonNode?> Evaluate(JsonNode? input, JqOptions? options = null)
    {
        foreach (var v in EvaluateValues(Guarded(() => JConvert.FromNode(input)), options)) yield return Guarded(() => JConvert.ToNode(v));
    }

    /// <summary>Runs the filter on a <see cref="JsonElement"/>.</summary>
    public IEnumerable<JsonNode?> Evaluate(JsonElement input, JqOptions? options = null)
    {
        foreach (var v in EvaluateValues(Guarded(() => JConvert.FromElement(input)), options)) yield return Guarded(() => JConvert.ToNode(v));
    }

    private static T Guarded<T>(Func<T> f)
    {
        try { return f(); }
        catch (InsufficientExecutionStackException) { throw new JqBudgetExceededException("Value nested too deeply"); }
    }

    /// <summary>Runs the filter on JSON text (UTF-8) and yields each output as compact JSON text, as <c>jq -c</c> prints it.</summary>
    public IEnumerable<string> EvaluateJson(ReadOnlyMemory<byte> utf8Json, JqOptions? options = null)
    {
        JV input;
        try { input = JConvert.Parse(utf8Json.Span); }
        catch (JsonException e) { throw new JqException("Invalid JSON input: " + e.Message, e); }
        foreach (var v in EvaluateValues(input, options)) yield return JsonText.Dump(v);
    }

    /// <summary>Runs the filter on JSON text and yields each output as compact JSON text.</summary>
    public IEnumerable<string> EvaluateJson(string json, JqOptions? options = null) =>
        EvaluateJson(System.Text.Encoding.UTF8.GetBytes(json), options);

    internal IEnumerable<JV> EvaluateValues(JV input, JqOptions? options)
    {
        var ctx = new Ctx(options ?? JqOptions.Default);
        IEnumerator<JV> e;
        try { e = _root.Eval(input, Prelude.Env, ctx).GetEnumerator(); }
        catch (Exception ex) when (Translate(ex) is { } t) { throw t; }
        using (e)
        {
            while (true)
            {
                try
                {
                    if (!e.MoveNext()) yield break;
                }
                catch (Exception ex) when (Translate(ex) is { } t) { throw t; }
                yield return e.Current;
            }
        }
    }

    private static Exception? Translate(Exception ex) => ex switch
    {
        InsufficientExecutionStackException => new JqBudgetExceededException("Maximum recursion depth exceeded"),
        BreakException => new JqException("break"),
        System.Text.RegularExpressions.RegexMatchTimeoutException => new JqBudgetExceededException("Regular expression match timed out"),
        OutOfMemoryException => new JqBudgetExceededException("Out of memory"),
        _ => null,
    };

    public override string ToString() => Text;
}
