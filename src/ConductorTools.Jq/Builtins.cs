using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ConductorTools.Jq;

/// <summary>The native builtins (the rest are jq definitions in <see cref="Prelude"/>).</summary>
internal static class Builtins
{
    private static readonly Dictionary<string, Func<Node[], Node>> Table = new(StringComparer.Ordinal);

    public static IEnumerable<string> Names => Table.Keys;

    public static bool TryCreate(string name, int arity, Node[] args, out Node? node)
    {
        if (Table.TryGetValue(name + "/" + arity, out var f)) { node = f(args); return true; }
        node = null;
        return false;
    }

    private static void Val(string name, int arity, ValFn f) => Table[name + "/" + arity] = args => new ValFnNode(f, args);
    private static void Val0(string name, Func<JV, JV> f) => Table[name + "/0"] = args => new ValFnNode((i, _, _) => f(i), args);
    private static void Gen(string name, int arity, GenFn f) => Table[name + "/" + arity] = args => new GenFnNode(f, args);
    private static void Cl(string name, int arity, ClosureFn f, PathFn? paths = null) =>
        Table[name + "/" + arity] = args => new ClosureFnNode(name, f, null, paths, args);
    private static void Cl1(string name, int arity, ClosureFn1 f) =>
        Table[name + "/" + arity] = args => new ClosureFnNode(name, null, f, null, args);
    private static void Math1(string name, Func<double, double> f) =>
        Val0(name, v => v is JNum n ? JNum.Of(f(n.D)) : throw Err.E(Err.Desc(v) + " number required"));
    private static void Math2(string name, Func<double, double, double> f) =>
        Val(name, 2, (_, a, _) => a[0] is JNum x && a[1] is JNum y ? JNum.Of(f(x.D, y.D)) : throw Err.E(Err.Desc(a[0] is JNum ? a[1] : a[0]) + " number required"));

