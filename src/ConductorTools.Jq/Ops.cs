using System.Globalization;
using System.Text;

namespace ConductorTools.Jq;

/// <summary>jq's value operations: indexing, slicing, arithmetic, paths.</summary>
internal static class Ops
{
    public static JqException IndexError(JV t, JV k)
    {
        if (k is JStr ks) return Err.E($"Cannot index {t.TypeName} with string \"{ks.S}\"");
        return Err.E($"Cannot index {t.TypeName} with {k.TypeName}");
    }

    public static JV Field(JV t, string name)
    {
        if (t is JObj o) return o.Get(name);
        if (t.Kind == JKind.Null) return JNull.Instance;
        throw Err.E($"Cannot index {t.TypeName} with string \"{name}\"");
    }

    public static int ToIndex(double d) => d >= int.MaxValue ? int.MaxValue : d <= int.MinValue ? int.MinValue : (int)Math.Floor(d);

    public static JV Index(JV t, JV k)
    {
        switch (t)
        {
            case JObj o when k is JStr s: return o.Get(s.S);
            case JArr a when k is JNum n:
            {
                if (n.IsNaN || (!n.IsInt && n.D != Math.Floor(n.D))) return JNull.Instance;
                long i = n.IsInt ? n.L : (long)Math.Floor(n.D);
                if (i < 0) i += a.Count;
                return i >= 0 && i < a.Count ? a.Items[(int)i] : JNull.Instance;
            }
            case JArr a when k is JObj so: return SliceByObject(t, so);
            case JArr a when k is JArr ka: return Builtins.Indices(a, ka);
            case JNull when k is JStr or JNum or JObj or JNull: return JNull.Instance;
            case JStr when k is JObj so: return SliceByObject(t, so);
        }
        if (k is JObj && t.Kind != JKind.Object) throw Err.E("Cannot index " + t.TypeName + " with object");
        throw IndexError(t, k);
    }

    private static JV SliceByObject(JV t, JObj so)
    {
        if (!so.TryGet("start", out var s) || !so.TryGet("end", out var e)) throw Err.E("Start and end indices of an array slice must be numbers");
        return Slice(t, s, e);
    }

    public static void SliceBounds(int len, JV from, JV to, out int start, out int end)
    {
        if ((from.Kind != JKind.Null && from.Kind != JKind.Number) || (to.Kind != JKind.Null && to.Kind != JKind.Number))
            throw Err.E("Start and end indices of an array slice must be numbers");
        double s = from is JNum fs ? fs.D : 0;
        double e = to is JNum te ? te.D : len;
        if (s < 0) s += len;
        if (e < 0) e += len;
        if (s < 0) s = 0;
        if (s > len) s = len;
        if (e > len) e = len;
        if (e < s) e = s;
        start = (int)Math.Floor(s);
        double ce = Math.Ceiling(e);
        end = ce > len ? len : (int)ce;
        if (end < start) end = start;
    }

    public static JV Slice(JV t, JV from, JV to)
    {
        switch (t)
        {
            case JNull: return JNull.Instance;
            case JArr a:
            {
                SliceBounds(a.Count, from, to, out var s, out var e);
                if (s == 0 && e == a.Count) return a;
                return new JArr(a.Items.GetRange(s, e - s));
            }
            case JStr str:
            {
                int len = str.CodePointLength;
                SliceBounds(len, from, to, out var s, out var e);
                return JStr.Of(Strings.SubstringByCodePoints(str.S, s, e - s, len));
            }
        }
        if (from.Kind != JKind.Null && from.Kind != JKind.Number || to.Kind != JKind.Null && to.Kind != JKind.Number)
            throw Err.E("Start and end indices of an array slice must be numbers");
        throw Err.E("Cannot index " + t.TypeName + " with object");
    }

    public static JObj SliceKey(JV from, JV to)
    {
        var b = new JObjBuilder(2);
        b.Set("start", from);
        b.Set("end", to);
        return b.Build();
    }

    // ---- arithmetic ----

