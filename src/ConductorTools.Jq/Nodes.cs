using System.Runtime.CompilerServices;
using System.Text;

namespace ConductorTools.Jq;

internal sealed class IdentityNode : SimpleNode
{
    public static readonly IdentityNode Instance = new();
    public override JV Eval1(JV input, Env env, Ctx ctx) => input;
    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx) { yield return input; }
}

internal sealed class LiteralNode : SimpleNode
{
    public readonly JV Value;
    public LiteralNode(JV v) => Value = v;
    public override JV Eval1(JV input, Env env, Ctx ctx) => Value;
    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        // jq accepts `null` as a path expression (getpath on it yields null).
        if (Value.Kind == JKind.Null) { yield return new PV(input.P, JNull.Instance); yield break; }
        throw Err.E("Invalid path expression with result " + JsonText.DumpTrunc(Value));
    }
}

internal sealed class RecurseAllNode : Node
{
    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        var stack = new Stack<JV>();
        stack.Push(input);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            ctx.Step();
            yield return v;
            if (v is JArr a) for (int i = a.Count - 1; i >= 0; i--) stack.Push(a.Items[i]);
            else if (v is JObj o) for (int i = o.Count - 1; i >= 0; i--) stack.Push(o.Entries[i].Value);
        }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        var stack = new Stack<PV>();
        stack.Push(input);
        while (stack.Count > 0)
        {
            var pv = stack.Pop();
            ctx.Step();
            yield return pv;
            var v = pv.V;
            if (v is JArr a) for (int i = a.Count - 1; i >= 0; i--) stack.Push(new PV(new PathList(pv.P, JNum.Of(i)), a.Items[i]));
            else if (v is JObj o) for (int i = o.Count - 1; i >= 0; i--) stack.Push(new PV(new PathList(pv.P, JStr.Of(o.Entries[i].Key)), o.Entries[i].Value));
        }
    }
}

internal sealed class FieldNode : Node
{
    private readonly Node _target;
    private readonly string _name;
    private readonly JStr _key;
    public FieldNode(Node target, string name) { _target = target; _name = name; _key = JStr.Of(name); }
    public FieldNode WithTarget(Node t) => new(t, _name);
    public override bool IsSimple => _target.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        var t = _target is IdentityNode ? input : _target.Eval1(input, env, ctx);
        if (t is JObj o) return o.Get(_name);
        return Ops.Field(t, _name);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (IsSimple) return new One(Eval1(input, env, ctx));
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var t in _target.Eval(input, env, ctx)) yield return Ops.Field(t, _name);
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var t in _target.Paths(input, env, ctx))
            yield return new PV(new PathList(t.P, _key), t.V.Kind == JKind.Null ? JNull.Instance : Ops.Field(t.V, _name));
    }
}

internal sealed class IndexNode : Node
{
    private readonly Node _target, _key;
    public IndexNode(Node target, Node key) { _target = target; _key = key; }
    public IndexNode WithTarget(Node t) => new(t, _key);

    public IEnumerable<JV> EvalStep(JV t, JV input, Env env, Ctx ctx)
    {
        foreach (var k in _key.Eval(input, env, ctx)) yield return Ops.Index(t, k);
    }

    public IEnumerable<PV> PathsStep(PV t, JV input, Env env, Ctx ctx)
    {
        foreach (var k in _key.Eval(input, env, ctx))
            yield return new PV(new PathList(t.P, k), t.V.Kind == JKind.Null ? JNull.Instance : Ops.Index(t.V, k));
    }
    public override bool IsSimple => _target.IsSimple && _key.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        var k = _key.Eval1(input, env, ctx);
        return Ops.Index(_target.Eval1(input, env, ctx), k);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (IsSimple) return new One(Eval1(input, env, ctx));
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var k in _key.Eval(input, env, ctx))
            foreach (var t in _target.Eval(input, env, ctx))
                yield return Ops.Index(t, k);
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var k in _key.Eval(input.V, env, ctx))
            foreach (var t in _target.Paths(input, env, ctx))
                yield return new PV(new PathList(t.P, k), t.V.Kind == JKind.Null ? JNull.Instance : Ops.Index(t.V, k));
    }
}

internal sealed class SliceNode : Node
{
    private readonly Node _target;
    private readonly Node? _from, _to;
    public SliceNode(Node target, Node? from, Node? to) { _target = target; _from = from; _to = to; }
    public SliceNode WithTarget(Node t) => new(t, _from, _to);

    public IEnumerable<JV> EvalStep(JV t, JV input, Env env, Ctx ctx)
    {
        foreach (var to in Bound(_to, input, env, ctx))
            foreach (var from in Bound(_from, input, env, ctx))
                yield return Ops.Slice(t, from, to);
    }

