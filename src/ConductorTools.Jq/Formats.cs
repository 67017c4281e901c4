using System.Globalization;
using System.Text;

namespace ConductorTools.Jq;

/// <summary>The @format string filters.</summary>
internal static class Formats
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    { "text", "json", "html", "uri", "csv", "tsv", "sh", "base64", "base64d", "base32", "base32d" };

    public static void Check(string name)
    {
        if (!Known.Contains(name)) throw Err.E(name + " is not a valid format");
    }

    public static string ApplyChecked(string name, JV v)
    {
        Check(name);
        return Apply(name, v);
    }

    public static string Apply(string name, JV v)
    {
        switch (name)
        {
            case "text": return Ops.ToStringValue(v);
            case "json": return JsonText.Dump(v);
            case "html":
            {
                var s = Ops.ToStringValue(v);
                var sb = new StringBuilder(s.Length);
                foreach (var c in s)
                {
                    switch (c)
                    {
                        case '<': sb.Append("&lt;"); break;
                        case '>': sb.Append("&gt;"); break;
                        case '&': sb.Append("&amp;"); break;
                        case '\'': sb.Append("&apos;"); break;
                        case '"': sb.Append("&quot;"); break;
                        default: sb.Append(c); break;
                    }
                }
                return sb.ToString();
            }
            case "uri":
            {
                var bytes = Encoding.UTF8.GetBytes(Ops.ToStringValue(v));
                var sb = new StringBuilder(bytes.Length);
                foreach (var b in bytes)
                {
                    char c = (char)b;
                    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-_.!~*'()".IndexOf(c) >= 0) sb.Append(c);
                    else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
                return sb.ToString();
            }
            case "csv":
            case "tsv":
            {
                if (v is not JArr a) throw Err.E(Err.Desc(v) + " cannot be " + name + "-formatted, only array");
                var sb = new StringBuilder();
                bool first = true;
                foreach (var x in a.Items)
                {
                    if (!first) sb.Append(name == "csv" ? ',' : '\t');
                    first = false;
                    switch (x)
                    {
                        case JNull: break;
                        case JBool or JNum: sb.Append(JsonText.Dump(x)); break;
                        case JStr s:
                            if (name == "csv") sb.Append('"').Append(s.S.Replace("\"", "\"\"")).Append('"');
                            else sb.Append(s.S.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\r", "\\r").Replace("\n", "\\n"));
                            break;
                        default: throw Err.E(Err.Desc(x) + " is not valid in a csv row");
                    }
                }
                return sb.ToString();
            }
            case "sh":
            {
                IEnumerable<JV> items = v is JArr a ? a.Items : new[] { v };
                var sb = new StringBuilder();
                bool first = true;
                foreach (var x in items)
                {
                    if (!first) sb.Append(' ');
                    first = false;
                    switch (x)
                    {
                        case JStr s: sb.Append('\'').Append(s.S.Replace("'", "'\\''")).Append('\''); break;
                        case JArr or JObj: throw Err.E(Err.Desc(x) + " can not be escaped for shell");
                        default: sb.Append(JsonText.Dump(x)); break;
                    }
                }
                return sb.ToString();
            }
            case "base64": return Convert.ToBase64String(Encoding.UTF8.GetBytes(Ops.ToStringValue(v)));
            case "base64d":
            {
                var s = Ops.ToStringValue(v);
                var bytes = DecodeBase64(s) ?? throw Err.E(Err.Desc(JStr.Of(s)) + " is not valid base64 data");
                return Encoding.UTF8.GetString(bytes);
            }
            case "base32": return Base32Encode(Encoding.UTF8.GetBytes(Ops.ToStringValue(v)));
            case "base32d":
            {
                var bytes = Base32Decode(Ops.ToStringValue(v)) ?? throw Err.E(Err.Desc(v) + " is not valid base32 data");
                return Encoding.UTF8.GetString(bytes);
            }
        }
        throw Err.E(name + " is not a valid format");
    }

    private static byte[]? DecodeBase64(string s)
    {
        var t = s.TrimEnd('=');
        var sb = new StringBuilder(t.Length + 3);
        foreach (var c in t)
        {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/') sb.Append(c);
            else return null;
        }
        if (sb.Length % 4 == 1) throw Err.E(Err.Desc(JStr.Of(s)) + " trailing base64 byte found");
        while (sb.Length % 4 != 0) sb.Append('=');
        try { return Convert.FromBase64String(sb.ToString()); }
        catch (FormatException) { return null; }
    }

    private const string B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private static string Base32Encode(byte[] data)
    {
        var sb = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5) { sb.Append(B32[(buffer >> (bits - 5)) & 31]); bits -= 5; }
        }
        if (bits > 0) sb.Append(B32[(buffer << (5 - bits)) & 31]);
        while (sb.Length % 8 != 0) sb.Append('=');
        return sb.ToString();
    }

    private static byte[]? Base32Decode(string s)
    {
        var list = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in s.TrimEnd('='))
        {
            int v = B32.IndexOf(char.ToUpperInvariant(c));
            if (v < 0) return null;
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) { list.Add((byte)(buffer >> (bits - 8))); bits -= 8; }
        }
        return list.ToArray();
    }
}
