using System.Globalization;
using System.Text;

namespace ConductorTools.Jq;

/// <summary>jq's date functions, always in UTC: broken-down time is [year, month0, mday, hours, minutes, seconds, wday, yday].</summary>
internal static class Dates
{
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Days = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
    private static readonly string[] Months = { "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December" };

    public static JV GmTime(JV v)
    {
        if (v is not JNum n) throw Err.E("gmtime() requires numeric inputs");
        double t = n.D;
        double secs = Math.Floor(t);
        DateTime dt;
        try { dt = Epoch.AddSeconds(secs); }
        catch (ArgumentOutOfRangeException) { throw Err.E("gmtime() requires a time in range"); }
        double frac = t - secs;
        return JArr.Of(JNum.Of(dt.Year), JNum.Of(dt.Month - 1), JNum.Of(dt.Day), JNum.Of(dt.Hour), JNum.Of(dt.Minute),
            JNum.Of(dt.Second + frac), JNum.Of((int)dt.DayOfWeek), JNum.Of(dt.DayOfYear - 1));
    }

    private static DateTime FromBroken(JV v, string who)
    {
        if (v is not JArr a) throw Err.E(who + " requires array inputs");
        if (a.Count < 6 || a.Items.Take(6).Any(x => x is not JNum)) throw Err.E(who + " requires parsed datetime inputs");
        int I(int i) => (int)Math.Floor(((JNum)a.Items[i]).D);
        try
        {
            return new DateTime(I(0), 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(I(1)).AddDays(I(2) - 1).AddHours(I(3)).AddMinutes(I(4)).AddSeconds(I(5));
        }
        catch (ArgumentOutOfRangeException) { throw Err.E(who + " requires parsed datetime inputs"); }
    }

    public static JV MkTime(JV v)
    {
        if (v is not JArr) throw Err.E("mktime requires array inputs");
        var dt = FromBroken(v, "mktime");
        return JNum.Of((long)Math.Floor((dt - Epoch).TotalSeconds));
    }

    public static JV StrFTime(JV v, JV fmt)
    {
        if (v is JNum) v = GmTime(v);
        if (v is not JArr) throw Err.E("strftime/1 requires parsed datetime inputs");
        if (fmt is not JStr f) throw Err.E("strftime/1 requires a string format");
        var dt = FromBroken(v, "strftime/1");
        return JStr.Of(Format(dt, f.S));
    }

    private static string Format(DateTime dt, string f)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < f.Length; i++)
        {
            char c = f[i];
            if (c != '%' || i + 1 >= f.Length) { sb.Append(c); continue; }
            char k = f[++i];
            switch (k)
            {
                case 'Y': sb.Append(dt.Year.ToString(inv)); break;
                case 'C': sb.Append((dt.Year / 100).ToString("00", inv)); break;
                case 'y': sb.Append((dt.Year % 100).ToString("00", inv)); break;
                case 'm': sb.Append(dt.Month.ToString("00", inv)); break;
                case 'd': sb.Append(dt.Day.ToString("00", inv)); break;
                case 'e': sb.Append(dt.Day.ToString(inv).PadLeft(2)); break;
                case 'H': sb.Append(dt.Hour.ToString("00", inv)); break;
                case 'k': sb.Append(dt.Hour.ToString(inv).PadLeft(2)); break;
                case 'I': sb.Append(((dt.Hour + 11) % 12 + 1).ToString("00", inv)); break;
                case 'l': sb.Append(((dt.Hour + 11) % 12 + 1).ToString(inv).PadLeft(2)); break;
                case 'M': sb.Append(dt.Minute.ToString("00", inv)); break;
                case 'S': sb.Append(dt.Second.ToString("00", inv)); break;
                case 'j': sb.Append(dt.DayOfYear.ToString("000", inv)); break;
                case 'Z': sb.Append("UTC"); break;
                case 'z': sb.Append("+0000"); break;
                case 'a': sb.Append(Days[(int)dt.DayOfWeek].Substring(0, 3)); break;
                case 'A': sb.Append(Days[(int)dt.DayOfWeek]); break;
                case 'b': case 'h': sb.Append(Months[dt.Month - 1].Substring(0, 3)); break;
                case 'B': sb.Append(Months[dt.Month - 1]); break;
                case 'p': sb.Append(dt.Hour < 12 ? "AM" : "PM"); break;
                case 'P': sb.Append(dt.Hour < 12 ? "am" : "pm"); break;
                case 'c': sb.Append(Format(dt, "%a %b %e %H:%M:%S %Y")); break;
                case 'D': case 'x': sb.Append(Format(dt, "%m/%d/%y")); break;
                case 'F': sb.Append(Format(dt, "%Y-%m-%d")); break;
                case 'T': case 'X': sb.Append(Format(dt, "%H:%M:%S")); break;
                case 'R': sb.Append(Format(dt, "%H:%M")); break;
                case 'r': sb.Append(Format(dt, "%I:%M:%S %p")); break;
                case 's': sb.Append(((long)(dt - Epoch).TotalSeconds).ToString(inv)); break;
                case 'u': sb.Append((((int)dt.DayOfWeek + 6) % 7 + 1).ToString(inv)); break;
                case 'w': sb.Append(((int)dt.DayOfWeek).ToString(inv)); break;
                case 'U': sb.Append(((dt.DayOfYear + 6 - (int)dt.DayOfWeek) / 7).ToString("00", inv)); break;
                case 'W': sb.Append(((dt.DayOfYear + 6 - ((int)dt.DayOfWeek + 6) % 7) / 7).ToString("00", inv)); break;
                case 'V': sb.Append(ISOWeek(dt).ToString("00", inv)); break;
                case 'G': sb.Append(ISOYear(dt).ToString(inv)); break;
                case 'g': sb.Append((ISOYear(dt) % 100).ToString("00", inv)); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case '%': sb.Append('%'); break;
                default: sb.Append('%').Append(k); break;
            }
        }
        return sb.ToString();
    }

    private static int ISOWeek(DateTime dt) => CultureInfo.InvariantCulture.Calendar.GetWeekOfYear(
        dt.AddDays(3 - (((int)dt.DayOfWeek + 6) % 7)), CalendarWeekRule.FirstFourDayWeek, DayOfWeek.Monday);

    private static int ISOYear(DateTime dt) => dt.AddDays(3 - (((int)dt.DayOfWeek + 6) % 7)).Year;

    public static JV StrPTime(JV v, JV fmt)
    {
        if (v is not JStr s || fmt is not JStr f) throw Err.E("strptime/1 requires string inputs and arguments");
        if (!TryParse(s.S, f.S, out var dt)) throw Err.E($"date \"{s.S}\" does not match format \"{f.S}\"");
        return JArr.Of(JNum.Of(dt.Year), JNum.Of(dt.Month - 1), JNum.Of(dt.Day), JNum.Of(dt.Hour), JNum.Of(dt.Minute),
            JNum.Of(dt.Second), JNum.Of((int)dt.DayOfWeek), JNum.Of(dt.DayOfYear - 1));
    }

    private static bool TryParse(string s, string f, out DateTime result)
    {
        result = Epoch;
        int year = 1900, month = 1, day = 1, hour = 0, min = 0, sec = 0, yday = -1;
        bool pm = false, hasPm = false;
        long? epoch = null;
        int p = 0;
        bool Num(int maxDigits, out int val)
        {
            val = 0;
            int start = p;
            bool neg = false;
            if (p < s.Length && (s[p] == '+' || s[p] == '-') && maxDigits > 2) { neg = s[p] == '-'; p++; }
            while (p < s.Length && p - start < maxDigits && char.IsDigit(s[p])) { val = val * 10 + (s[p] - '0'); p++; }
            if (neg) val = -val;
            return p > start;
        }
        bool Name(string[] names, out int idx)
        {
            for (int i = 0; i < names.Length; i++)
            {
                foreach (var n in new[] { names[i], names[i].Substring(0, 3) })
                {
                    if (string.Compare(s, p, n, 0, n.Length, StringComparison.OrdinalIgnoreCase) == 0) { p += n.Length; idx = i; return true; }
                }
            }
            idx = -1;
            return false;
        }
        for (int i = 0; i < f.Length; i++)
        {
            char c = f[i];
            if (char.IsWhiteSpace(c)) { while (p < s.Length && char.IsWhiteSpace(s[p])) p++; continue; }
            if (c != '%' || i + 1 >= f.Length)
            {
                if (p >= s.Length || s[p] != c) return false;
                p++;
                continue;
            }
            char k = f[++i];
            int v;
            switch (k)
            {
                case 'Y': if (!Num(4, out year)) return false; break;
                case 'm': if (!Num(2, out month)) return false; break;
                case 'd': case 'e': while (p < s.Length && s[p] == ' ') p++; if (!Num(2, out day)) return false; break;
                case 'H': case 'k': while (p < s.Length && s[p] == ' ') p++; if (!Num(2, out hour)) return false; break;
                case 'I': case 'l': while (p < s.Length && s[p] == ' ') p++; if (!Num(2, out hour)) return false; break;
                case 'M': if (!Num(2, out min)) return false; break;
                case 'S': if (!Num(2, out sec)) return false; break;
                case 'j': if (!Num(3, out yday)) return false; break;
                case 'y': if (!Num(2, out v)) return false; year = v < 69 ? 2000 + v : 1900 + v; break;
                case 'a': case 'A': if (!Name(Days, out _)) return false; break;
                case 'b': case 'B': case 'h': if (!Name(Months, out v)) return false; month = v + 1; break;
                case 'p': hasPm = true; if (string.Compare(s, p, "PM", 0, 2, StringComparison.OrdinalIgnoreCase) == 0) pm = true; else if (string.Compare(s, p, "AM", 0, 2, StringComparison.OrdinalIgnoreCase) != 0) return false; p += 2; break;
                case 'Z': while (p < s.Length && char.IsLetter(s[p])) p++; break;
                case 'z':
                    if (p < s.Length && (s[p] == 'Z' || s[p] == 'z')) { p++; break; }
                    if (p < s.Length && (s[p] == '+' || s[p] == '-')) { p++; int d0 = p; while (p < s.Length && (char.IsDigit(s[p]) || s[p] == ':')) p++; if (p == d0) return false; break; }
                    return false;
                case 's': { int st = p; if (p < s.Length && s[p] == '-') p++; while (p < s.Length && char.IsDigit(s[p])) p++; if (!long.TryParse(s.Substring(st, p - st), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e)) return false; epoch = e; break; }
                case 'T': if (!TryParseSub(ref p, s, "%H:%M:%S", ref hour, ref min, ref sec)) return false; break;
                case 'R': { int z = 0; if (!TryParseSub(ref p, s, "%H:%M", ref hour, ref min, ref z)) return false; break; }
                case 'F': { if (!Num(4, out year)) return false; if (p >= s.Length || s[p++] != '-') return false; if (!Num(2, out month)) return false; if (p >= s.Length || s[p++] != '-') return false; if (!Num(2, out day)) return false; break; }
                case 'D': { if (!Num(2, out month)) return false; if (p >= s.Length || s[p++] != '/') return false; if (!Num(2, out day)) return false; if (p >= s.Length || s[p++] != '/') return false; if (!Num(2, out v)) return false; year = v < 69 ? 2000 + v : 1900 + v; break; }
                case 'n': case 't': while (p < s.Length && char.IsWhiteSpace(s[p])) p++; break;
                case '%': if (p >= s.Length || s[p] != '%') return false; p++; break;
                default: return false;
            }
        }
        if (p != s.Length) return false;
        if (epoch is { } ep) { result = Epoch.AddSeconds(ep); return true; }
        if (hasPm) { if (hour == 12) hour = 0; if (pm) hour += 12; }
        try
        {
            if (yday >= 1 && month == 1 && day == 1) result = new DateTime(year, 1, 1, hour, min, 0, DateTimeKind.Utc).AddDays(yday - 1).AddSeconds(sec);
            else result = new DateTime(year, month, day, hour, min, 0, DateTimeKind.Utc).AddSeconds(sec);
            return true;
        }
        catch (ArgumentOutOfRangeException) { return false; }
    }

    private static bool TryParseSub(ref int p, string s, string f, ref int h, ref int m, ref int sec)
    {
        var parts = new List<int>();
        int count = f.Split(':').Length;
        for (int i = 0; i < count; i++)
        {
            if (i > 0) { if (p >= s.Length || s[p] != ':') return false; p++; }
            int st = p, v = 0;
            while (p < s.Length && p - st < 2 && char.IsDigit(s[p])) { v = v * 10 + (s[p] - '0'); p++; }
            if (p == st) return false;
            parts.Add(v);
        }
        h = parts[0]; m = parts[1]; if (count > 2) sec = parts[2];
        return true;
    }
}