    public IEnumerable<PV> PathsStep(PV t, JV input, Env env, Ctx ctx)
    {
        foreach (var to in Bound(_to, input, env, ctx))
            foreach (var from in Bound(_from, input, env, ctx))
                yield return new PV(new PathList(t.P, Ops.SliceKey(from, to)), Ops.Slice(t.V, from, to));
    }

    private IEnumerable<JV> Bound(Node? n, JV input, Env env, Ctx ctx) => n == null ? new One(JNull.Instance) : n.Eval(input, env, ctx);

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        foreach (var to in Bound(_to, input, env, ctx))
            foreach (var from in Bound(_from, input, env, ctx))
                foreach (var t in _target.Eval(input, env, ctx))
                    yield return Ops.Slice(t, from, to);
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var to in Bound(_to, input.V, env, ctx))
            foreach (var from in Bound(_from, input.V, env, ctx))
                foreach (var t in _target.Paths(input, env, ctx))
                    yield return new PV(new PathList(t.P, Ops.SliceKey(from, to)), Ops.Slice(t.V, from, to));
    }
}

internal sealed class IterateNode : Node
{
    private readonly Node _target;
    public IterateNode(Node target) => _target = target;

    public static JqException CannotIterate(JV v) => Err.E("Cannot iterate over " + Err.Desc(v));

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_target is IdentityNode) return Iterate(input, ctx);
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var t in _target.Eval(input, env, ctx))
            foreach (var v in Iterate(t, ctx)) yield return v;
    }

    public static IEnumerable<JV> Iterate(JV t, Ctx ctx)
    {
        if (t is JArr a) return IterArr(a, ctx);
        if (t is JObj o) return IterObj(o, ctx);
        throw CannotIterate(t);
    }

    private static IEnumerable<JV> IterArr(JArr a, Ctx ctx)
    {
        var items = a.Items;
        for (int i = 0; i < items.Count; i++) { ctx.Step(); yield return items[i]; }
    }

    private static IEnumerable<JV> IterObj(JObj o, Ctx ctx)
    {
        var e = o.Entries;
        for (int i = 0; i < e.Count; i++) { ctx.Step(); yield return e[i].Value; }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var t in _target.Paths(input, env, ctx))
        {
            var v = t.V;
            if (v is JArr a) { for (int i = 0; i < a.Count; i++) { ctx.Step(); yield return new PV(new PathList(t.P, JNum.Of(i)), a.Items[i]); } }
            else if (v is JObj o) { foreach (var kv in o.Entries) { ctx.Step(); yield return new PV(new PathList(t.P, JStr.Of(kv.Key)), kv.Value); } }
            else if (v.Kind == JKind.Null) { }
            else throw CannotIterate(v);
        }
    }
}

internal sealed class TryNode : Node
{
    private readonly Node _body;
    private readonly Node? _catch;
    public TryNode(Node body, Node? c) { _body = body; _catch = c; }

    internal static bool Catchable(Exception e) => e is JqException && e is not JqBudgetExceededException && e is not JqParseException;

    private static readonly Func<Exception, bool> IsCatchable = Catchable;

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        JqException? error = null;
        foreach (var v in Until(() => _body.Eval(input, env, ctx), IsCatchable, ex => error = (JqException)ex)) yield return v;
        if (error != null && _catch != null)
        {
            // jq 1.6: error(null) caught yields null.
            foreach (var v in _catch.Eval(error.CatchValue, env, ctx)) yield return v;
        }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        JqException? error = null;
        foreach (var v in Until(() => _body.Paths(input, env, ctx), IsCatchable, ex => error = (JqException)ex)) yield return v;
        if (error != null && _catch != null)
            foreach (var v in _catch.Paths(new PV(input.P, error.CatchValue), env, ctx)) yield return v;
    }
}

internal sealed class StringNode : Node
{
    private readonly object[] _parts; // string or Node
    private readonly string? _format;
    private readonly bool _simple;

    public StringNode(List<object> parts, string? format)
    {
        _parts = parts.ToArray();
        _format = format;
        _simple = true;
        foreach (var p in _parts) if (p is Node n && !n.IsSimple) _simple = false;
        if (format != null) Formats.Check(format);
    }

    public override bool IsSimple => _simple;