    static Builtins()
    {
        // ---- core ----
        Cl("empty", 0, (_, _, _, _) => Node.None, (_, _, _, _) => Array.Empty<PV>());
        Val0("not", v => JBool.Of(!v.IsTruthy));
        // jq 1.6: error(null) backtracks like empty (uncaught and under try alike).
        Gen("error", 0, (v, _, _) => v.Kind == JKind.Null ? Node.None : throw new JqException(v));
        Gen("error", 1, (_, a, _) => a[0].Kind == JKind.Null ? Node.None : throw new JqException(a[0]));
        Cl("select", 1, Select, SelectPaths);
        Cl1("map", 1, (input, a, env, ctx) =>
        {
            var list = new List<JV>();
            var f = a[0];
            foreach (var x in IterateNode.Iterate(input, ctx))
            {
                if (f.IsSimple) list.Add(f.Eval1(x, env, ctx));
                else foreach (var y in f.Eval(x, env, ctx)) { ctx.Step(); list.Add(y); }
            }
            return new JArr(list);
        });
        Cl("recurse", 0, (input, _, env, ctx) => new RecurseAllNode().Eval(input, env, ctx), (input, _, env, ctx) => new RecurseAllNode().Paths(input, env, ctx));
        Cl("recurse", 1, (input, a, env, ctx) => Recurse(input, a[0], null, env, ctx), (input, a, env, ctx) => RecursePaths(input, a[0], env, ctx));
        Cl("recurse", 2, (input, a, env, ctx) => Recurse(input, a[0], a[1], env, ctx), (input, a, env, ctx) => RecursePaths(input, a[0], env, ctx, a[1]));
        Cl("path", 1, (input, a, env, ctx) => PathOf(input, a[0], env, ctx));
        Cl("paths", 0, (input, _, env, ctx) => AllPaths(input, null, env, ctx));
        Cl("paths", 1, (input, a, env, ctx) => AllPaths(input, a[0], env, ctx));
        Cl("getpath", 1, (input, a, env, ctx) => a[0].Eval(input, env, ctx).Select(p => GetPathChecked(input, p)), GetPathPaths);
        Val("setpath", 2, (i, a, c) => Ops.SetPath(i, a[0], a[1], c));
        Val("delpaths", 1, (i, a, _) => Ops.DelPaths(i, a[0]));
        Cl("del", 1, (input, a, env, ctx) =>
        {
            var paths = new List<JV>();
            foreach (var pv in a[0].Paths(new PV(null, input), env, ctx)) paths.Add(PathList.ToArray(pv.P));
            return new One(Ops.DelPaths(input, new JArr(paths)));
        });
        Cl("limit", 2, Limit, LimitPaths);
        Cl("first", 1, (input, a, env, ctx) => a[0].Eval(input, env, ctx).Take(1), (input, a, env, ctx) => a[0].Paths(input, env, ctx).Take(1));
        Cl("last", 1, (input, a, env, ctx) => LastOf(a[0].Eval(input, env, ctx)), (input, a, env, ctx) => LastOfP(a[0].Paths(input, env, ctx)));
        Cl("isempty", 1, (input, a, env, ctx) => new One(JBool.Of(!a[0].Eval(input, env, ctx).Any())));
        Cl("until", 2, Until);
        Cl("while", 2, (input, a, env, ctx) => Recurse(input, a[1], null, env, ctx, a[0]));
        Cl("repeat", 1, (input, a, env, ctx) => Recurse(input, a[0], null, env, ctx));
        Cl("range", 1, (input, a, env, ctx) => a[0].Eval(input, env, ctx).SelectMany(n => Range(JNum.Zero, n, JNum.One, ctx)));
        Gen("range", 2, (_, a, c) => Range(a[0], a[1], JNum.One, c));
        Gen("range", 3, (_, a, c) => Range(a[0], a[1], a[2], c));
        Cl("any", 2, (input, a, env, ctx) => new One(JBool.Of(a[0].Eval(input, env, ctx).Any(x => a[1].Eval(x, env, ctx).Any(y => y.IsTruthy)))));
        Cl("all", 2, (input, a, env, ctx) => new One(JBool.Of(a[0].Eval(input, env, ctx).All(x => a[1].Eval(x, env, ctx).All(y => y.IsTruthy)))));
        Cl("any", 1, (input, a, env, ctx) => new One(JBool.Of(IterateNode.Iterate(input, ctx).Any(x => a[0].Eval(x, env, ctx).Any(y => y.IsTruthy)))));
        Cl("all", 1, (input, a, env, ctx) => new One(JBool.Of(IterateNode.Iterate(input, ctx).All(x => a[0].Eval(x, env, ctx).All(y => y.IsTruthy)))));
        Val0("any", v => JBool.Of(IterateNode.Iterate(v, new Ctx(JqOptions.Default)).Any(x => x.IsTruthy)));
        Val0("all", v => JBool.Of(IterateNode.Iterate(v, new Ctx(JqOptions.Default)).All(x => x.IsTruthy)));
        Cl1("sort_by", 1, (i, a, e, c) => SortBy(i, a[0], e, c, "sort"));
        Cl1("group_by", 1, (i, a, e, c) => GroupBy(i, a[0], e, c));
        Cl1("unique_by", 1, (i, a, e, c) => new JArr(((JArr)GroupBy(i, a[0], e, c)).Items.Select(g => ((JArr)g).Items[0]).ToList()));
        Cl1("min_by", 1, (i, a, e, c) => MinMaxBy(i, a[0], e, c, true));
        Cl1("max_by", 1, (i, a, e, c) => MinMaxBy(i, a[0], e, c, false));
        Cl("with_entries", 1, (input, a, env, ctx) =>
        {
            var entries = ToEntries(input);
            var list = new List<JV>();
            foreach (var x in entries.Items) foreach (var y in a[0].Eval(x, env, ctx)) list.Add(y);
            return new One(FromEntries(new JArr(list)));
        });
        Cl("map_values", 1, (input, a, env, ctx) => new One(MapValues(input, a[0], env, ctx)));
        Cl("walk", 1, (input, a, env, ctx) => Walk(input, a[0], env, ctx));
        Cl("sub", 2, (input, a, env, ctx) => Regexes.Sub(input, a[0], a[1], null, false, env, ctx));
        Cl("sub", 3, (input, a, env, ctx) => Regexes.Sub(input, a[0], a[1], a[2], false, env, ctx));
        Cl("gsub", 2, (input, a, env, ctx) => Regexes.Sub(input, a[0], a[1], null, true, env, ctx));
        Cl("gsub", 3, (input, a, env, ctx) => Regexes.Sub(input, a[0], a[1], a[2], true, env, ctx));
        Cl("IN", 1, (input, a, env, ctx) => new One(JBool.Of(a[0].Eval(input, env, ctx).Any(x => JCompare.Equal(x, input)))));
        Cl("IN", 2, (input, a, env, ctx) => new One(JBool.Of(a[0].Eval(input, env, ctx).Any(x => a[1].Eval(input, env, ctx).Any(y => JCompare.Equal(x, y))))));
        Cl("debug", 1, (input, _, _, _) => new One(input));
        Cl("combinations", 0, (input, _, _, ctx) => Combinations(input, ctx));
        Cl("input", 0, (_, _, _, _) => throw Err.E("No more inputs"));
        Cl("inputs", 0, (_, _, _, _) => Node.None);
        Cl("halt", 0, (_, _, _, _) => Node.None);

        // ---- values ----
        Val0("type", v => JStr.Of(v.TypeName));
        Val0("length", Length);
        Val0("utf8bytelength", v => v is JStr s ? JNum.Of(Strings.Utf8Length(s.S)) : throw Err.E(Err.Desc(v) + " only strings have UTF-8 byte length"));
        Val0("keys", v => Keys(v, true));
        Val0("keys_unsorted", v => Keys(v, false));
        Val("has", 1, (i, a, _) => Has(i, a[0]));
        Val("contains", 1, (i, a, _) => JBool.Of(Contains(i, a[0])));
        Val0("add", Add);
        Val0("tostring", v => v is JStr ? v : JStr.Of(JsonText.Dump(v)));
        Val0("tojson", v => JStr.Of(JsonText.Dump(v)));
        Val0("fromjson", v => v is JStr s ? ParseJson(s.S) : throw Err.E(Err.Desc(v) + " only strings can be parsed"));
        Val0("tonumber", ToNumber);
        Val0("infinite", _ => JNum.Of(double.PositiveInfinity));
        Val0("nan", _ => JNum.Of(double.NaN));
        Val0("isinfinite", v => JBool.Of(v is JNum n && double.IsInfinity(n.D)));
        Val0("isnan", v => v is JNum n ? JBool.Of(double.IsNaN(n.D)) : throw Err.E(Err.Desc(v) + " number required"));
        Val0("isnormal", v => JBool.Of(v is JNum n && IsNormal(n.D)));
        Val0("sort", v => v is JArr a ? StableSort(a.Items, a.Items) : throw Err.E(Err.Desc(v) + " cannot be sorted, as it is not an array"));
        Val0("unique", v => v is JArr a ? Unique(a) : throw Err.E(Err.Desc(v) + " cannot be sorted, as it is not an array"));
        Val0("min", v => MinMax(v, true));
        Val0("max", v => MinMax(v, false));
        Val0("reverse", Reverse);
        Val0("floor", v => v is JNum n ? (n.IsInt ? n : JNum.Of(Math.Floor(n.D))) : throw Err.E(Err.Desc(v) + " number required"));
        Val0("sqrt", v => v is JNum n ? JNum.Of(Math.Sqrt(n.D)) : throw Err.E(Err.Desc(v) + " number required"));
        Val("pow", 2, (_, a, _) => a[0] is JNum x && a[1] is JNum y ? Pow(x, y) : throw Err.E(Err.Desc(a[0] is JNum ? a[1] : a[0]) + " number required"));
        Val("log", 0, (v, _, _) => v is JNum n ? JNum.Of(Math.Log(n.D)) : throw Err.E(Err.Desc(v) + " number required"));
        Val0("abs", v => v is JNum n ? (n.IsInt ? (n.L < 0 ? JNum.Of(-n.L) : n) : JNum.Of(Math.Abs(n.D))) : throw Err.E(Err.Desc(v) + " has no absolute value"));
        Val0("toarray", v => v is JArr ? v : JArr.Of(v));
        Val("flatten", 0, (i, _, _) => Flatten(i, int.MaxValue));
        Val("flatten", 1, (i, a, _) => a[0] is JNum d ? (d.D < 0 ? throw Err.E("flatten depth must not be negative") : Flatten(i, d.D >= int.MaxValue ? int.MaxValue : (int)d.D)) : throw Err.E("flatten depth must not be negative"));
        Val("indices", 1, (i, a, _) => IndicesOf(i, a[0]));
        Val("index", 1, (i, a, _) => IndicesOf(i, a[0]) is JArr r && r.Count > 0 ? r.Items[0] : JNull.Instance);
        Val("rindex", 1, (i, a, _) => IndicesOf(i, a[0]) is JArr r && r.Count > 0 ? r.Items[r.Count - 1] : JNull.Instance);
        Val("startswith", 1, (i, a, _) => i is JStr s && a[0] is JStr p ? JBool.Of(s.S.StartsWith(p.S, StringComparison.Ordinal)) : throw Err.E("startswith() requires string inputs"));
        Val("endswith", 1, (i, a, _) => i is JStr s && a[0] is JStr p ? JBool.Of(s.S.EndsWith(p.S, StringComparison.Ordinal)) : throw Err.E("endswith() requires string inputs"));
        Val("ltrimstr", 1, (i, a, _) => i is JStr s && a[0] is JStr p && s.S.StartsWith(p.S, StringComparison.Ordinal) ? JStr.Of(s.S.Substring(p.S.Length)) : i);
        Val("rtrimstr", 1, (i, a, _) => i is JStr s && a[0] is JStr p && s.S.EndsWith(p.S, StringComparison.Ordinal) && p.S.Length > 0 ? JStr.Of(s.S.Substring(0, s.S.Length - p.S.Length)) : i);
        Val0("trim", v => v is JStr s ? JStr.Of(s.S.Trim()) : throw Err.E(Err.Desc(v) + " cannot be trimmed"));
        Val0("ltrim", v => v is JStr s ? JStr.Of(s.S.TrimStart()) : throw Err.E(Err.Desc(v) + " cannot be trimmed"));
        Val0("rtrim", v => v is JStr s ? JStr.Of(s.S.TrimEnd()) : throw Err.E(Err.Desc(v) + " cannot be trimmed"));
        Val0("explode", v => v is JStr s ? new JArr(Strings.Explode(s.S).Select(c => (JV)JNum.Of(c)).ToList()) : throw Err.E("explode input must be a string"));
        Val0("implode", v => JStr.Of(Strings.Implode(v)));
        Val("split", 1, (i, a, _) => i is JStr s && a[0] is JStr sep ? Strings.Split(s.S, sep.S) : throw Err.E("split input and separator must be strings"));
        Val("join", 1, (i, a, _) => Join(i, a[0]));
        Val0("ascii_downcase", v => v is JStr s ? JStr.Of(AsciiCase(s.S, false)) : throw Err.E("explode input must be a string"));
        Val0("ascii_upcase", v => v is JStr s ? JStr.Of(AsciiCase(s.S, true)) : throw Err.E("explode input must be a string"));
        Val0("ascii", v => v is JNum n ? JStr.Of(char.ConvertFromUtf32((int)n.D)) : throw Err.E("ascii input must be a number"));
        Val0("to_entries", v => ToEntries(v));
        Val0("from_entries", FromEntries);
        Val0("transpose", Transpose);
        Val0("env", _ => JObj.Empty);
        Val0("builtins", _ => new JArr(Table.Keys.Concat(Prelude.Names).Distinct().Select(n => (JV)JStr.Of(n)).ToList()));
        Val0("input_line_number", _ => JNum.Zero);
        Val0("input_filename", _ => JNull.Instance);
        Val0("debug", v => v);
        Val0("stderr", v => v);
        Val0("now", _ => JNum.Of((DateTime.UtcNow - DateTime.SpecifyKind(new DateTime(1970, 1, 1), DateTimeKind.Utc)).TotalSeconds));
        Val("format", 1, (i, a, _) => a[0] is JStr f ? JStr.Of(Formats.ApplyChecked(f.S, i)) : throw Err.E(Err.Desc(a[0]) + " is not a valid format"));
        Val("splits", 1, (i, a, c) => throw new InvalidOperationException());
        Table.Remove("splits/1");
        Val("test", 1, (i, a, c) => Regexes.Test(i, a[0], JNull.Instance, c));
        Val("test", 2, (i, a, c) => Regexes.Test(i, a[0], a[1], c));
        Gen("match", 1, (i, a, c) => Regexes.Match(i, a[0], JNull.Instance, c));
        Gen("match", 2, (i, a, c) => Regexes.Match(i, a[0], a[1], c));
        Gen("capture", 1, (i, a, c) => Regexes.Capture(i, a[0], JNull.Instance, c));
        Gen("capture", 2, (i, a, c) => Regexes.Capture(i, a[0], a[1], c));
        Gen("scan", 1, (i, a, c) => Regexes.Scan(i, a[0], JNull.Instance, c));
        Gen("scan", 2, (i, a, c) => Regexes.Scan(i, a[0], a[1], c));
        Val("split", 2, (i, a, c) => Regexes.Split(i, a[0], a[1], c));
        Val0("gmtime", Dates.GmTime);
        Val0("localtime", Dates.GmTime);
        Val0("mktime", Dates.MkTime);
        Val("strftime", 1, (i, a, _) => Dates.StrFTime(i, a[0]));
        Val("strflocaltime", 1, (i, a, _) => Dates.StrFTime(i, a[0]));
        Val("strptime", 1, (i, a, _) => Dates.StrPTime(i, a[0]));

        // ---- math ----
        Math1("ceil", Math.Ceiling);
        Math1("round", d => Math.Round(d, MidpointRounding.AwayFromZero));
        Math1("fabs", Math.Abs);
        Math1("trunc", d => Math.Truncate(d));
        Math1("rint", d => Math.Round(d, MidpointRounding.ToEven));
        Math1("nearbyint", d => Math.Round(d, MidpointRounding.ToEven));
        Math1("exp", Math.Exp);
        Math1("exp2", d => Math.Pow(2, d));
        Math1("exp10", d => Math.Pow(10, d));
        Math1("pow10", d => Math.Pow(10, d));
        Math1("log2", d => Math.Log(d, 2));
        Math1("log10", Math.Log10);
        Math1("log1p", d => Math.Abs(d) < 1e-5 ? d - d * d / 2 + d * d * d / 3 : Math.Log(1 + d));
        Math1("expm1", d => Math.Abs(d) < 1e-5 ? d + d * d / 2 + d * d * d / 6 : Math.Exp(d) - 1);
        Math1("cbrt", d => d < 0 ? -Math.Pow(-d, 1.0 / 3) : Math.Pow(d, 1.0 / 3));
        Math1("sin", Math.Sin); Math1("cos", Math.Cos); Math1("tan", Math.Tan);
        Math1("asin", Math.Asin); Math1("acos", Math.Acos); Math1("atan", Math.Atan);
        Math1("sinh", Math.Sinh); Math1("cosh", Math.Cosh); Math1("tanh", Math.Tanh);
        Math1("asinh", d => Math.Log(d + Math.Sqrt(d * d + 1)));
        Math1("acosh", d => Math.Log(d + Math.Sqrt(d * d - 1)));
        Math1("atanh", d => 0.5 * Math.Log((1 + d) / (1 - d)));
        Math1("significand", MathX.Significand);
        Math1("logb", MathX.Logb);
        Math1("gamma", MathX.LGamma);
        Math1("lgamma", MathX.LGamma);
        Math1("tgamma", MathX.TGamma);
        Math1("lgamma_r", MathX.LGamma);
        Math1("j0", d => throw Err.E("j0 is not supported"));
        Table.Remove("j0/0");
        Val0("frexp", v => v is JNum n ? MathX.Frexp(n.D) : throw Err.E(Err.Desc(v) + " number required"));
        Val0("modf", v => v is JNum n ? JArr.Of(JNum.Of(n.D - Math.Truncate(n.D)), JNum.Of(Math.Truncate(n.D))) : throw Err.E(Err.Desc(v) + " number required"));
        Math2("atan2", Math.Atan2);
        Math2("fmin", Math.Min);
        Math2("fmax", Math.Max);
        Math2("fmod", (x, y) => Math.IEEERemainder(x, y) is var _ ? x % y : 0);
        Math2("fdim", (x, y) => x > y ? x - y : 0);
        Math2("hypot", (x, y) => Math.Sqrt(x * x + y * y));
        Math2("copysign", (x, y) => (y < 0 || (y == 0 && BitConverter.DoubleToInt64Bits(y) < 0)) ? -Math.Abs(x) : Math.Abs(x));
        Math2("drem", Math.IEEERemainder);
        Math2("ldexp", (x, y) => x * Math.Pow(2, Math.Truncate(y)));
        Math2("scalb", (x, y) => x * Math.Pow(2, y));
        Math2("scalbln", (x, y) => x * Math.Pow(2, Math.Truncate(y)));
        Math2("nextafter", MathX.NextAfter);
        Math2("nexttoward", MathX.NextAfter);
        Val("fma", 3, (_, a, _) => a.All(x => x is JNum) ? JNum.Of(((JNum)a[0]).D * ((JNum)a[1]).D + ((JNum)a[2]).D) : throw Err.E("fma requires numbers"));
    }