    public static JV Add(JV a, JV b)
    {
        if (a is JNum x && b is JNum y)
        {
            if (x.IsInt && y.IsInt)
            {
                long r = x.L + y.L;
                if (((x.L ^ r) & (y.L ^ r)) < 0) return JNum.Of((double)x.L + y.L);
                return JNum.Of(r);
            }
            return JNum.Of(x.D + y.D);
        }
        if (a.Kind == JKind.Null) return b;
        if (b.Kind == JKind.Null) return a;
        if (a is JStr s1 && b is JStr s2) return JStr.Of(s1.S + s2.S);
        if (a is JArr a1 && b is JArr a2)
        {
            if (a1.Count == 0) return a2;
            if (a2.Count == 0) return a1;
            var l = new List<JV>(a1.Count + a2.Count);
            l.AddRange(a1.Items); l.AddRange(a2.Items);
            return new JArr(l);
        }
        if (a is JObj o1 && b is JObj o2)
        {
            if (o1.Count == 0) return o2;
            if (o2.Count == 0) return o1;
            var bld = new JObjBuilder(o1);
            foreach (var kv in o2.Entries) bld.Set(kv.Key, kv.Value);
            return bld.Build();
        }
        throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be added");
    }

    public static JV Subtract(JV a, JV b)
    {
        if (a is JNum x && b is JNum y)
        {
            if (x.IsInt && y.IsInt)
            {
                long r = x.L - y.L;
                if (((x.L ^ y.L) & (x.L ^ r)) < 0) return JNum.Of((double)x.L - y.L);
                return JNum.Of(r);
            }
            return JNum.Of(x.D - y.D);
        }
        if (a is JArr a1 && b is JArr a2)
        {
            var l = new List<JV>(a1.Count);
            foreach (var v in a1.Items)
            {
                bool found = false;
                foreach (var w in a2.Items) if (JCompare.Equal(v, w)) { found = true; break; }
                if (!found) l.Add(v);
            }
            return new JArr(l);
        }
        throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be subtracted");
    }

    public static JV Multiply(JV a, JV b, Ctx ctx)
    {
        if (a is JNum x && b is JNum y)
        {
            if (x.IsInt && y.IsInt)
            {
                long r;
                try { r = checked(x.L * y.L); }
                catch (OverflowException) { return JNum.Of((double)x.L * y.L); }
                return JNum.Of(r);
            }
            return JNum.Of(x.D * y.D);
        }
        if ((a is JStr && b is JNum) || (a is JNum && b is JStr))
        {
            var s = a as JStr ?? (JStr)b;
            var n = a as JNum ?? (JNum)b;
            double d = n.D;
            if (!(d >= 1)) return JNull.Instance;
            int times = (int)Math.Min(int.MaxValue, d);
            long total = (long)times * s.S.Length;
            ctx.CheckLength(total);
            ctx.Step(times);
            var sb = new StringBuilder((int)total);
            for (int i = 0; i < times; i++) sb.Append(s.S);
            return JStr.Of(sb.ToString());
        }
        if (a is JObj o1 && b is JObj o2) return DeepMerge(o1, o2);
        throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be multiplied");
    }