    private string Fmt(JV v) => _format == null ? Ops.ToStringValue(v) : Formats.Apply(_format, v);

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        if (!_simple) return base.Eval1(input, env, ctx);
        var sb = new StringBuilder();
        foreach (var p in _parts)
        {
            if (p is string s) sb.Append(s);
            else sb.Append(Fmt(((Node)p).Eval1(input, env, ctx)));
        }
        return JStr.Of(sb.ToString());
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_simple) return new One(Eval1(input, env, ctx));
        return Combine(_parts.Length - 1, input, env, ctx);
    }

    // jq varies the first interpolation fastest: the last part is the outer loop.
    private IEnumerable<JV> Combine(int last, JV input, Env env, Ctx ctx)
    {
        foreach (var suffix in Suffixes(last, input, env, ctx)) yield return JStr.Of(suffix);
    }

    private IEnumerable<string> Suffixes(int i, JV input, Env env, Ctx ctx)
    {
        if (i < 0) { yield return ""; yield break; }
        if (_parts[i] is string s)
        {
            foreach (var pre in Suffixes(i - 1, input, env, ctx)) yield return pre + s;
            yield break;
        }
        foreach (var v in ((Node)_parts[i]).Eval(input, env, ctx))
        {
            var text = Fmt(v);
            foreach (var pre in Suffixes(i - 1, input, env, ctx)) yield return pre + text;
        }
    }
}

internal sealed class FormatNode : SimpleNode
{
    private readonly string _name;
    public FormatNode(string name) { _name = name; Formats.Check(name); }
    public override JV Eval1(JV input, Env env, Ctx ctx) => JStr.Of(Formats.Apply(_name, input));
}

internal sealed class ArrayNode : SimpleNode
{
    private readonly Node? _body;
    public ArrayNode(Node? body) => _body = body;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        if (_body == null) return new JArr(new List<JV>(0));
        if (_body.IsSimple) return new JArr(new List<JV>(1) { _body.Eval1(input, env, ctx) });
        var list = new List<JV>();
        foreach (var v in _body.Eval(input, env, ctx))
        {
            ctx.Step();
            list.Add(v);
            if ((list.Count & 0xFFFF) == 0) ctx.CheckLength(list.Count);
        }
        return new JArr(list);
    }
}

internal sealed class ObjectNode : Node
{
    private readonly (Node Key, Node Value)[] _entries;
    private readonly bool _simple;
    private readonly string?[] _constKeys;

    public ObjectNode(List<(Node, Node)> entries)
    {
        _entries = entries.ToArray();
        _constKeys = new string?[_entries.Length];
        _simple = true;
        for (int i = 0; i < _entries.Length; i++)
        {
            if (!_entries[i].Key.IsSimple || !_entries[i].Value.IsSimple) _simple = false;
            if (_entries[i].Key is LiteralNode { Value: JStr s }) _constKeys[i] = s.S;
        }
    }

    public override bool IsSimple => _simple;

    private static string KeyOf(JV k)
    {
        if (k is JStr s) return s.S;
        throw Err.E($"Cannot use {Err.Desc(k)} as object key");
    }

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        if (!_simple) return base.Eval1(input, env, ctx);
        var b = new JObjBuilder(_entries.Length);
        for (int i = 0; i < _entries.Length; i++)
        {
            var key = _constKeys[i] ?? KeyOf(_entries[i].Key.Eval1(input, env, ctx));
            b.Set(key, _entries[i].Value.Eval1(input, env, ctx));
        }
        return b.Build();
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_simple) return new One(Eval1(input, env, ctx));
        return Gen(0, new List<KeyValuePair<string, JV>>(), input, env, ctx);
    }

    private IEnumerable<JV> Gen(int i, List<KeyValuePair<string, JV>> acc, JV input, Env env, Ctx ctx)
    {
        if (i == _entries.Length)
        {
            var b = new JObjBuilder(acc.Count);
            foreach (var kv in acc) b.Set(kv.Key, kv.Value);
            yield return b.Build();
            yield break;
        }
        foreach (var k in _entries[i].Key.Eval(input, env, ctx))
        {
            var key = KeyOf(k);
            foreach (var v in _entries[i].Value.Eval(input, env, ctx))
            {
                acc.Add(new(key, v));
                foreach (var r in Gen(i + 1, acc, input, env, ctx)) yield return r;
                acc.RemoveAt(acc.Count - 1);
            }
        }
    }
}

internal sealed class PipeNode : Node
{
    private readonly Node _left, _right;
    public PipeNode(Node l, Node r) { _left = l; _right = r; }
    public override bool IsSimple => _left.IsSimple && _right.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx) => _right.Eval1(_left.Eval1(input, env, ctx), env, ctx);

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_left.IsSimple) return _right.Eval(_left.Eval1(input, env, ctx), env, ctx);
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var l in _left.Eval(input, env, ctx))
        {
            ctx.Step();
            if (_right.IsSimple) yield return _right.Eval1(l, env, ctx);
            else foreach (var r in _right.Eval(l, env, ctx)) yield return r;
        }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var l in _left.Paths(input, env, ctx))
            foreach (var r in _right.Paths(l, env, ctx)) yield return r;
    }
}