    // ---- implementations ----

    private static IEnumerable<JV> Select(JV input, Node[] a, Env env, Ctx ctx)
    {
        var f = a[0];
        if (f.IsSimple) return f.Eval1(input, env, ctx).IsTruthy ? new One(input) : Node.None;
        return SelectMany(input, f, env, ctx);
    }

    private static IEnumerable<JV> SelectMany(JV input, Node f, Env env, Ctx ctx)
    {
        foreach (var c in f.Eval(input, env, ctx)) if (c.IsTruthy) yield return input;
    }

    private static IEnumerable<PV> SelectPaths(PV input, Node[] a, Env env, Ctx ctx)
    {
        foreach (var c in a[0].Eval(input.V, env, ctx)) if (c.IsTruthy) yield return input;
    }

    /// <summary>Depth-first `def r: ., (f | select(cond) | r); r` without recursion on the call stack.</summary>
    internal static IEnumerable<JV> Recurse(JV input, Node f, Node? cond, Env env, Ctx ctx, Node? whileCond = null)
    {
        bool Holds(Node? test, JV v) => test == null || test.Eval(v, env, ctx).Any(x => x.IsTruthy);
        if (!Holds(whileCond, input)) yield break;
        foreach (var v in DepthFirst(input, v => f.Eval(v, env, ctx), v => Holds(cond, v) && Holds(whileCond, v), ctx)) yield return v;
    }

