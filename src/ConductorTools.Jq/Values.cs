using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ConductorTools.Jq;

/// <summary>The kinds of jq values, in jq's sort order.</summary>
internal enum JKind : byte { Null = 0, False = 1, True = 2, Number = 3, String = 4, Array = 5, Object = 6 }

/// <summary>An immutable jq value. Values are shared freely; nothing mutates one after it is built.</summary>
internal abstract class JV
{
    public abstract JKind Kind { get; }

    public bool IsTruthy => Kind > JKind.False;

    public string TypeName => Kind switch
    {
        JKind.Null => "null",
        JKind.False or JKind.True => "boolean",
        JKind.Number => "number",
        JKind.String => "string",
        JKind.Array => "array",
        _ => "object",
    };

    public override string ToString() => JsonText.Dump(this);
}

internal sealed class JNull : JV
{
    public static readonly JNull Instance = new();
    private JNull() { }
    public override JKind Kind => JKind.Null;
}

internal sealed class JBool : JV
{
    public static readonly JBool True = new(true);
    public static readonly JBool False = new(false);
    public readonly bool Value;
    private JBool(bool v) => Value = v;
    public override JKind Kind => Value ? JKind.True : JKind.False;
    public static JBool Of(bool b) => b ? True : False;
}

/// <summary>A number: an exact 64-bit integer when integral (as jackson-jq keeps longs), a double otherwise.</summary>
internal sealed class JNum : JV
{
    private static readonly JNum[] Small = CreateSmall();
    public readonly bool IsInt;
    public readonly long L;
    public readonly double D;

    private JNum(long l) { IsInt = true; L = l; D = l; }
    private JNum(double d) { IsInt = false; D = d; L = 0; }

    public override JKind Kind => JKind.Number;

    private static JNum[] CreateSmall()
    {
        var a = new JNum[1280];
        for (int i = 0; i < a.Length; i++) a[i] = new JNum(i - 256);
        return a;
    }

    public static readonly JNum Zero = Of(0L);
    public static readonly JNum One = Of(1L);

    public static JNum Of(long l) => l >= -256 && l < 1024 ? Small[l + 256] : new JNum(l);

    public static JNum Of(int i) => Of((long)i);

    /// <summary>Integral doubles below 1e15 become exact integers (they print the same in jq); others stay doubles.</summary>
    public static JNum Of(double d)
    {
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15 && !(d == 0 && (BitConverter.DoubleToInt64Bits(d) < 0))) return Of((long)d);
        return new JNum(d);
    }

    public bool IsNaN => !IsInt && double.IsNaN(D);
}

internal sealed class JStr : JV
{
    public static readonly JStr Empty = new("");
    public readonly string S;
    private int _cpLen = -1;
    public JStr(string s) => S = s;
    public override JKind Kind => JKind.String;
    public static JStr Of(string s) => s.Length == 0 ? Empty : new JStr(s);

    /// <summary>Length in Unicode code points, as jq counts.</summary>
    public int CodePointLength
    {
        get
        {
            if (_cpLen >= 0) return _cpLen;
            int n = 0;
            var s = S;
            for (int i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
                n++;
            }
            _cpLen = n;
            return n;
        }
    }
}

internal sealed class JArr : JV
{
    public static readonly JArr Empty = new(new List<JV>(0));
    public readonly List<JV> Items;
    public JArr(List<JV> items) => Items = items;
    public override JKind Kind => JKind.Array;
    public int Count => Items.Count;
    public JV this[int i] => Items[i];
    public static JArr Of(params JV[] items) => new(new List<JV>(items));
}

/// <summary>An object: keys in insertion order, with a hash index once it grows.</summary>
internal sealed class JObj : JV
{
    public static readonly JObj Empty = new(new List<KeyValuePair<string, JV>>(0));
    public readonly List<KeyValuePair<string, JV>> Entries;
    private Dictionary<string, int>? _index;

    public JObj(List<KeyValuePair<string, JV>> entries) => Entries = entries;
    public override JKind Kind => JKind.Object;
    public int Count => Entries.Count;

    public int IndexOf(string key)
    {
        var e = Entries;
        if (e.Count <= 8)
        {
            for (int i = 0; i < e.Count; i++)
                if (string.Equals(e[i].Key, key, StringComparison.Ordinal)) return i;
            return -1;
        }
        var idx = _index;
        if (idx == null)
        {
            idx = new Dictionary<string, int>(e.Count, StringComparer.Ordinal);
            for (int i = 0; i < e.Count; i++) idx[e[i].Key] = i;
            _index = idx;
        }
        return idx.TryGetValue(key, out var j) ? j : -1;
    }

    public bool TryGet(string key, out JV value)
    {
        int i = IndexOf(key);
        if (i < 0) { value = JNull.Instance; return false; }
        value = Entries[i].Value;
        return true;
    }

    public JV Get(string key) => TryGet(key, out var v) ? v : JNull.Instance;

