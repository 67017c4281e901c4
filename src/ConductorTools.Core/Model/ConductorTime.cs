using System.Globalization;

namespace ConductorTools.Model;

/// <summary>
/// Conductor's timestamps as <see cref="DateTimeOffset"/> values in UTC, for the PowerShell views of the models
/// (<c>Get-Workflow | Where StartTime -gt (Get-Date).AddHours(-1)</c>). The wire format stays as Conductor sends it:
/// epoch milliseconds on workflows, tasks and definitions, ISO 8601 text in search results. A
/// <see cref="DateTimeOffset"/> compares correctly with a local or UTC <see cref="DateTime"/>; 0 and empty mean "not
/// yet" and read as null.
/// </summary>
public static class ConductorTime
{
    /// <summary>Epoch milliseconds to a UTC time; 0 or less (Conductor's "never") and null to null.</summary>
    public static DateTimeOffset? FromEpochMilliseconds(long? milliseconds) =>
        milliseconds is > 0 and <= 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds.Value) : null;

    /// <summary>A search result's time text (ISO 8601, or epoch milliseconds as text) to a UTC time; empty or unreadable to null.</summary>
    public static DateTimeOffset? FromText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)) return FromEpochMilliseconds(ms);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value.ToUniversalTime()
            : null;
    }

    /// <summary>
    /// A time a user gives (DateTimeOffset, DateTime — unspecified kind counts as local, as Get-Date gives —, ISO text or
    /// milliseconds) to epoch milliseconds; null to 0.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a time.</exception>
    public static long ToEpochMilliseconds(object? value) => value switch
    {
        null => 0,
        DateTimeOffset dto => dto.ToUnixTimeMilliseconds(),
        DateTime dt => new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Local) : dt).ToUnixTimeMilliseconds(),
        long or int => System.Convert.ToInt64(value, CultureInfo.InvariantCulture),
        string text when FromText(text) is { } parsed => parsed.ToUnixTimeMilliseconds(),
        string text when text.Length == 0 => 0,
        _ => throw new ArgumentException($"'{value}' is not a time; give a [datetime], a [datetimeoffset] or ISO 8601 text."),
    };

    /// <summary>A time a user gives (see <see cref="ToEpochMilliseconds"/>) as search-result text; null to null.</summary>
    public static string? ToTextOrNull(object? value) =>
        value is null ? null : ToText(DateTimeOffset.FromUnixTimeMilliseconds(ToEpochMilliseconds(value)));

    /// <summary>A time as search results write it (ISO 8601 UTC with milliseconds, e.g. 2026-05-05T10:00:00.000Z).</summary>
    public static string ToText(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