    private static IEnumerable<PV> RecursePaths(PV input, Node f, Env env, Ctx ctx, Node? cond = null) =>
        DepthFirst(input, v => f.Paths(v, env, ctx), v => cond == null || cond.Eval(v.V, env, ctx).Any(x => x.IsTruthy), ctx);

    /// <summary><paramref name="root"/>, then depth first what <paramref name="children"/> gives for each value that
    /// <paramref name="keep"/> accepts (a value not kept is neither yielded nor descended into), with an explicit stack.</summary>
    private static IEnumerable<T> DepthFirst<T>(T root, Func<T, IEnumerable<T>> children, Func<T, bool> keep, Ctx ctx)
    {
        yield return root;
        var stack = new Stack<IEnumerator<T>>();
        stack.Push(children(root).GetEnumerator());
        try
        {
            while (stack.Count > 0)
            {
                var top = stack.Peek();
                if (!top.MoveNext()) { top.Dispose(); stack.Pop(); continue; }
                var v = top.Current;
                ctx.Step();
                if (!keep(v)) continue;
                yield return v;
                stack.Push(children(v).GetEnumerator());
            }
        }
        finally
        {
            while (stack.Count > 0) stack.Pop().Dispose();
        }
    }

    private static IEnumerable<JV> Until(JV input, Node[] a, Env env, Ctx ctx)
    {
        var v = input;
        while (true)
        {
            ctx.Step();
            JV? c = null;
            foreach (var x in a[0].Eval(v, env, ctx)) { c = x; break; }
            if (c == null) yield break;
            if (c.IsTruthy) { yield return v; yield break; }
            JV? next = null;
            foreach (var x in a[1].Eval(v, env, ctx)) { next = x; break; }
            if (next == null) yield break;
            v = next;
        }
    }

