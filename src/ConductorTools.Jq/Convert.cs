using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConductorTools.Jq;

/// <summary>Conversions between jq values and System.Text.Json (JsonNode, JsonElement, UTF-8 text).</summary>
internal static class JConvert
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 4096, CommentHandling = JsonCommentHandling.Disallow };

    public static JV FromNode(JsonNode? node)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (node)
        {
            case null: return JNull.Instance;
            case JsonObject o:
            {
                var b = new JObjBuilder(o.Count);
                foreach (var kv in o) b.Set(kv.Key, FromNode(kv.Value));
                return b.Build();
            }
            case JsonArray a:
            {
                var list = new List<JV>(a.Count);
                foreach (var item in a) list.Add(FromNode(item));
                return new JArr(list);
            }
            case JsonValue v:
            {
                if (v.TryGetValue<JsonElement>(out var el)) return FromElement(el);
                if (v.TryGetValue<string>(out var s)) return JStr.Of(s);
                if (v.TryGetValue<bool>(out var b)) return JBool.Of(b);
                if (v.TryGetValue<long>(out var l)) return JNum.Of(l);
                if (v.TryGetValue<int>(out var i)) return JNum.Of(i);
                if (v.TryGetValue<double>(out var d)) return JNum.Of(d);
                // Any other CLR value (decimal, DateTime, Guid, ...): its JSON text decides.
                return Parse(Encoding.UTF8.GetBytes(v.ToJsonString()));
            }
            default: return Parse(Encoding.UTF8.GetBytes(node.ToJsonString()));
        }
    }

    public static JV FromElement(JsonElement el)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (el.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var b = new JObjBuilder();
                foreach (var p in el.EnumerateObject()) b.Set(p.Name, FromElement(p.Value));
                return b.Build();
            }
            case JsonValueKind.Array:
            {
                var list = new List<JV>(el.GetArrayLength());
                foreach (var item in el.EnumerateArray()) list.Add(FromElement(item));
                return new JArr(list);
            }
            case JsonValueKind.String: return JStr.Of(el.GetString()!);
            case JsonValueKind.Number:
                if (el.TryGetInt64(out var l)) return JNum.Of(l);
                return JsonText.ParseNumberText(el.GetRawText());
            case JsonValueKind.True: return JBool.True;
            case JsonValueKind.False: return JBool.False;
            default: return JNull.Instance;
        }
    }

    public static JsonNode? ToNode(JV v)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (v.Kind)
        {
            case JKind.Null: return null;
            case JKind.False: return JsonValue.Create(false);
            case JKind.True: return JsonValue.Create(true);
            case JKind.Number:
            {
                var n = (JNum)v;
                if (n.IsInt) return JsonValue.Create(n.L);
                double d = n.D;
                if (double.IsNaN(d)) return null;
                if (d > double.MaxValue) d = double.MaxValue;
                if (d < -double.MaxValue) d = -double.MaxValue;
                if (d == Math.Floor(d) && Math.Abs(d) < 9.2e18) return JsonValue.Create((long)d);
                return JsonValue.Create(d);
            }
            case JKind.String: return JsonValue.Create(((JStr)v).S);
            case JKind.Array:
            {
                var a = new JsonArray();
                foreach (var item in ((JArr)v).Items) a.Add(ToNode(item));
                return a;
            }
            default:
            {
                var o = new JsonObject();
                foreach (var kv in ((JObj)v).Entries) o[kv.Key] = ToNode(kv.Value);
                return o;
            }
        }
    }

    /// <summary>Parses one JSON text (UTF-8) into a jq value; trailing content is an error.</summary>
    public static JV Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        if (!reader.Read()) throw new JsonException("Expected JSON value");
        var v = ReadValue(ref reader);
        if (reader.Read()) throw new JsonException("Unexpected extra JSON values");
        return v;
    }

    public static JV ParseText(string text) => Parse(Encoding.UTF8.GetBytes(text));

    private static JV ReadValue(ref Utf8JsonReader r)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var b = new JObjBuilder();
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    var name = PropertyName(ref r);
                    r.Read();
                    b.Set(name, ReadValue(ref r));
                }
                return b.Build();
            }
            case JsonTokenType.StartArray:
            {
                RuntimeHelpers.EnsureSufficientExecutionStack();
                var list = new List<JV>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray) list.Add(ReadValue(ref r));
                return list.Count == 0 ? new JArr(new List<JV>(0)) : new JArr(list);
            }
            case JsonTokenType.String: return JStr.Of(r.GetString()!);
            case JsonTokenType.Number:
            {
                if (r.TryGetInt64(out var l)) return JNum.Of(l);
                if (r.TryGetDouble(out var d) && !double.IsInfinity(d)) return JNum.Of(d);
                var raw = r.HasValueSequence ? Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(r.ValueSequence)) : Encoding.UTF8.GetString(r.ValueSpan.ToArray());
                return JsonText.ParseNumberText(raw);
            }
            case JsonTokenType.True: return JBool.True;
            case JsonTokenType.False: return JBool.False;
            case JsonTokenType.Null: return JNull.Instance;
            default: throw new JsonException("Unexpected token " + r.TokenType.ToString());
        }
    }

    public static string ToJson(JV v) => JsonText.Dump(v);

    [ThreadStatic] private static string?[]? _names;

    // Large documents repeat the same few property names; reuse their strings instead of allocating one per object.
    private static string PropertyName(ref Utf8JsonReader r)
    {
        if (r.ValueIsEscaped || r.HasValueSequence || r.ValueSpan.Length > 24) return r.GetString()!;
        var span = r.ValueSpan;
        uint h = 2166136261;
        foreach (var b in span) h = (h ^ b) * 16777619;
        var cache = _names ??= new string?[512];
        int slot = (int)(h & 511);
        var s = cache[slot];
        if (s != null && s.Length == span.Length)
        {
            bool same = true;
            for (int i = 0; i < span.Length; i++) if (s[i] != span[i]) { same = false; break; }
            if (same) return s;
        }
        s = r.GetString()!;
        foreach (var c in s) if (c > 127) return s;
        cache[slot] = s;
        return s;
    }

    internal static string Invariant(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