internal sealed class CommaNode : Node
{
    private readonly Node _left, _right;
    public CommaNode(Node l, Node r) { _left = l; _right = r; }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        foreach (var v in _left.Eval(input, env, ctx)) { ctx.Step(); yield return v; }
        foreach (var v in _right.Eval(input, env, ctx)) { ctx.Step(); yield return v; }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var v in _left.Paths(input, env, ctx)) yield return v;
        foreach (var v in _right.Paths(input, env, ctx)) yield return v;
    }
}

internal sealed class NegNode : Node
{
    private readonly Node _body;
    public NegNode(Node b) => _body = b;
    public override bool IsSimple => _body.IsSimple;
    public override JV Eval1(JV input, Env env, Ctx ctx) => Ops.Negate(_body.Eval1(input, env, ctx));
    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        foreach (var v in _body.Eval(input, env, ctx)) yield return Ops.Negate(v);
    }
}

internal sealed class BinaryNode : Node
{
    private readonly string _op;
    private readonly Node _left, _right;
    private readonly Func<JV, JV, Ctx, JV> _f;

    public BinaryNode(string op, Node l, Node r)
    {
        _op = op; _left = l; _right = r;
        _f = op switch
        {
            "+" => (a, b, _) => Ops.Add(a, b),
            "-" => (a, b, _) => Ops.Subtract(a, b),
            "*" => Ops.Multiply,
            "/" => (a, b, _) => Ops.Divide(a, b),
            "%" => (a, b, _) => Ops.Modulo(a, b),
            "==" => (a, b, _) => JBool.Of(JCompare.Equal(a, b)),
            "!=" => (a, b, _) => JBool.Of(!JCompare.Equal(a, b)),
            "<" => (a, b, _) => JBool.Of(JCompare.Compare(a, b) < 0),
            "<=" => (a, b, _) => JBool.Of(JCompare.Compare(a, b) <= 0),
            ">" => (a, b, _) => JBool.Of(JCompare.Compare(a, b) > 0),
            ">=" => (a, b, _) => JBool.Of(JCompare.Compare(a, b) >= 0),
            _ => throw new InvalidOperationException(op),
        };
    }

    public override bool IsSimple => _left.IsSimple && _right.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        var r = _right.Eval1(input, env, ctx);
        return _f(_left.Eval1(input, env, ctx), r, ctx);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (IsSimple) return new One(Eval1(input, env, ctx));
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var r in _right.Eval(input, env, ctx))
            foreach (var l in _left.Eval(input, env, ctx))
                yield return _f(l, r, ctx);
    }
}

internal sealed class AndOrNode : Node
{
    private readonly bool _isAnd;
    private readonly Node _left, _right;
    public AndOrNode(bool isAnd, Node l, Node r) { _isAnd = isAnd; _left = l; _right = r; }
    public override bool IsSimple => _left.IsSimple && _right.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        bool l = _left.Eval1(input, env, ctx).IsTruthy;
        if (_isAnd ? !l : l) return JBool.Of(l);
        return JBool.Of(_right.Eval1(input, env, ctx).IsTruthy);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (IsSimple) return new One(Eval1(input, env, ctx));
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var lv in _left.Eval(input, env, ctx))
        {
            bool l = lv.IsTruthy;
            if (_isAnd ? !l : l) { yield return JBool.Of(l); continue; }
            foreach (var r in _right.Eval(input, env, ctx)) yield return JBool.Of(r.IsTruthy);
        }
    }
}

/// <summary>`a // b`: the truthy outputs of a, or else the outputs of b (jq 1.6 lets a's errors through).</summary>
internal sealed class AltNode : Node
{
    private readonly Node _left, _right;
    public AltNode(Node l, Node r) { _left = l; _right = r; }

    public override bool IsSimple => _left.IsSimple && _right.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        var l = _left.Eval1(input, env, ctx);
        return l.IsTruthy ? l : _right.Eval1(input, env, ctx);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (IsSimple) return new One(Eval1(input, env, ctx));
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        bool any = false;
        foreach (var v in _left.Eval(input, env, ctx))
            if (v.IsTruthy) { any = true; yield return v; }
        if (!any) foreach (var v in _right.Eval(input, env, ctx)) yield return v;
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        bool any = false;
        foreach (var v in _left.Paths(input, env, ctx))
            if (v.V.IsTruthy) { any = true; yield return v; }
        if (!any) foreach (var v in _right.Paths(input, env, ctx)) yield return v;
    }
}