    private static IEnumerable<JV> PathOf(JV input, Node f, Env env, Ctx ctx)
    {
        foreach (var pv in f.Paths(new PV(null, input), env, ctx)) yield return PathList.ToArray(pv.P);
    }

    private static IEnumerable<JV> AllPaths(JV input, Node? filter, Env env, Ctx ctx)
    {
        bool first = true;
        foreach (var pv in new RecurseAllNode().Paths(new PV(null, input), env, ctx))
        {
            if (first) { first = false; continue; }
            if (filter == null) { yield return PathList.ToArray(pv.P); continue; }
            foreach (var x in filter.Eval(pv.V, env, ctx)) if (x.IsTruthy) yield return PathList.ToArray(pv.P);
        }
    }

    private static JV GetPathChecked(JV input, JV p)
    {
        if (p is not JArr arr) throw Err.E("Path must be specified as an array");
        try { return Ops.GetPath(input, arr); }
        catch (JqException) { return Ops.GetPath(input, arr); }
    }

    private static IEnumerable<PV> GetPathPaths(PV input, Node[] a, Env env, Ctx ctx)
    {
        foreach (var p in a[0].Eval(input.V, env, ctx))
        {
            if (p is not JArr arr) throw Err.E("Path must be specified as an array");
            var path = input.P;
            foreach (var k in arr.Items) path = new PathList(path, k);
            yield return new PV(path, Ops.GetPath(input.V, arr));
        }
    }

    private static IEnumerable<JV> Limit(JV input, Node[] a, Env env, Ctx ctx)
    {
        foreach (var nv in a[0].Eval(input, env, ctx))
        {
            long n = nv is JNum num ? (long)Math.Min(num.D, long.MaxValue) : throw Err.E("Invalid limit: not a number");
            if (n == 0) continue;
            if (n < 0) { foreach (var v in a[1].Eval(input, env, ctx)) yield return v; continue; }
            long i = 0;
            foreach (var v in a[1].Eval(input, env, ctx))
            {
                yield return v;
                if (++i >= n) break;
            }
        }
    }

    private static IEnumerable<PV> LimitPaths(PV input, Node[] a, Env env, Ctx ctx)
    {
        foreach (var nv in a[0].Eval(input.V, env, ctx))
        {
            long n = nv is JNum num ? (long)Math.Min(num.D, long.MaxValue) : 0;
            if (n == 0) continue;
            long i = 0;
            foreach (var v in a[1].Paths(input, env, ctx))
            {
                yield return v;
                if (n > 0 && ++i >= n) break;
            }
        }
    }

    private static IEnumerable<JV> LastOf(IEnumerable<JV> e)
    {
        // jq 1.6 and jackson-jq: reduce f as $x (null; $x), so null when f is empty.
        JV last = JNull.Instance;
        foreach (var v in e) last = v;
        yield return last;
    }

    private static IEnumerable<PV> LastOfP(IEnumerable<PV> e)
    {
        bool any = false;
        PV last = default;
        foreach (var v in e) { last = v; any = true; }
        if (any) yield return last;
    }

    private static IEnumerable<JV> Range(JV from, JV upto, JV by, Ctx ctx)
    {
        if (from is not JNum f || upto is not JNum u || by is not JNum b) throw Err.E("Range bounds must be numeric");
        if (f.IsInt && u.IsInt && b.IsInt)
        {
            long step = b.L;
            if (step > 0) for (long i = f.L; i < u.L; i += step) { ctx.Step(); yield return JNum.Of(i); }
            else if (step < 0) for (long i = f.L; i > u.L; i += step) { ctx.Step(); yield return JNum.Of(i); }
            yield break;
        }
        double st = b.D;
        if (st > 0) for (double x = f.D; x < u.D; x += st) { ctx.Step(); yield return JNum.Of(x); }
        else if (st < 0) for (double x = f.D; x > u.D; x += st) { ctx.Step(); yield return JNum.Of(x); }
    }

    private static JArr ByInput(JV input, Node f, Env env, Ctx ctx, string what)
    {
        if (input is JArr a) return a;
        var items = IterateNode.Iterate(input, ctx).ToList();
        var keys = KeysOf(new JArr(items), f, env, ctx);
        throw Err.E($"{Err.Desc(input)} and {Err.Desc(new JArr(keys))} {what}");
    }

    private static List<JV> KeysOf(JArr a, Node f, Env env, Ctx ctx)
    {
        var keys = new List<JV>(a.Count);
        foreach (var x in a.Items)
        {
            ctx.Step();
            if (f.IsSimple) keys.Add(new JArr(new List<JV>(1) { f.Eval1(x, env, ctx) }));
            else keys.Add(new JArr(f.Eval(x, env, ctx).ToList()));
        }
        return keys;
    }

    private static int[] SortedOrder(List<JV> keys)
    {
        var idx = Enumerable.Range(0, keys.Count).ToArray();
        Array.Sort(idx, (x, y) =>
        {
            int c = JCompare.Compare(keys[x], keys[y]);
            return c != 0 ? c : x.CompareTo(y);
        });
        return idx;
    }

    private static JArr StableSort(List<JV> items, List<JV> keys)
    {
        var order = SortedOrder(keys);
        var list = new List<JV>(items.Count);
        foreach (var i in order) list.Add(items[i]);
        return new JArr(list);
    }

    private static JV SortBy(JV input, Node f, Env env, Ctx ctx, string what)
    {
        var a = ByInput(input, f, env, ctx, "cannot be sorted, as they are not both arrays");
        return StableSort(a.Items, KeysOf(a, f, env, ctx));
    }