    private static JObj DeepMerge(JObj a, JObj b)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        var bld = new JObjBuilder(a);
        foreach (var kv in b.Entries)
        {
            if (kv.Value is JObj bo && bld.TryGet(kv.Key, out var av) && av is JObj ao) bld.Set(kv.Key, DeepMerge(ao, bo));
            else bld.Set(kv.Key, kv.Value);
        }
        return bld.Build();
    }

    public static JV Divide(JV a, JV b)
    {
        if (a is JNum x && b is JNum y)
        {
            if (y.D == 0) throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be divided because the divisor is zero");
            if (x.IsInt && y.IsInt && y.L != -1 && x.L % y.L == 0) return JNum.Of(x.L / y.L);
            return JNum.Of(x.D / y.D);
        }
        if (a is JStr s && b is JStr sep) return Strings.Split(s.S, sep.S);
        throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be divided");
    }

    public static JV Modulo(JV a, JV b)
    {
        if (a is JNum x && b is JNum y)
        {
            long l = x.IsInt ? x.L : DoubleToLong(x.D);
            long r = y.IsInt ? y.L : DoubleToLong(y.D);
            if (r == 0) throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be divided (remainder) because the divisor is zero");
            if (r == -1) return JNum.Zero;
            long m = l % Math.Abs(r);
            return JNum.Of(m);
        }
        throw Err.E($"{Err.Desc(a)} and {Err.Desc(b)} cannot be divided (remainder)");
    }

    private static long DoubleToLong(double d)
    {
        if (double.IsNaN(d)) return 0;
        if (d >= 9.2e18) return long.MaxValue;
        if (d <= -9.2e18) return long.MinValue;
        return (long)d;
    }

    public static JV Negate(JV v)
    {
        if (v is JNum n) return n.IsInt && n.L != long.MinValue && n.L != 0 ? JNum.Of(-n.L) : JNum.Of(-n.D);
        throw Err.E($"{Err.Desc(v)} cannot be negated");
    }

    public static JV Binary(string op, JV a, JV b, Ctx ctx) => op switch
    {
        "+" => Add(a, b),
        "-" => Subtract(a, b),
        "*" => Multiply(a, b, ctx),
        "/" => Divide(a, b),
        "%" => Modulo(a, b),
        "==" => JBool.Of(JCompare.Equal(a, b)),
        "!=" => JBool.Of(!JCompare.Equal(a, b)),
        "<" => JBool.Of(JCompare.Compare(a, b) < 0),
        "<=" => JBool.Of(JCompare.Compare(a, b) <= 0),
        ">" => JBool.Of(JCompare.Compare(a, b) > 0),
        ">=" => JBool.Of(JCompare.Compare(a, b) >= 0),
        _ => throw new InvalidOperationException(op),
    };

    // ---- paths ----

    public static JV GetPath(JV v, JArr path)
    {
        foreach (var k in path.Items)
        {
            if (v.Kind == JKind.Null) return JNull.Instance;
            v = Index(v, k);
        }
        return v;
    }

    public static JV SetPath(JV root, JArr path, int i, JV value, Ctx ctx)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (i == path.Count) return value;
        var k = path.Items[i];
        switch (k)
        {
            case JStr s:
                if (root is JObj o) return o.With(s.S, SetPath(o.Get(s.S), path, i + 1, value, ctx));
                if (root.Kind == JKind.Null) return JObj.Empty.With(s.S, SetPath(JNull.Instance, path, i + 1, value, ctx));
                throw IndexError(root, k);
            case JNum n:
            {
                if (root.Kind != JKind.Null && root is not JArr) throw IndexError(root, k);
                var items = root is JArr a ? a.Items : new List<JV>();
                long idx = n.IsInt ? n.L : (long)Math.Floor(n.D);
                if (idx < 0)
                {
                    idx += items.Count;
                    if (idx < 0) throw Err.E("Out of bounds negative array index");
                }
                ctx.CheckLength(idx + 1);
                var cur = idx < items.Count ? items[(int)idx] : JNull.Instance;
                var nv = SetPath(cur, path, i + 1, value, ctx);
                var list = new List<JV>(Math.Max(items.Count, (int)idx + 1));
                list.AddRange(items);
                if (idx >= list.Count) ctx.Step(idx - list.Count);
                while (list.Count <= idx) list.Add(JNull.Instance);
                list[(int)idx] = nv;
                return new JArr(list);
            }
            case JObj so:
            {
                if (root.Kind != JKind.Null && root is not JArr)
                {
                    if (root is JStr) throw Err.E("Cannot update field at object index of string");
                    throw IndexError(root, k);
                }
                var items = root is JArr a ? a.Items : new List<JV>();
                SliceBounds(items.Count, so.Get("start"), so.Get("end"), out var s, out var e);
                var cur = new JArr(items.GetRange(s, e - s));
                var nv = SetPath(cur, path, i + 1, value, ctx);
                if (nv is not JArr na) throw Err.E("A slice of an array can only be assigned another array");
                var list = new List<JV>(items.Count - (e - s) + na.Count);
                list.AddRange(items.GetRange(0, s));
                list.AddRange(na.Items);
                list.AddRange(items.GetRange(e, items.Count - e));
                return new JArr(list);
            }
            default:
                if (root is JObj) throw Err.E("Cannot index object with " + k.TypeName);
                throw IndexError(root, k);
        }
    }

    public static JV SetPath(JV root, JV path, JV value, Ctx ctx)
    {
        if (path is not JArr p) throw Err.E("Path must be specified as an array");
        return SetPath(root, p, 0, value, ctx);
    }

    public static JV DelPaths(JV root, JV paths)
    {
        if (paths is not JArr arr) throw Err.E("Paths must be specified as an array");
        var list = new List<JV>(arr.Items);
        list.Sort(JCompare.Comparer);
        for (int i = list.Count - 1; i >= 0; i--)
        {
            if (list[i] is not JArr p) throw Err.E("Path must be specified as an array");
            root = DelPath(root, p, 0);
        }
        return root;
    }

    private static JV DelPath(JV root, JArr path, int i)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (root.Kind == JKind.Null) return root;
        if (i == path.Count) return JNull.Instance;
        var k = path.Items[i];
        bool last = i == path.Count - 1;
        switch (root)
        {
            case JObj o when k is JStr s:
                if (last) return o.Without(s.S);
                if (!o.TryGet(s.S, out var child)) return o;
                return o.With(s.S, DelPath(child, path, i + 1));
            case JArr a when k is JNum n:
            {
                long idx = n.IsInt ? n.L : (long)Math.Floor(n.D);
                if (idx < 0) { idx += a.Count; if (idx < 0) throw Err.E("Out of bounds negative array index"); }
                if (idx >= a.Count) return a;
                var list = new List<JV>(a.Items);
                if (last) list.RemoveAt((int)idx);
                else list[(int)idx] = DelPath(list[(int)idx], path, i + 1);
                return new JArr(list);
            }
            case JArr a when k is JObj so:
            {
                SliceBounds(a.Count, so.Get("start"), so.Get("end"), out var s, out var e);
                var list = new List<JV>(a.Items);
                if (last) { list.RemoveRange(s, e - s); return new JArr(list); }
                var sub = DelPath(new JArr(a.Items.GetRange(s, e - s)), path, i + 1);
                list.RemoveRange(s, e - s);
                list.InsertRange(s, ((JArr)sub).Items);
                return new JArr(list);
            }
        }
        throw Index(root, k) is var _ ? IndexError(root, k) : IndexError(root, k);
    }

    // ---- in-place path updates for one assignment (each container is copied once, then mutated) ----

    internal sealed class RefEq : IEqualityComparer<JV>
    {
        public static readonly RefEq Instance = new();
        public bool Equals(JV? x, JV? y) => ReferenceEquals(x, y);
        public int GetHashCode(JV obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }

    public static JV SetPathOwned(JV root, JArr path, int i, JV value, HashSet<JV> owned, Ctx ctx)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (i == path.Count) return value;
        var k = path.Items[i];
        if (k is JStr s && (root is JObj || root.Kind == JKind.Null))
        {
            var o = root as JObj;
            if (o == null) { o = new JObj(new List<KeyValuePair<string, JV>>()); owned.Add(o); }
            else if (!owned.Contains(o)) { o = o.CloneOwned(); owned.Add(o); }
            o.SetOwned(s.S, SetPathOwned(o.Get(s.S), path, i + 1, value, owned, ctx));
            return o;
        }
        if (k is JNum n && (root is JArr || root.Kind == JKind.Null))
        {
            var a = root as JArr;
            if (a == null) { a = new JArr(new List<JV>()); owned.Add(a); }
            else if (!owned.Contains(a)) { a = new JArr(new List<JV>(a.Items)); owned.Add(a); }
            long idx = n.IsInt ? n.L : (long)Math.Floor(n.D);
            if (idx < 0)
            {
                idx += a.Count;
                if (idx < 0) throw Err.E("Out of bounds negative array index");
            }
            ctx.CheckLength(idx + 1);
            if (idx >= a.Count) ctx.Step(idx - a.Count);
            while (a.Items.Count <= idx) a.Items.Add(JNull.Instance);
            a.Items[(int)idx] = SetPathOwned(a.Items[(int)idx], path, i + 1, value, owned, ctx);
            return a;
        }
        // slices and errors: the copying implementation (same results, same messages)
        var rest = new JArr(path.Items.GetRange(i, path.Count - i));
        return SetPath(root, rest, 0, value, ctx);
    }

    public static string ToStringValue(JV v) => v is JStr s ? s.S : JsonText.Dump(v);

    public static string Num(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
