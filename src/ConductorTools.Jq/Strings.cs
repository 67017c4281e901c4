using System.Text;

namespace ConductorTools.Jq;

internal static class Strings
{
    public static bool HasSurrogates(string s)
    {
        foreach (var c in s) if (char.IsSurrogate(c)) return true;
        return false;
    }

    /// <summary>UTF-16 index of the code point at position cp.</summary>
    public static int CharIndexOfCodePoint(string s, int cp)
    {
        int i = 0;
        while (cp > 0 && i < s.Length)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i += 2; else i++;
            cp--;
        }
        return i;
    }

    public static int CodePointIndexOfChar(string s, int charIndex)
    {
        int n = 0;
        for (int i = 0; i < charIndex && i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    public static string SubstringByCodePoints(string s, int start, int count, int cpLen)
    {
        if (cpLen == s.Length) return s.Substring(start, count);
        int a = CharIndexOfCodePoint(s, start);
        int b = a;
        int c = count;
        while (c > 0 && b < s.Length)
        {
            if (char.IsHighSurrogate(s[b]) && b + 1 < s.Length && char.IsLowSurrogate(s[b + 1])) b += 2; else b++;
            c--;
        }
        return s.Substring(a, b - a);
    }

    public static JArr Split(string s, string sep)
    {
        var list = new List<JV>();
        if (s.Length == 0) return new JArr(list);
        if (sep.Length == 0)
        {
            foreach (var cp in Explode(s)) list.Add(JStr.Of(char.ConvertFromUtf32(cp)));
            return new JArr(list);
        }
        int start = 0;
        while (true)
        {
            int i = s.IndexOf(sep, start, StringComparison.Ordinal);
            if (i < 0) { list.Add(JStr.Of(s.Substring(start))); break; }
            list.Add(JStr.Of(s.Substring(start, i - start)));
            start = i + sep.Length;
        }
        return new JArr(list);
    }

    public static List<int> Explode(string s)
    {
        var list = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(char.ConvertToUtf32(c, s[i + 1]));
                i++;
            }
            else if (char.IsSurrogate(c)) list.Add(0xFFFD);
            else list.Add(c);
        }
        return list;
    }

    public static string Implode(JV v)
    {
        if (v is not JArr a) throw Err.E("implode input must be an array");
        var sb = new StringBuilder(a.Count);
        foreach (var x in a.Items)
        {
            if (x is not JNum n) throw Err.E("Unicode codepoint must be numeric");
            long cp = n.IsInt ? n.L : (long)n.D;
            if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
            if (cp < 0x10000) sb.Append((char)cp); else sb.Append(char.ConvertFromUtf32((int)cp));
        }
        return sb.ToString();
    }

    public static int Utf8Length(string s) => Encoding.UTF8.GetByteCount(s);
}