    /// <summary>Sets a key in place. Only for an object nobody else can see yet (a reduce's private state).</summary>
    internal void SetOwned(string key, JV value)
    {
        int i = IndexOf(key);
        if (i >= 0) { Entries[i] = new(key, value); return; }
        Entries.Add(new(key, value));
        if (_index != null) _index[key] = Entries.Count - 1;
    }

    internal void RemoveOwned(string key)
    {
        int i = IndexOf(key);
        if (i < 0) return;
        Entries.RemoveAt(i);
        _index = null;
    }

    internal JObj CloneOwned() => new(new List<KeyValuePair<string, JV>>(Entries));

    public JObj With(string key, JV value)
    {
        int i = IndexOf(key);
        var list = new List<KeyValuePair<string, JV>>(Entries.Count + (i < 0 ? 1 : 0));
        list.AddRange(Entries);
        if (i < 0) list.Add(new(key, value)); else list[i] = new(key, value);
        return new JObj(list);
    }

    public JObj Without(string key)
    {
        int i = IndexOf(key);
        if (i < 0) return this;
        var list = new List<KeyValuePair<string, JV>>(Entries);
        list.RemoveAt(i);
        return new JObj(list);
    }

    public List<string> SortedKeys()
    {
        var keys = new List<string>(Entries.Count);
        foreach (var kv in Entries) keys.Add(kv.Key);
        keys.Sort(JCompare.CompareStrings);
        return keys;
    }
}

/// <summary>Builds an object in insertion order; setting an existing key keeps its position.</summary>
internal sealed class JObjBuilder
{
    private readonly List<KeyValuePair<string, JV>> _list;
    private Dictionary<string, int>? _index;

    public JObjBuilder(int capacity = 4) => _list = new(capacity);

    public JObjBuilder(JObj from)
    {
        _list = new(from.Entries);
        if (_list.Count > 8) BuildIndex();
    }

    private void BuildIndex()
    {
        _index = new Dictionary<string, int>(_list.Count * 2, StringComparer.Ordinal);
        for (int i = 0; i < _list.Count; i++) _index[_list[i].Key] = i;
    }

    public int IndexOf(string key)
    {
        if (_index != null) return _index.TryGetValue(key, out var j) ? j : -1;
        for (int i = 0; i < _list.Count; i++)
            if (string.Equals(_list[i].Key, key, StringComparison.Ordinal)) return i;
        return -1;
    }

    public bool TryGet(string key, out JV v)
    {
        int i = IndexOf(key);
        if (i < 0) { v = JNull.Instance; return false; }
        v = _list[i].Value;
        return true;
    }

    public void Set(string key, JV value)
    {
        int i = IndexOf(key);
        if (i >= 0) { _list[i] = new(key, value); return; }
        _list.Add(new(key, value));
        if (_index != null) _index[key] = _list.Count - 1;
        else if (_list.Count > 8) BuildIndex();
    }

    public void Remove(string key)
    {
        int i = IndexOf(key);
        if (i < 0) return;
        _list.RemoveAt(i);
        if (_index != null) BuildIndex();
    }

    public JObj Build() => _list.Count == 0 ? JObj.Empty : new JObj(_list);
}

internal static class JCompare
{
    private static int Rank(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;

    /// <summary>Orders strings by code point (as jq's byte-wise UTF-8 order does).</summary>
    public static int CompareStrings(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x != y) return Rank(x) - Rank(y);
        }
        return a.Length - b.Length;
    }

    public static int CompareNumbers(JNum a, JNum b)
    {
        if (a.IsInt && b.IsInt) return a.L.CompareTo(b.L);
        double x = a.D, y = b.D;
        if (double.IsNaN(x)) return -1;
        if (double.IsNaN(y)) return 1;
        return x < y ? -1 : x == y ? 0 : 1;
    }

    public static int Compare(JV a, JV b)
    {
        if (ReferenceEquals(a, b)) return 0;
        var ka = a.Kind; var kb = b.Kind;
        if (ka != kb) return ka < kb ? -1 : 1;
        switch (ka)
        {
            case JKind.Number: return CompareNumbers((JNum)a, (JNum)b);
            case JKind.String: return CompareStrings(((JStr)a).S, ((JStr)b).S);
            case JKind.Array:
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var x = ((JArr)a).Items; var y = ((JArr)b).Items;
                int n = Math.Min(x.Count, y.Count);
                for (int i = 0; i < n; i++)
                {
                    int c = Compare(x[i], y[i]);
                    if (c != 0) return c;
                }
                return x.Count.CompareTo(y.Count);
            }
            case JKind.Object:
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var oa = (JObj)a; var ob = (JObj)b;
                var ka2 = oa.SortedKeys(); var kb2 = ob.SortedKeys();
                int n = Math.Min(ka2.Count, kb2.Count);
                for (int i = 0; i < n; i++)
                {
                    int c = CompareStrings(ka2[i], kb2[i]);
                    if (c != 0) return c;
                }
                if (ka2.Count != kb2.Count) return ka2.Count.CompareTo(kb2.Count);
                foreach (var k in ka2)
                {
                    int c = Compare(oa.Get(k), ob.Get(k));
                    if (c != 0) return c;
                }
                return 0;
            }
            default: return 0;
        }
    }

    public static bool Equal(JV a, JV b)
    {
        if (ReferenceEquals(a, b)) return true;
        var k = a.Kind;
        if (k != b.Kind) return false;
        switch (k)
        {
            case JKind.Number:
            {
                var x = (JNum)a; var y = (JNum)b;
                return x.IsInt && y.IsInt ? x.L == y.L : x.D == y.D;
            }
            case JKind.String: return string.Equals(((JStr)a).S, ((JStr)b).S, StringComparison.Ordinal);
            case JKind.Array:
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var x = ((JArr)a).Items; var y = ((JArr)b).Items;
                if (x.Count != y.Count) return false;
                for (int i = 0; i < x.Count; i++) if (!Equal(x[i], y[i])) return false;
                return true;
            }
            case JKind.Object:
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var x = (JObj)a; var y = (JObj)b;
                if (x.Count != y.Count) return false;
                foreach (var kv in x.Entries)
                {
                    if (!y.TryGet(kv.Key, out var v) || !Equal(kv.Value, v)) return false;
                }
                return true;
            }
            default: return true;
        }
    }

    public static readonly IComparer<JV> Comparer = Comparer<JV>.Create(Compare);
}