internal sealed class IfNode : Node
{
    private readonly Node _cond, _then;
    private readonly Node? _else;
    public IfNode(Node c, Node t, Node? e) { _cond = c; _then = t; _else = e; }
    public override bool IsSimple => _cond.IsSimple && _then.IsSimple && (_else?.IsSimple ?? true);

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        if (_cond.Eval1(input, env, ctx).IsTruthy) return _then.Eval1(input, env, ctx);
        return _else == null ? input : _else.Eval1(input, env, ctx);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_cond.IsSimple)
        {
            if (_cond.Eval1(input, env, ctx).IsTruthy) return _then.Eval(input, env, ctx);
            return _else == null ? new One(input) : _else.Eval(input, env, ctx);
        }
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var c in _cond.Eval(input, env, ctx))
        {
            if (c.IsTruthy) { foreach (var v in _then.Eval(input, env, ctx)) yield return v; }
            else if (_else == null) yield return input;
            else foreach (var v in _else.Eval(input, env, ctx)) yield return v;
        }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var c in _cond.Eval(input.V, env, ctx))
        {
            if (c.IsTruthy) { foreach (var v in _then.Paths(input, env, ctx)) yield return v; }
            else if (_else == null) yield return input;
            else foreach (var v in _else.Paths(input, env, ctx)) yield return v;
        }
    }
}

/// <summary>A destructuring pattern compiled to variable slots.</summary>
internal sealed class Pattern
{
    public int Slot = -1;                    // variable
    public Pattern[]? Items;                 // array pattern
    public (Node Key, int Slot, Pattern? Sub)[]? Entries; // object pattern (Slot >= 0 for $name keys)

    public void Bind(JV value, JV[] slots, JV input, Env env, Ctx ctx)
    {
        if (Slot >= 0) { slots[Slot] = value; return; }
        if (Items != null)
        {
            for (int i = 0; i < Items.Length; i++)
            {
                JV v;
                if (value is JArr a) v = i < a.Count ? a.Items[i] : JNull.Instance;
                else if (value.Kind == JKind.Null) v = JNull.Instance;
                else throw Ops.IndexError(value, JNum.Of(i));
                Items[i].Bind(v, slots, input, env, ctx);
            }
            return;
        }
        foreach (var (keyNode, slot, sub) in Entries!)
        {
            JV k = keyNode.Eval1OrFirst(input, env, ctx);
            if (k is not JStr) throw Err.E($"Cannot index {value.TypeName} with {k.TypeName}");
            var v = Ops.Index(value, k);
            if (slot >= 0) slots[slot] = v;
            sub?.Bind(v, slots, input, env, ctx);
        }
    }
}

internal static class NodeExtensions
{
    public static JV Eval1OrFirst(this Node n, JV input, Env env, Ctx ctx)
    {
        if (n.IsSimple) return n.Eval1(input, env, ctx);
        foreach (var v in n.Eval(input, env, ctx)) return v;
        throw Err.E("Pattern key produced no value");
    }
}

internal sealed class BindNode : Node
{
    private readonly Node _source, _body;
    private readonly Pattern[] _patterns;
    private readonly int _slots;

    public BindNode(Node source, Pattern[] patterns, int slots, Node body) { _source = source; _patterns = patterns; _slots = slots; _body = body; }

    public override bool IsSimple => _patterns.Length == 1 && _source.IsSimple && _body.IsSimple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        var v = _source.Eval1(input, env, ctx);
        return _body.Eval1(input, BindEnv(v, _patterns[0], input, env, ctx), ctx);
    }

    private Env BindEnv(JV v, Pattern p, JV input, Env env, Ctx ctx)
    {
        if (_slots == 1 && p.Slot == 0) return env.BindValue(v);
        var slots = new JV[_slots];
        for (int i = 0; i < slots.Length; i++) slots[i] = JNull.Instance;
        p.Bind(v, slots, input, env, ctx);
        var e = env;
        foreach (var s in slots) e = e.BindValue(s);
        return e;
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (IsSimple) return new One(Eval1(input, env, ctx));
        return EvalMany(input, env, ctx);
    }

    private IEnumerable<JV> EvalMany(JV input, Env env, Ctx ctx)
    {
        foreach (var v in _source.Eval(input, env, ctx))
        {
            if (_patterns.Length == 1)
            {
                foreach (var r in _body.Eval(input, BindEnv(v, _patterns[0], input, env, ctx), ctx)) yield return r;
                continue;
            }
            for (int pi = 0; pi < _patterns.Length; pi++)
            {
                bool last = pi == _patterns.Length - 1;
                if (last)
                {
                    foreach (var r in _body.Eval(input, BindEnv(v, _patterns[pi], input, env, ctx), ctx)) yield return r;
                    break;
                }
                IEnumerator<JV>? e = null;
                bool failed = false;
                try { e = _body.Eval(input, BindEnv(v, _patterns[pi], input, env, ctx), ctx).GetEnumerator(); }
                catch (JqException ex) when (TryNode.Catchable(ex)) { failed = true; }
                if (e != null)
                {
                    using (e)
                    {
                        while (true)
                        {
                            try { if (!e.MoveNext()) break; }
                            catch (JqException ex) when (TryNode.Catchable(ex)) { failed = true; break; }
                            yield return e.Current;
                        }
                    }
                }
                if (!failed) break;
            }
        }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var v in _source.Eval(input.V, env, ctx))
            foreach (var r in _body.Paths(input, BindEnv(v, _patterns[0], input.V, env, ctx), ctx)) yield return r;
    }
}

