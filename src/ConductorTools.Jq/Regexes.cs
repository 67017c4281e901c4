using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace ConductorTools.Jq;

/// <summary>test/match/capture/scan/split/sub/gsub over .NET regular expressions (Oniguruma's Perl-style syntax maps directly).</summary>
internal static class Regexes
{
    
    /// <summary>A compiled pattern with its capture groups in textual order (as Oniguruma numbers them) and their names.</summary>
    internal sealed class Compiled
    {
        public Regex Re = null!;
        public string?[] Names = Array.Empty<string?>();
    }

    private static readonly ConcurrentDictionary<(string, RegexOptions, TimeSpan), Compiled> Cache = new();

    // .NET numbers named groups after unnamed ones; rewrite (?<name>...) to plain groups and keep the names aside.
    private static Compiled Build(string pattern, RegexOptions opts, TimeSpan timeout)
    {
        var names = new List<string?>();
        var sb = new StringBuilder(pattern.Length);
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                // \k<name> back-references become numbered ones
                if (pattern[i + 1] == 'k' && i + 2 < pattern.Length && pattern[i + 2] == '<')
                {
                    int end = pattern.IndexOf('>', i + 3);
                    if (end > 0)
                    {
                        var nm = pattern.Substring(i + 3, end - i - 3);
                        int idx = names.IndexOf(nm);
                        if (idx >= 0) { sb.Append("(?:\\").Append(idx + 1).Append(')'); i = end; continue; }
                    }
                }
                sb.Append(c).Append(pattern[i + 1]);
                i++;
                continue;
            }
            if (inClass) { if (c == ']') inClass = false; sb.Append(c); continue; }
            if (c == '[') { inClass = true; sb.Append(c); if (i + 1 < pattern.Length && pattern[i + 1] == ']') { sb.Append(']'); i++; } continue; }
            if (c == '(')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                {
                    int nameStart = -1;
                    char close = '>';
                    if (i + 2 < pattern.Length && pattern[i + 2] == '<' && i + 3 < pattern.Length && pattern[i + 3] != '=' && pattern[i + 3] != '!') nameStart = i + 3;
                    else if (i + 3 < pattern.Length && pattern[i + 2] == 'P' && pattern[i + 3] == '<') nameStart = i + 4;
                    else if (i + 2 < pattern.Length && pattern[i + 2] == '\'') { nameStart = i + 3; close = '\''; }
                    if (nameStart > 0)
                    {
                        int end = pattern.IndexOf(close, nameStart);
                        if (end > 0)
                        {
                            names.Add(pattern.Substring(nameStart, end - nameStart));
                            sb.Append('(');
                            i = end;
                            continue;
                        }
                    }
                    sb.Append(c);
                    continue;
                }
                names.Add(null);
            }
            sb.Append(c);
        }
        return new Compiled { Re = new Regex(sb.ToString(), opts & ~RegexOptions.ExplicitCapture, timeout), Names = names.ToArray() };
    }

    private static (Compiled Re, bool Global, bool NoEmpty) Get(JV input, JV re, JV flags, Ctx ctx)
    {
        if (input is not JStr) throw Err.E(Err.Desc(input) + " cannot be matched, as it is not a string");
        if (re is not JStr rs) throw Err.E(re.TypeName + " not a string or array");
        var opts = RegexOptions.CultureInvariant;
        bool global = false, noEmpty = false;
        if (flags is JStr fs)
        {
            foreach (var c in fs.S)
            {
                switch (c)
                {
                    case 'g': global = true; break;
                    case 'i': opts |= RegexOptions.IgnoreCase; break;
                    case 'x': opts |= RegexOptions.IgnorePatternWhitespace; break;
                    case 'n': noEmpty = true; break;
                    case 's': opts |= RegexOptions.Singleline; break;
                    case 'p': opts |= RegexOptions.Singleline; break;
                    case 'l': break;
                    default: throw Err.E(fs.S + " is not a valid modifier string");
                }
            }
        }
        else if (flags.Kind != JKind.Null) throw Err.E(Err.Desc(flags) + " is not a string");
        var timeout = ctx.Options.RegexTimeout;
        var key = (rs.S, opts, timeout);
        if (!Cache.TryGetValue(key, out var regex))
        {
            try { regex = Build(Translate(rs.S), opts, timeout); }
            catch (ArgumentException e) { throw Err.E(rs.S + " (at offset 0) is not a valid regex: " + e.Message); }
            if (Cache.Count > 1000) Cache.Clear();
            Cache[key] = regex;
        }
        return (regex, global, noEmpty);
    }

    // Oniguruma spellings that .NET lacks: \h (hex digit), \H, possessive quantifiers are rare and left as is.
    private static string Translate(string re) =>
        re.IndexOf("\\h", StringComparison.Ordinal) < 0 && re.IndexOf("\\H", StringComparison.Ordinal) < 0 ? re
            : Regex.Replace(re, @"(?<!\\)((?:\\\\)*)\\([hH])", m => m.Groups[1].Value + (m.Groups[2].Value == "h" ? "[0-9a-fA-F]" : "[^0-9a-fA-F]"));

    private static (JV Re, JV Flags) Split2(JV re, JV flags)
    {
        if (re is JArr a && flags.Kind == JKind.Null)
            return (a.Count > 0 ? a.Items[0] : JNull.Instance, a.Count > 1 ? a.Items[1] : JNull.Instance);
        return (re, flags);
    }

    private static IEnumerable<Match> Matches(Compiled re, string s, bool global, bool noEmpty, Ctx ctx)
    {
        var m = re.Re.Match(s);
        while (m.Success)
        {
            ctx.Step();
            if (global && m.Length == 0 && m.Index == s.Length && s.Length > 0) yield break;
            if (!(noEmpty && m.Length == 0)) yield return m;
            if (!global) yield break;
            m = m.NextMatch();
        }
    }

    public static JV Test(JV input, JV re, JV flags, Ctx ctx)
    {
        (re, flags) = Split2(re, flags);
        var (r, _, noEmpty) = Get(input, re, flags, ctx);
        return JBool.Of(Matches(r, ((JStr)input).S, false, noEmpty, ctx).Any());
    }

    private static JObj MatchObject(Compiled re, Match m, string s, bool surr)
    {
        int Cp(int i) => surr ? Strings.CodePointIndexOfChar(s, i) : i;
        int CpLen(int i, int len) => surr ? Strings.CodePointIndexOfChar(s, i + len) - Strings.CodePointIndexOfChar(s, i) : len;
        var caps = new List<JV>();
        for (int g = 1; g < m.Groups.Count; g++)
        {
            var grp = m.Groups[g];
            var name = g - 1 < re.Names.Length ? re.Names[g - 1] : null;
            JV nameV = name == null ? JNull.Instance : JStr.Of(name);
            var b = new JObjBuilder(4);
            if (grp.Success)
            {
                b.Set("offset", JNum.Of(Cp(grp.Index)));
                b.Set("length", JNum.Of(CpLen(grp.Index, grp.Length)));
                b.Set("string", JStr.Of(grp.Value));
            }
            else
            {
                b.Set("offset", JNum.Of(-1));
                b.Set("string", JNull.Instance);
                b.Set("length", JNum.Zero);
            }
            b.Set("name", nameV);
            caps.Add(b.Build());
        }
        var mb = new JObjBuilder(4);
        mb.Set("offset", JNum.Of(Cp(m.Index)));
        mb.Set("length", JNum.Of(CpLen(m.Index, m.Length)));
        mb.Set("string", JStr.Of(m.Value));
        mb.Set("captures", new JArr(caps));
        return mb.Build();
    }

    public static IEnumerable<JV> Match(JV input, JV re, JV flags, Ctx ctx)
    {
        (re, flags) = Split2(re, flags);
        var (r, global, noEmpty) = Get(input, re, flags, ctx);
        var s = ((JStr)input).S;
        bool surr = Strings.HasSurrogates(s);
        foreach (var m in Matches(r, s, global, noEmpty, ctx)) yield return MatchObject(r, m, s, surr);
    }

    private static JObj CaptureObject(Compiled re, Match m)
    {
        var b = new JObjBuilder();
        for (int g = 1; g < m.Groups.Count; g++)
        {
            var name = g - 1 < re.Names.Length ? re.Names[g - 1] : null;
            if (name == null) continue;
            var grp = m.Groups[g];
            b.Set(name, grp.Success ? JStr.Of(grp.Value) : JNull.Instance);
        }
        return b.Build();
    }

    public static IEnumerable<JV> Capture(JV input, JV re, JV flags, Ctx ctx)
    {
        (re, flags) = Split2(re, flags);
        var (r, global, noEmpty) = Get(input, re, flags, ctx);
        foreach (var m in Matches(r, ((JStr)input).S, global, noEmpty, ctx)) yield return CaptureObject(r, m);
    }

    public static IEnumerable<JV> Scan(JV input, JV re, JV flags, Ctx ctx)
    {
        (re, flags) = Split2(re, flags);
        var (r, _, noEmpty) = Get(input, re, flags, ctx);
        foreach (var m in Matches(r, ((JStr)input).S, true, noEmpty, ctx))
        {
            if (m.Groups.Count <= 1) yield return JStr.Of(m.Value);
            else
            {
                var list = new List<JV>();
                for (int g = 1; g < m.Groups.Count; g++) list.Add(m.Groups[g].Success ? JStr.Of(m.Groups[g].Value) : JNull.Instance);
                yield return new JArr(list);
            }
        }
    }

    public static JV Split(JV input, JV re, JV flags, Ctx ctx)
    {
        var (r, _, noEmpty) = Get(input, re, flags, ctx);
        var s = ((JStr)input).S;
        var list = new List<JV>();
        int prev = 0;
        foreach (var m in Matches(r, s, true, noEmpty, ctx))
        {
            // jq 1.6: pieces between consecutive match boundaries.
            list.Add(JStr.Of(m.Index >= prev ? s.Substring(prev, m.Index - prev) : ""));
            prev = m.Index + m.Length;
        }
        list.Add(JStr.Of(prev <= s.Length ? s.Substring(prev) : ""));
        return new JArr(list);
    }

    public static IEnumerable<JV> Sub(JV input, Node reN, Node strN, Node? flagsN, bool global, Env env, Ctx ctx)
    {
        foreach (var re in reN.Eval(input, env, ctx))
        {
            var flagVals = flagsN == null ? new JV[] { JNull.Instance } : flagsN.Eval(input, env, ctx).ToArray();
            foreach (var flags in flagVals)
            {
                JV f = flags;
                if (global) f = f is JStr fs ? JStr.Of(fs.S + "g") : JStr.Of("g");
                var (r, g, noEmpty) = Get(input, re, f, ctx);
                var s = ((JStr)input).S;
                var matches = Matches(r, s, g, noEmpty, ctx).ToList();
                foreach (var res in Build(0, 0, new StringBuilder()))
                    yield return JStr.Of(res);

                IEnumerable<string> Build(int mi, int pos, StringBuilder acc)
                {
                    if (mi == matches.Count)
                    {
                        yield return acc.ToString() + s.Substring(pos);
                        yield break;
                    }
                    var m = matches[mi];
                    var prefix = s.Substring(pos, m.Index - pos);
                    foreach (var rep in strN.Eval(CaptureObject(r, m), env, ctx))
                    {
                        if (rep is not JStr rs) throw Err.E(Err.Desc(rep) + " cannot be added to a string");
                        var next = new StringBuilder(acc.ToString()).Append(prefix).Append(rs.S);
                        foreach (var x in Build(mi + 1, m.Index + m.Length, next)) yield return x;
                    }
                }
            }
        }
    }
}