    private static JV GroupBy(JV input, Node f, Env env, Ctx ctx)
    {
        var a = ByInput(input, f, env, ctx, "cannot be sorted, as they are not both arrays");
        var keys = KeysOf(a, f, env, ctx);
        var order = SortedOrder(keys);
        var groups = new List<JV>();
        List<JV>? cur = null;
        JV? curKey = null;
        foreach (var i in order)
        {
            if (cur == null || !JCompare.Equal(curKey!, keys[i]))
            {
                cur = new List<JV>();
                groups.Add(new JArr(cur));
                curKey = keys[i];
            }
            cur.Add(a.Items[i]);
        }
        return new JArr(groups);
    }

    private static JV MinMaxBy(JV input, Node f, Env env, Ctx ctx, bool min)
    {
        var a = ByInput(input, f, env, ctx, "cannot be iterated over");
        if (a.Count == 0) return JNull.Instance;
        var keys = KeysOf(a, f, env, ctx);
        int best = 0;
        for (int i = 1; i < a.Count; i++)
        {
            int c = JCompare.Compare(keys[i], keys[best]);
            if (min ? c < 0 : c >= 0) best = i;
        }
        return a.Items[best];
    }

    private static JV MinMax(JV v, bool min)
    {
        if (v is not JArr a) throw Err.E(Err.Desc(v) + " and " + Err.Desc(v) + " cannot be iterated over");
        if (a.Count == 0) return JNull.Instance;
        var best = a.Items[0];
        for (int i = 1; i < a.Count; i++)
        {
            int c = JCompare.Compare(a.Items[i], best);
            if (min ? c < 0 : c >= 0) best = a.Items[i];
        }
        return best;
    }

    private static JV Unique(JArr a)
    {
        var sorted = StableSort(a.Items, a.Items).Items;
        var list = new List<JV>();
        foreach (var v in sorted) if (list.Count == 0 || !JCompare.Equal(list[list.Count - 1], v)) list.Add(v);
        return new JArr(list);
    }

    private static JV Length(JV v) => v switch
    {
        JNull => JNum.Zero,
        JNum n => n.IsInt ? (n.L < 0 ? JNum.Of(-n.L) : n) : JNum.Of(Math.Abs(n.D)),
        JStr s => JNum.Of(s.CodePointLength),
        JArr a => JNum.Of(a.Count),
        JObj o => JNum.Of(o.Count),
        _ => throw Err.E(Err.Desc(v) + " has no length"),
    };

    private static JV Keys(JV v, bool sorted)
    {
        if (v is JObj o)
        {
            var keys = sorted ? o.SortedKeys() : o.Entries.Select(e => e.Key).ToList();
            return new JArr(keys.Select(k => (JV)JStr.Of(k)).ToList());
        }
        if (v is JArr a) return new JArr(Enumerable.Range(0, a.Count).Select(i => (JV)JNum.Of(i)).ToList());
        throw Err.E(Err.Desc(v) + " has no keys");
    }

    private static JV Has(JV v, JV k)
    {
        if (v is JObj o && k is JStr s) return JBool.Of(o.IndexOf(s.S) >= 0);
        if (v is JArr a && k is JNum n) return JBool.Of(n.D >= 0 && n.D < a.Count);
        throw Err.E($"Cannot check whether {v.TypeName} has a {k.TypeName} key");
    }

