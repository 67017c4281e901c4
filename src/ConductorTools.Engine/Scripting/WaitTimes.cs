using System.Globalization;
using System.Text.RegularExpressions;

namespace ConductorTools.Engine.Scripting;

/// <summary>WAIT task inputs: <c>duration</c> ("10s", "5m", "1h 30m", "2 days") and <c>until</c>
/// ("yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm z", "yyyy-MM-dd"; no zone means UTC).</summary>
public static class WaitTimes
{
    private static readonly Regex DurationPart = new(
        @"\G\s*(\d+)\s*(days|day|d|hours|hour|hrs|hr|h|minutes|minute|mins|min|m|seconds|second|secs|sec|s)(?![a-z])\s*,?",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public static TimeSpan ParseDuration(string text)
    {
        var trimmed = (text ?? "").Trim();
        var total = TimeSpan.Zero;
        var position = 0;
        var parts = 0;
        while (position < trimmed.Length)
        {
            var match = DurationPart.Match(trimmed, position);
            if (!match.Success || match.Length == 0)
            {
                throw new FormatException($"Unable to parse the WAIT duration '{text}': use numbers with d, h, m or s units, e.g. '1h 30m'.");
            }
            var amount = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            total += char.ToLowerInvariant(match.Groups[2].Value[0]) switch
            {
                'd' => TimeSpan.FromDays(amount),
                'h' => TimeSpan.FromHours(amount),
                'm' => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromSeconds(amount),
            };
            position += match.Length;
            parts++;
        }
        if (parts == 0)
        {
            throw new FormatException($"Unable to parse the WAIT duration '{text}': use numbers with d, h, m or s units, e.g. '1h 30m'.");
        }
        return total;
    }

    public static DateTimeOffset ParseUntil(string text)
    {
        var trimmed = (text ?? "").Trim();
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        foreach (var format in new[] { "yyyy-MM-dd HH:mm", "yyyy-MM-dd" })
        {
            if (DateTimeOffset.TryParseExact(trimmed, format, CultureInfo.InvariantCulture, styles, out var plain))
            {
                return plain;
            }
        }
        // "yyyy-MM-dd HH:mm z": a zone name (UTC/GMT/Z) or an offset (+02:00, +0200).
        var split = trimmed.LastIndexOf(' ');
        if (split > 0 && DateTime.TryParseExact(trimmed.Substring(0, split), "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            var zone = trimmed.Substring(split + 1);
            if (zone is "UTC" or "GMT" or "Z")
            {
                return new DateTimeOffset(local, TimeSpan.Zero);
            }
            var offsetText = zone.Replace(":", "");
            if (offsetText.Length == 5 && (offsetText[0] == '+' || offsetText[0] == '-')
                && int.TryParse(offsetText.Substring(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
                && int.TryParse(offsetText.Substring(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
            {
                var offset = new TimeSpan(hours, minutes, 0);
                return new DateTimeOffset(local, offsetText[0] == '-' ? -offset : offset);
            }
        }
        throw new FormatException($"Unable to parse the WAIT until '{text}': use 'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm z' (UTC or +hh:mm) or 'yyyy-MM-dd'.");
    }
}
