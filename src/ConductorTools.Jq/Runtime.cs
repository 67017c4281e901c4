using System.Collections;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ConductorTools.Jq;

/// <summary>Per-evaluation state: the step/time budget and cancellation.</summary>
internal sealed class Ctx
{
    private long _steps;
    private long _nextCheck;
    private readonly long _maxSteps;
    private readonly long _deadline;
    private readonly CancellationToken _ct;
    public readonly JqOptions Options;

    public Ctx(JqOptions options)
    {
        Options = options;
        _maxSteps = options.MaxSteps ?? long.MaxValue;
        _deadline = options.Timeout is { } t ? Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        _ct = options.CancellationToken;
        _nextCheck = Math.Min(_maxSteps, 4096);
    }

    public long Steps => _steps;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step()
    {
        if (++_steps >= _nextCheck) Check();
    }

    public void Step(long n)
    {
        _steps += n;
        if (_steps >= _nextCheck) Check();
    }

    private void Check()
    {
        if (_steps >= _maxSteps) throw new JqBudgetExceededException($"jq step budget exceeded ({_maxSteps} steps)");
        if (_deadline != long.MaxValue && Stopwatch.GetTimestamp() > _deadline)
            throw new JqBudgetExceededException("jq time budget exceeded (" + Options.Timeout + ")");
        _ct.ThrowIfCancellationRequested();
        _nextCheck = Math.Min(_maxSteps, _steps + 4096);
    }

    public void CheckLength(long n)
    {
        if (n > Options.MaxCollectionLength)
            throw new JqBudgetExceededException($"jq value too large ({n} > {Options.MaxCollectionLength} elements)");
    }
}

/// <summary>A lexical environment link: a variable, a function definition, a filter argument, or a label.</summary>
internal sealed class Env
{
    public readonly Env? Parent;
    public readonly JV? Value;
    public readonly FuncDef? Func;
    public readonly Node? Closure;
    public readonly Env? ClosureEnv;
    public readonly object? Label;

    private Env(Env? parent, JV? value, FuncDef? func, Node? closure, Env? closureEnv, object? label)
    {
        Parent = parent; Value = value; Func = func; Closure = closure; ClosureEnv = closureEnv; Label = label;
    }

    public static readonly Env Root = new(null, null, null, null, null, null);

    public Env BindValue(JV v) => new(this, v, null, null, null, null);
    public Env BindFunc(FuncDef f) => new(this, null, f, null, null, null);
    public Env BindClosure(Node n, Env e) => new(this, null, null, n, e, null);
    public Env BindLabel(object label) => new(this, null, null, null, null, label);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Env Up(int d)
    {
        var e = this;
        while (d-- > 0) e = e.Parent!;
        return e;
    }
}

internal sealed class FuncDef
{
    public string Name = "";
    public int Arity;
    public Node Body = null!;
}

internal sealed class BreakException : Exception
{
    public readonly object Label;
    public BreakException(object label) : base("break") => Label = label;
}

/// <summary>A path (linked from the end) as built in path-tracking mode.</summary>
internal sealed class PathList
{
    public readonly PathList? Parent;
    public readonly JV Key;
    public readonly int Length;

    public PathList(PathList? parent, JV key)
    {
        Parent = parent; Key = key; Length = (parent?.Length ?? 0) + 1;
    }

    public static PathList? Append(PathList? p, JV key) => new(p, key);

    public static JArr ToArray(PathList? p)
    {
        int n = p?.Length ?? 0;
        var arr = new JV[n];
        for (var x = p; x != null; x = x.Parent) arr[--n] = x.Key;
        return new JArr(new List<JV>(arr));
    }

    public static PathList? FromArray(JArr a)
    {
        PathList? p = null;
        foreach (var k in a.Items) p = new PathList(p, k);
        return p;
    }
}

/// <summary>A value with the path it was reached by (path-tracking mode).</summary>
internal readonly struct PV
{
    public readonly PathList? P;
    public readonly JV V;
    public PV(PathList? p, JV v) { P = p; V = v; }
}

internal static class Err
{
    public static JqException E(string msg) => new(JStr.Of(msg));

    public static string Desc(JV v) => v.TypeName + " (" + JsonText.DumpTrunc(v) + ")";
}

/// <summary>A single-output sequence (avoids an iterator state machine).</summary>
internal sealed class One : IEnumerable<JV>, IEnumerator<JV>
{
    private readonly JV _v;
    private int _state;
    public One(JV v) => _v = v;
    public JV Current => _v;
    object IEnumerator.Current => _v;
    public bool MoveNext() => _state++ == 0;
    public void Reset() => _state = 0;
    public void Dispose() { }
    public IEnumerator<JV> GetEnumerator() => _state == 0 ? this : new One(_v);
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A compiled filter node. Eval yields outputs lazily; simple nodes (exactly one output or an error) also answer Eval1.</summary>
internal abstract class Node
{
    public virtual bool IsSimple => false;

    public virtual JV Eval1(JV input, Env env, Ctx ctx)
    {
        foreach (var v in Eval(input, env, ctx)) return v;
        throw new InvalidOperationException("simple node produced no output");
    }

    public abstract IEnumerable<JV> Eval(JV input, Env env, Ctx ctx);

    /// <summary>Path-tracking evaluation (path(f), assignments). Non-path expressions fail as jq's do.</summary>
    public virtual IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var v in Eval(input.V, env, ctx))
            throw Err.E("Invalid path expression with result " + JsonText.DumpTrunc(v));
        yield break;
    }

    public static readonly IEnumerable<JV> None = Array.Empty<JV>();

    /// <summary>What <paramref name="body"/> yields until it throws an exception <paramref name="ends"/> accepts, which then
    /// goes to <paramref name="caught"/> and ends the sequence quietly (try/catch and label/break). C# cannot yield inside a
    /// try with a catch, so each step is guarded on its own.</summary>
    protected static IEnumerable<T> Until<T>(Func<IEnumerable<T>> body, Func<Exception, bool> ends, Action<Exception>? caught = null)
    {
        IEnumerator<T> e;
        try { e = body().GetEnumerator(); }
        catch (Exception ex) when (ends(ex)) { caught?.Invoke(ex); yield break; }
        using (e)
        {
            while (true)
            {
                var more = false;
                try { more = e.MoveNext(); }
                catch (Exception ex) when (ends(ex)) { caught?.Invoke(ex); }
                if (!more) yield break;
                yield return e.Current;
            }
        }
    }
}

internal abstract class SimpleNode : Node
{
    public override bool IsSimple => true;
    public abstract override JV Eval1(JV input, Env env, Ctx ctx);
    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx) => new One(Eval1(input, env, ctx));
}