    internal static bool Contains(JV a, JV b)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (a is JObj oa && b is JObj ob)
        {
            foreach (var kv in ob.Entries)
            {
                if (!oa.TryGet(kv.Key, out var av) || !Contains(av, kv.Value)) return false;
            }
            return true;
        }
        if (a is JArr aa && b is JArr ab)
        {
            foreach (var y in ab.Items)
            {
                bool found = false;
                foreach (var x in aa.Items) if (x.Kind == y.Kind && Contains(x, y)) { found = true; break; }
                if (!found) return false;
            }
            return true;
        }
        if (a is JStr sa && b is JStr sb) return sa.S.IndexOf(sb.S, StringComparison.Ordinal) >= 0;
        if (a.Kind == b.Kind || (a.Kind is JKind.True or JKind.False && b.Kind is JKind.True or JKind.False)) return JCompare.Equal(a, b);
        throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot have their containment checked");
    }

    private static JV Add(JV v)
    {
        IEnumerable<JV> items = v is JArr a ? a.Items : v is JObj o ? o.Entries.Select(e => e.Value) : throw IterateNode.CannotIterate(v);
        JV acc = JNull.Instance;
        bool allStrings = true;
        int n = 0;
        foreach (var x in items) { n++; if (x is not JStr) allStrings = false; }
        if (allStrings && n > 2)
        {
            var sb = new StringBuilder();
            foreach (var x in items) sb.Append(((JStr)x).S);
            return JStr.Of(sb.ToString());
        }
        if (n > 2 && items.All(x => x is JObj || x is JNull))
        {
            var b = new JObjBuilder();
            bool anyObj = false;
            foreach (var x in items) if (x is JObj xo) { anyObj = true; foreach (var kv in xo.Entries) b.Set(kv.Key, kv.Value); }
            return anyObj ? b.Build() : JNull.Instance;
        }
        bool allArrays = n > 2 && items.All(x => x is JArr);
        if (allArrays)
        {
            var list = new List<JV>();
            foreach (var x in items) list.AddRange(((JArr)x).Items);
            return new JArr(list);
        }
        foreach (var x in items) acc = Ops.Add(acc, x);
        return acc;
    }

    private static JV ParseJson(string s)
    {
        try { return JConvert.ParseText(s); }
        catch (JsonException e) { throw Err.E($"{e.Message.Split('.')[0]} (while parsing '{s}')"); }
    }

    private static JV ToNumber(JV v)
    {
        if (v is JNum) return v;
        if (v is JStr s)
        {
            var t = s.S.Trim();
            if (t.Length > 0 && (char.IsDigit(t[0]) || t[0] == '-' || t[0] == '.'))
            {
                try { return JsonText.ParseNumberText(t.StartsWith(".", StringComparison.Ordinal) ? "0" + t : t); }
                catch (FormatException) { }
            }
            if (t == "nan" || t == "NaN") return JNum.Of(double.NaN);
            throw Err.E($"Cannot parse '{s.S}' as a number");
        }
        throw Err.E(Err.Desc(v) + " cannot be parsed as a number");
    }

    private static bool IsNormal(double d) => !double.IsNaN(d) && !double.IsInfinity(d) && d != 0 && Math.Abs(d) >= 2.2250738585072014E-308;

    private static JV Pow(JNum x, JNum y)
    {
        if (x.IsInt && y.IsInt && y.L >= 0 && y.L < 64)
        {
            long r = 1;
            try { for (long i = 0; i < y.L; i++) r = checked(r * x.L); return JNum.Of(r); }
            catch (OverflowException) { }
        }
        return JNum.Of(Math.Pow(x.D, y.D));
    }

    // jq 1.6: def reverse: [.[length - 1 - range(0;length)]];
    private static JV Reverse(JV v)
    {
        if (v is JArr a) { var l = new List<JV>(a.Items); l.Reverse(); return new JArr(l); }
        var len = (JNum)Length(v);
        if (len.D == 0) return JArr.Empty;
        throw Err.E($"Cannot index {v.TypeName} with number");
    }

    private static JV Flatten(JV v, int depth)
    {
        IEnumerable<JV> items = v is JArr a ? a.Items : v is JObj o ? o.Entries.Select(e => e.Value) : throw Err.E("Cannot iterate over " + Err.Desc(v));
        var list = new List<JV>();
        void Go(IEnumerable<JV> xs, int d)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            foreach (var x in xs)
            {
                if (x is JArr xa && d > 0) Go(xa.Items, d - 1);
                else list.Add(x);
            }
        }
        Go(items, depth);
        return new JArr(list);
    }

    internal static JV Indices(JArr a, JArr sub)
    {
        var res = new List<JV>();
        if (sub.Count == 0) return JNull.Instance;
        for (int i = 0; i + sub.Count <= a.Count; i++)
        {
            bool ok = true;
            for (int j = 0; j < sub.Count; j++) if (!JCompare.Equal(a.Items[i + j], sub.Items[j])) { ok = false; break; }
            if (ok) res.Add(JNum.Of(i));
        }
        return new JArr(res);
    }

    private static JV IndicesOf(JV input, JV x)
    {
        if (input.Kind == JKind.Null) return JNull.Instance;
        if (input is JArr a && x is JArr xa) return Indices(a, xa);
        if (input is JArr a2) return Indices(a2, JArr.Of(x));
        if (input is JStr s && x is JStr xs)
        {
            var res = new List<JV>();
            if (xs.S.Length == 0) return JNull.Instance;
            bool surr = Strings.HasSurrogates(s.S);
            int i = 0;
            while ((i = s.S.IndexOf(xs.S, i, StringComparison.Ordinal)) >= 0)
            {
                res.Add(JNum.Of(surr ? Strings.CodePointIndexOfChar(s.S, i) : i));
                i++;
            }
            return new JArr(res);
        }
        return Ops.Index(input, x);
    }

    private static JV Join(JV input, JV sep)
    {
        IEnumerable<JV> items = input is JArr a ? a.Items : input is JObj o ? o.Entries.Select(e => e.Value) : throw IterateNode.CannotIterate(input);
        var sb = new StringBuilder();
        bool first = true;
        foreach (var x in items)
        {
            if (!first)
            {
                if (sep is JStr ss) sb.Append(ss.S);
                else if (sep.Kind != JKind.Null) throw Err.E($"{Err.Desc(JStr.Of(sb.ToString()))} and {Err.Desc(sep)} cannot be added");
            }
            first = false;
            switch (x)
            {
                case JNull: break;
                case JStr s: sb.Append(s.S); break;
                case JNum or JBool: sb.Append(JsonText.Dump(x)); break;
                default: throw Err.E($"{Err.Desc(JStr.Of(sb.ToString()))} and {Err.Desc(x)} cannot be added");
            }
        }
        return JStr.Of(sb.ToString());
    }

    private static string AsciiCase(string s, bool upper)
    {
        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (upper && c >= 'a' && c <= 'z') chars[i] = (char)(c - 32);
            else if (!upper && c >= 'A' && c <= 'Z') chars[i] = (char)(c + 32);
        }
        return new string(chars);
    }

    private static readonly JStr KeyStr = JStr.Of("key"), ValueStr = JStr.Of("value");

    internal static JArr ToEntries(JV v)
    {
        if (v is JObj o)
        {
            var list = new List<JV>(o.Count);
            foreach (var kv in o.Entries)
            {
                var e = new List<KeyValuePair<string, JV>>(2) { new("key", JStr.Of(kv.Key)), new("value", kv.Value) };
                list.Add(new JObj(e));
            }
            return new JArr(list);
        }
        if (v is JArr a)
        {
            var list = new List<JV>(a.Count);
            for (int i = 0; i < a.Count; i++)
                list.Add(new JObj(new List<KeyValuePair<string, JV>>(2) { new("key", JNum.Of(i)), new("value", a.Items[i]) }));
            return new JArr(list);
        }
        throw Err.E(Err.Desc(v) + " has no keys");
    }

    internal static JV FromEntries(JV v)
    {
        IEnumerable<JV> items = v is JArr a ? a.Items : v is JObj o ? o.Entries.Select(e => e.Value) : throw IterateNode.CannotIterate(v);
        var b = new JObjBuilder();
        foreach (var e in items)
        {
            JV key = JNull.Instance;
            foreach (var name in new[] { "key", "k", "name", "Name", "K", "Key" })
            {
                var kv = Ops.Field(e, name);
                if (kv.IsTruthy) { key = kv; break; }
            }
            var hasValue = e is JObj eo && eo.IndexOf("value") >= 0;
            var value = hasValue ? Ops.Field(e, "value") : e is JObj eo2 && eo2.IndexOf("v") >= 0 ? Ops.Field(e, "v") : Ops.Field(e, "Value");
            if (key is JStr ks) b.Set(ks.S, value);
            else if (key is JNum or JBool) b.Set(JsonText.Dump(key), value);
            else throw Err.E($"Cannot use {Err.Desc(key)} as object key");
        }
        return b.Build();
    }

    private static JV MapValues(JV input, Node f, Env env, Ctx ctx)
    {
        if (input is JObj o)
        {
            var b = new JObjBuilder(o.Count);
            foreach (var kv in o.Entries)
            {
                ctx.Step();
                foreach (var nv in f.Eval(kv.Value, env, ctx)) { b.Set(kv.Key, nv); break; }
            }
            return b.Build();
        }
        if (input is JArr a)
        {
            // jq 1.6: `.[] |= f` deletes in place, which skips the element after each deleted one.
            var list = new List<JV>(a.Items);
            for (int i = 0; i < list.Count; i++)
            {
                ctx.Step();
                bool got = false;
                foreach (var nv in f.Eval(list[i], env, ctx)) { list[i] = nv; got = true; break; }
                if (!got) list.RemoveAt(i);
            }
            return new JArr(list);
        }
        throw IterateNode.CannotIterate(input);
    }

    private static IEnumerable<JV> Walk(JV input, Node f, Env env, Ctx ctx)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        ctx.Step();
        JV v = input;
        if (input is JObj o)
        {
            var b = new JObjBuilder(o.Count);
            foreach (var kv in o.Entries)
            {
                JV? last = null;
                foreach (var w in Walk(kv.Value, f, env, ctx)) last = w;
                if (last != null) b.Set(kv.Key, last);
                else b.Remove(kv.Key);
            }
            v = b.Build();
        }
        else if (input is JArr a)
        {
            var list = new List<JV>(a.Count);
            foreach (var x in a.Items) list.AddRange(Walk(x, f, env, ctx));
            v = new JArr(list);
        }
        return f.Eval(v, env, ctx);
    }

    private static JV Transpose(JV v)
    {
        if (v is not JArr a) throw Err.E("Cannot index " + v.TypeName + " with number");
        int max = 0;
        foreach (var r in a.Items) max = Math.Max(max, (int)((JNum)Length(r)).D);
        var rows = new List<JV>(max);
        for (int j = 0; j < max; j++)
        {
            var row = new List<JV>(a.Count);
            foreach (var r in a.Items) row.Add(Ops.Index(r, JNum.Of(j)));
            rows.Add(new JArr(row));
        }
        return new JArr(rows);
    }

    private static IEnumerable<JV> Combinations(JV input, Ctx ctx)
    {
        if (input is not JArr a) throw Err.E("Cannot index " + input.TypeName + " with number");
        if (a.Count == 0) { yield return JArr.Empty; yield break; }
        var lists = a.Items.Select(x => IterateNode.Iterate(x, ctx).ToList()).ToList();
        if (lists.Any(l => l.Count == 0)) yield break;
        var idx = new int[lists.Count];
        while (true)
        {
            ctx.Step();
            var combo = new List<JV>(lists.Count);
            for (int i = 0; i < lists.Count; i++) combo.Add(lists[i][idx[i]]);
            yield return new JArr(combo);
            int k = lists.Count - 1;
            while (k >= 0)
            {
                idx[k]++;
                if (idx[k] < lists[k].Count) break;
                idx[k] = 0;
                k--;
            }
            if (k < 0) yield break;
        }
    }
}

