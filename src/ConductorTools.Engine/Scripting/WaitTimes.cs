using System.Globalization;
using System.Text.RegularExpressions;

namespace ConductorTools.Engine.Scripting;

/// <summary>WAIT task inputs: <c>duration</c> ("10s", "5m", "1h 30m", "2 days") and <c>until</c> ("yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm z", "yyyy-MM-dd").</summary>
public static class WaitTimes
{
    private static readonly Regex Part = new(@"(\d+)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public static TimeSpan ParseDuration(string text)
    {
        var trimmed = (text ?? "").Trim();
        var total = TimeSpan.Zero;
        var consumed = 0;
        foreach (Match match in Part.Matches(trimmed))
        {
            var n = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var unit = match.Groups[2].Value.ToLowerInvariant();
            total += unit[0] switch
            {
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
            consumed += match.Length;
        }
        if (consumed == 0 || consumed < trimmed.Replace(" ", "").Length - CountSpacesInside(trimmed))
        {
            throw new FormatException($"Unable to parse the WAIT duration '{text}'. Use forms like 10s, 5m, 1h 30m or 2 days.");
        }
        return total;
    }

    private static int CountSpacesInside(string text) => 0;

    public static DateTimeOffset ParseUntil(string text)
    {
        var trimmed = (text ?? "").Trim();
        var formats = new[] { "yyyy-MM-dd HH:mm", "yyyy-MM-dd" };
        if (DateTime.TryParseExact(trimmed, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var utc))
        {
            return new DateTimeOffset(utc, TimeSpan.Zero);
        }
        // "yyyy-MM-dd HH:mm z": a zone abbreviation or offset after the time.
        var space = trimmed.LastIndexOf(' ');
        if (space > 0 && DateTime.TryParseExact(trimmed.Substring(0, space), "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            var zone = trimmed.Substring(space + 1);
            var offset = ZoneOffset(zone);
            if (offset is { } o) return new DateTimeOffset(local, o);
        }
        throw new FormatException($"Unable to parse the WAIT until '{text}'. Use yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z (e.g. UTC or +02:00) or yyyy-MM-dd.");
    }

    private static TimeSpan? ZoneOffset(string zone)
    {
        switch (zone.ToUpperInvariant())
        {
            case "UTC": case "GMT": case "Z": return TimeSpan.Zero;
        }
        if (TimeSpan.TryParseExact(zone.TrimStart('+', '-'), new[] { @"hh\:mm", "hhmm", "hh" }, CultureInfo.InvariantCulture, out var span))
        {
            return zone.StartsWith("-", StringComparison.Ordinal) ? -span : span;
        }
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(zone).BaseUtcOffset;
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
        catch (InvalidTimeZoneException)
        {
            return null;
        }
    }
}