internal sealed class VarNode : SimpleNode
{
    private readonly int _depth;
    public VarNode(int depth) => _depth = depth;
    public override JV Eval1(JV input, Env env, Ctx ctx) => env.Up(_depth).Value!;
}

internal sealed class ReduceNode : Node
{
    private readonly Node _source, _init, _update;
    private readonly Pattern _pattern;
    private readonly int _slots;

    public ReduceNode(Node source, Pattern pattern, int slots, Node init, Node update, InPlaceUpdate? inPlace = null)
    { _source = source; _pattern = pattern; _slots = slots; _init = init; _update = update; _inPlace = inPlace; }

    private readonly InPlaceUpdate? _inPlace;

    public override bool IsSimple => _init.IsSimple;

    internal static Env Bind(Pattern p, int nslots, JV v, JV input, Env env, Ctx ctx)
    {
        if (nslots == 1 && p.Slot == 0) return env.BindValue(v);
        var slots = new JV[nslots];
        for (int i = 0; i < slots.Length; i++) slots[i] = JNull.Instance;
        p.Bind(v, slots, input, env, ctx);
        var e = env;
        foreach (var s in slots) e = e.BindValue(s);
        return e;
    }

    private JV Run(JV input, JV state, Env env, Ctx ctx)
    {
        bool owned = false;
        foreach (var v in _source.Eval(input, env, ctx))
        {
            ctx.Step();
            var e = Bind(_pattern, _slots, v, input, env, ctx);
            if (_inPlace != null && _inPlace.TryApply(ref state, ref owned, e, ctx)) continue;
            owned = false;
            if (_update.IsSimple) state = _update.Eval1(state, e, ctx);
            else
            {
                JV? last = null;
                foreach (var u in _update.Eval(state, e, ctx)) last = u;
                state = last ?? JNull.Instance;
            }
        }
        return state;
    }

    public override JV Eval1(JV input, Env env, Ctx ctx) => Run(input, _init.Eval1(input, env, ctx), env, ctx);

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        foreach (var init in _init.Eval(input, env, ctx)) yield return Run(input, init, env, ctx);
    }
}

internal sealed class ForeachNode : Node
{
    private readonly Node _source, _init, _update;
    private readonly Node? _extract;
    private readonly Pattern _pattern;
    private readonly int _slots;

    public ForeachNode(Node source, Pattern pattern, int slots, Node init, Node update, Node? extract)
    { _source = source; _pattern = pattern; _slots = slots; _init = init; _update = update; _extract = extract; }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        foreach (var init in _init.Eval(input, env, ctx))
        {
            var state = init;
            foreach (var v in _source.Eval(input, env, ctx))
            {
                ctx.Step();
                var e = ReduceNode.Bind(_pattern, _slots, v, input, env, ctx);
                foreach (var u in _update.Eval(state, e, ctx))
                {
                    state = u;
                    if (_extract == null) yield return u;
                    else foreach (var x in _extract.Eval(u, e, ctx)) yield return x;
                }
            }
        }
    }
}

internal sealed class DefNode : Node
{
    private readonly FuncDef _def;
    private readonly Node _rest;
    public DefNode(FuncDef def, Node rest) { _def = def; _rest = rest; }
    public override bool IsSimple => _rest.IsSimple;
    public override JV Eval1(JV input, Env env, Ctx ctx) => _rest.Eval1(input, env.BindFunc(_def), ctx);
    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx) => _rest.Eval(input, env.BindFunc(_def), ctx);
    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx) => _rest.Paths(input, env.BindFunc(_def), ctx);
}

internal sealed class CallNode : Node
{
    private readonly int _depth;
    private readonly Node[] _args;
    public CallNode(int depth, Node[] args) { _depth = depth; _args = args; }

    private (FuncDef, Env) Enter(Env env, Ctx ctx)
    {
        ctx.Step();
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var defEnv = env.Up(_depth);
        var f = defEnv.Func!;
        var e = defEnv;
        foreach (var a in _args) e = e.BindClosure(a, env);
        return (f, e);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        var (f, e) = Enter(env, ctx);
        return f.Body.Eval(input, e, ctx);
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        var (f, e) = Enter(env, ctx);
        return f.Body.Paths(input, e, ctx);
    }
}