internal static class MathX
{
    public static double Significand(double d)
    {
        if (d == 0 || double.IsNaN(d) || double.IsInfinity(d)) return d;
        int e = (int)Math.Floor(Math.Log(Math.Abs(d), 2));
        double m = d / Math.Pow(2, e);
        if (Math.Abs(m) >= 2) m /= 2;
        if (Math.Abs(m) < 1) m *= 2;
        return m;
    }

    public static double Logb(double d)
    {
        if (d == 0) return double.NegativeInfinity;
        if (double.IsInfinity(d)) return double.PositiveInfinity;
        if (double.IsNaN(d)) return d;
        long bits = BitConverter.DoubleToInt64Bits(d);
        int exp = (int)((bits >> 52) & 0x7FF);
        if (exp == 0) return Math.Floor(Math.Log(Math.Abs(d), 2));
        return exp - 1023;
    }

    public static JV Frexp(double d)
    {
        if (d == 0 || double.IsNaN(d) || double.IsInfinity(d)) return JArr.Of(JNum.Of(d), JNum.Zero);
        int e = (int)Math.Floor(Math.Log(Math.Abs(d), 2)) + 1;
        double m = d / Math.Pow(2, e);
        if (Math.Abs(m) >= 1) { m /= 2; e++; }
        if (Math.Abs(m) < 0.5) { m *= 2; e--; }
        return JArr.Of(JNum.Of(m), JNum.Of(e));
    }

    public static double LGamma(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x <= 0 && x == Math.Floor(x)) return double.PositiveInfinity;
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LGamma(1 - x);
        if (x == Math.Floor(x) && x < 171) { double f = 1; for (int i = 2; i < x; i++) f *= i; return Math.Log(f); }
        double prod = 1;
        while (x < 30) { prod *= x; x += 1; }
        double shift = Math.Log(prod);
        double x2 = 1 / (x * x);
        double series = (1.0 / 12 - x2 * (1.0 / 360 - x2 * (1.0 / 1260 - x2 * (1.0 / 1680 - x2 / 1188)))) / x;
        return (x - 0.5) * Math.Log(x) - x + 0.5 * Math.Log(2 * Math.PI) + series - shift;
    }

    public static double TGamma(double x)
    {
        if (x == Math.Floor(x) && x <= 0) return double.NaN;
        if (x < 0.5) return Math.PI / (Math.Sin(Math.PI * x) * TGamma(1 - x));
        if (x == Math.Floor(x) && x < 30) { double r = 1; for (int i = 2; i < x; i++) r *= i; return r; }
        return Math.Exp(LGamma(x));
    }

    public static double NextAfter(double x, double y)
    {
        if (double.IsNaN(x) || double.IsNaN(y)) return double.NaN;
        if (x == y) return y;
        if (x == 0) return y > 0 ? double.Epsilon : -double.Epsilon;
        long bits = BitConverter.DoubleToInt64Bits(x);
        bits += (x < y) == (x > 0) ? 1 : -1;
        return BitConverter.Int64BitsToDouble(bits);
    }
}
