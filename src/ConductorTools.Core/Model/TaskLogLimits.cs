namespace ConductorTools.Model;

/// <summary>
/// The one budget for task execution logs, end to end: workers send at most this much with a result, and the embedded
/// engine stores the same (keeping the newest lines, so a failure reported last is never the one dropped).
/// </summary>
public static class TaskLogLimits
{
    /// <summary>Most log lines one task result carries.</summary>
    public const int MaxLinesPerUpdate = 500;

    /// <summary>Longest log line, in characters.</summary>
    public const int MaxLineLength = 4000;
}