internal sealed class ParamCallNode : Node
{
    private readonly int _depth;
    public ParamCallNode(int depth) => _depth = depth;

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        var link = env.Up(_depth);
        RuntimeHelpers.EnsureSufficientExecutionStack();
        return link.Closure!.Eval(input, link.ClosureEnv!, ctx);
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        var link = env.Up(_depth);
        return link.Closure!.Paths(input, link.ClosureEnv!, ctx);
    }
}

internal sealed class LabelNode : Node
{
    private readonly Node _body;
    public LabelNode(Node body) => _body = body;

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        var token = new object();
        return Until(() => _body.Eval(input, env.BindLabel(token), ctx), e => e is BreakException b && b.Label == token);
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        var token = new object();
        return Until(() => _body.Paths(input, env.BindLabel(token), ctx), e => e is BreakException b && b.Label == token);
    }
}

internal sealed class BreakNode : Node
{
    private readonly int _depth;
    public BreakNode(int depth) => _depth = depth;
    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx) => throw new BreakException(env.Up(_depth).Label!);
    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx) => throw new BreakException(env.Up(_depth).Label!);
}

/// <summary>Assignment operators: =, |=, and the arithmetic updates (jq 1.6 definitions).</summary>
internal sealed class AssignNode : Node
{
    private readonly string _op;
    private readonly Node _lhs, _rhs;
    public AssignNode(string op, Node lhs, Node rhs) { _op = op; _lhs = lhs; _rhs = rhs; }

    private List<JArr> PathsOf(JV input, Env env, Ctx ctx)
    {
        var list = new List<JArr>();
        foreach (var pv in _lhs.Paths(new PV(null, input), env, ctx)) { ctx.Step(); list.Add(PathList.ToArray(pv.P)); }
        return list;
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_op == "|=")
        {
            var state = input;
            var owned = new HashSet<JV>(Ops.RefEq.Instance);
            foreach (var p in PathsOf(input, env, ctx))
            {
                var old = Ops.GetPath(state, p);
                bool got = false;
                foreach (var nv in _rhs.Eval(old, env, ctx))
                {
                    state = Ops.SetPathOwned(state, p, 0, nv, owned, ctx);
                    got = true;
                    break;
                }
                if (!got) state = Ops.DelPaths(state, new JArr(new List<JV> { p }));
            }
            yield return state;
            yield break;
        }
        foreach (var v in _rhs.Eval(input, env, ctx))
        {
            var state = input;
            var owned = new HashSet<JV>(Ops.RefEq.Instance);
            foreach (var p in PathsOf(input, env, ctx))
            {
                JV nv = _op switch
                {
                    "=" => v,
                    "//=" => Ops.GetPath(state, p) is { IsTruthy: true } cur ? cur : v,
                    _ => Ops.Binary(_op.Substring(0, 1), Ops.GetPath(state, p), v, ctx),
                };
                state = Ops.SetPathOwned(state, p, 0, nv, owned, ctx);
            }
            yield return state;
        }
    }
}

/// <summary>
/// `reduce` updates of the forms `.[k] = v`, `.[k] op= v`, `.[k] |= f` and `. + v`, where k and v cannot see the
/// state: applied in place on a private copy of the state (as jq mutates values it holds the only reference to), so
/// building an object or array in a reduce is linear instead of quadratic.
/// </summary>
internal sealed class InPlaceUpdate
{
    public string Op = "";      // "=", "|=", "+=", ..., or "append" for `. + v`
    public Node? Key;
    public Node Rhs = null!;

    // Exactly one output, or report "not applicable" (so the generic update handles generators).
    private static JV Single(Node n, JV input, Env env, Ctx ctx, out bool one)
    {
        if (n.IsSimple) { one = true; return n.Eval1(input, env, ctx); }
        JV? first = null;
        int count = 0;
        foreach (var v in n.Eval(input, env, ctx)) { if (count++ == 0) first = v; else break; }
        one = count == 1;
        return first ?? JNull.Instance;
    }

    private static JV First(Node n, JV input, Env env, Ctx ctx, out bool any)
    {
        if (n.IsSimple) { any = true; return n.Eval1(input, env, ctx); }
        foreach (var v in n.Eval(input, env, ctx)) { any = true; return v; }
        any = false;
        return JNull.Instance;
    }