/// <summary>jq's JSON text: compact dumps, number formatting, and a parser straight into jq values.</summary>
internal static class JsonText
{
    public static string Dump(JV v)
    {
        var sb = new StringBuilder();
        Write(sb, v);
        return sb.ToString();
    }

    /// <summary>The value as jq shows it inside error messages (cut to 11 characters and "...").</summary>
    public static string DumpTrunc(JV v)
    {
        var s = Dump(v);
        return s.Length > 14 ? s.Substring(0, 11) + "..." : s;
    }

    public static void Write(StringBuilder sb, JV v)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (v.Kind)
        {
            case JKind.Null: sb.Append("null"); break;
            case JKind.False: sb.Append("false"); break;
            case JKind.True: sb.Append("true"); break;
            case JKind.Number: sb.Append(FormatNumber((JNum)v)); break;
            case JKind.String: WriteString(sb, ((JStr)v).S); break;
            case JKind.Array:
            {
                sb.Append('[');
                var items = ((JArr)v).Items;
                for (int i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, items[i]);
                }
                sb.Append(']');
                break;
            }
            default:
            {
                sb.Append('{');
                bool first = true;
                foreach (var kv in ((JObj)v).Entries)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, kv.Key);
                    sb.Append(':');
                    Write(sb, kv.Value);
                }
                sb.Append('}');
                break;
            }
        }
    }

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
            sb.Append(s, start, i - start);
            start = i + 1;
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default: sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
            }
        }
        sb.Append(s, start, s.Length - start);
        sb.Append('"');
    }

    public static string FormatNumber(JNum n)
    {
        if (n.IsInt) return n.L.ToString(CultureInfo.InvariantCulture);
        return FormatDouble(n.D);
    }

    /// <summary>Shortest round-trip digits laid out as jq 1.6 prints them (1e+100, 1e-05, 1500000000000000).</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "null";
        if (d > double.MaxValue) d = double.MaxValue;
        if (d < -double.MaxValue) d = -double.MaxValue;
        if (d == 0) return (BitConverter.DoubleToInt64Bits(d) < 0) ? "-0" : "0";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        bool neg = r[0] == '-';
        if (neg) r = r.Substring(1);
        int exp = 0;
        int e = r.IndexOfAny(new[] { 'E', 'e' });
        string mant = r;
        if (e >= 0)
        {
            exp = int.Parse(r.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mant = r.Substring(0, e);
        }
        int dot = mant.IndexOf('.');
        string digits;
        int decpt;
        if (dot >= 0) { digits = mant.Substring(0, dot) + mant.Substring(dot + 1); decpt = dot + exp; }
        else { digits = mant; decpt = mant.Length + exp; }
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; decpt--; }
        digits = digits.Substring(lead).TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        if (decpt <= -4 || decpt > digits.Length + 15)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            int x = decpt - 1;
            sb.Append('e').Append(x < 0 ? '-' : '+');
            x = Math.Abs(x);
            if (x < 10) sb.Append('0');
            sb.Append(x.ToString(CultureInfo.InvariantCulture));
        }
        else if (decpt <= 0)
        {
            sb.Append("0.").Append('0', -decpt).Append(digits);
        }
        else if (decpt >= digits.Length)
        {
            sb.Append(digits).Append('0', decpt - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
        }
        return sb.ToString();
    }

    public static JV ParseNumberText(string text)
    {
        bool integral = true;
        foreach (char c in text) if (c == '.' || c == 'e' || c == 'E') { integral = false; break; }
        if (integral && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JNum.Of(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JNum.Of(d);
        throw new FormatException("Invalid numeric literal");
    }
}