    public bool TryApply(ref JV state, ref bool owned, Env env, Ctx ctx)
    {
        if (Op == "append")
        {
            var add = Single(Rhs, state, env, ctx, out var oneAdd);
            if (!oneAdd) return false;
            if (state is JArr sa && add is JArr aa)
            {
                if (!owned) { state = sa = new JArr(new List<JV>(sa.Items)); owned = true; }
                ctx.CheckLength((long)sa.Count + aa.Count);
                sa.Items.AddRange(aa.Items);
                return true;
            }
            if (state is JObj so && add is JObj ao)
            {
                if (!owned) { state = so = so.CloneOwned(); owned = true; }
                foreach (var kv in ao.Entries) so.SetOwned(kv.Key, kv.Value);
                return true;
            }
            owned = false;
            state = Ops.Add(state, add);
            return true;
        }
        var key = Single(Key!, state, env, ctx, out var oneKey);
        if (!oneKey) return false;
        if (key is JStr ks && (state is JObj || state.Kind == JKind.Null))
        {
            var o = state as JObj;
            if (o == null || !owned) { o = o == null ? new JObj(new List<KeyValuePair<string, JV>>()) : o.CloneOwned(); state = o; owned = true; }
            var old = o.Get(ks.S);
            if (!Compute(old, ref state, env, ctx, out var nv)) { o.RemoveOwned(ks.S); return true; }
            o.SetOwned(ks.S, nv);
            return true;
        }
        if (key is JNum kn && kn.IsInt && kn.L >= 0 && (state is JArr || state.Kind == JKind.Null))
        {
            var a = state as JArr;
            if (a == null || !owned) { a = new JArr(a == null ? new List<JV>() : new List<JV>(a.Items)); state = a; owned = true; }
            ctx.CheckLength(kn.L + 1);
            var old = kn.L < a.Count ? a.Items[(int)kn.L] : JNull.Instance;
            if (!Compute(old, ref state, env, ctx, out var nv)) { if (kn.L < a.Count) a.Items.RemoveAt((int)kn.L); return true; }
            if (kn.L >= a.Count) ctx.Step(kn.L - a.Count);
            while (a.Items.Count <= kn.L) a.Items.Add(JNull.Instance);
            a.Items[(int)kn.L] = nv;
            return true;
        }
        return false;
    }

    private bool Compute(JV old, ref JV state, Env env, Ctx ctx, out JV nv)
    {
        switch (Op)
        {
            case "|=":
                nv = First(Rhs, old, env, ctx, out var any);
                return any;
            case "=":
                nv = First(Rhs, state, env, ctx, out _);
                return true;
            case "//=":
                nv = old.IsTruthy ? old : First(Rhs, state, env, ctx, out _);
                return true;
            default:
                nv = Ops.Binary(Op.Substring(0, 1), old, First(Rhs, state, env, ctx, out _), ctx);
                return true;
        }
    }
}

/// <summary>
/// An index step followed by `?` (`t.b?`, `t[k]?`, `t[]?`, `t[a:b]?`): the step's errors are skipped output by output
/// of its target, while errors of the target itself still propagate, as jq does.
/// </summary>
internal sealed class OptionalStepNode : Node
{
    private readonly Node _step;   // the step over a placeholder target
    private readonly Node _target;

    public OptionalStepNode(Node step, Node target)
    {
        _target = target;
        _step = Rebind(step);
    }

    // The step node is rebuilt over identity so it can run on each output of the target separately.
    private static Node Rebind(Node step) => step switch
    {
        FieldNode f => f.WithTarget(IdentityNode.Instance),
        IndexNode i => i.WithTarget(IdentityNode.Instance),
        SliceNode s => s.WithTarget(IdentityNode.Instance),
        IterateNode it => new IterateNode(IdentityNode.Instance),
        _ => step,
    };

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        foreach (var t in _target.Eval(input, env, ctx))
        {
            var results = new List<JV>();
            try
            {
                foreach (var v in _step.EvalOn(t, input, env, ctx)) results.Add(v);
            }
            catch (JqException ex) when (TryNode.Catchable(ex)) { }
            foreach (var v in results) yield return v;
        }
    }

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx)
    {
        foreach (var t in _target.Paths(input, env, ctx))
        {
            var results = new List<PV>();
            try
            {
                foreach (var v in _step.PathsOn(t, input.V, env, ctx)) results.Add(v);
            }
            catch (JqException ex) when (TryNode.Catchable(ex)) { }
            foreach (var v in results) yield return v;
        }
    }
}

internal static class StepExtensions
{
    // Runs a step whose target is identity on `t`, with key expressions still seeing the original input.
    public static IEnumerable<JV> EvalOn(this Node step, JV t, JV input, Env env, Ctx ctx) => step switch
    {
        IndexNode i => i.EvalStep(t, input, env, ctx),
        SliceNode s => s.EvalStep(t, input, env, ctx),
        _ => step.Eval(t, env, ctx),
    };

    public static IEnumerable<PV> PathsOn(this Node step, PV t, JV input, Env env, Ctx ctx) => step switch
    {
        IndexNode i => i.PathsStep(t, input, env, ctx),
        SliceNode s => s.PathsStep(t, input, env, ctx),
        _ => step.Paths(t, env, ctx),
    };
}
