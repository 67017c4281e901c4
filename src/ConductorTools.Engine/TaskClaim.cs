using ConductorTools.Model;

namespace ConductorTools.Engine;

/// <summary>
/// The tasks one poll handed out, with what the hand-out changed. A host whose answer cannot reach the poller (the
/// request was aborted before or while the answer was written) gives the claim back with
/// <see cref="EmbeddedConductor.ReturnClaimAsync"/>, so the tasks are SCHEDULED again at once instead of waiting
/// IN_PROGRESS for their response timeout.
/// </summary>
public sealed class TaskClaim
{
    internal static readonly TaskClaim Empty = new(Array.Empty<ConductorTask>(), Array.Empty<Entry>());

    internal TaskClaim(IReadOnlyList<ConductorTask> tasks, IReadOnlyList<Entry> entries)
    {
        Tasks = tasks;
        Entries = entries;
    }

    /// <summary>The tasks handed out (IN_PROGRESS), in queue order.</summary>
    public IReadOnlyList<ConductorTask> Tasks { get; }

    internal IReadOnlyList<Entry> Entries { get; }

    /// <summary>One task's state before the hand-out (<c>Previous*</c>, its queue place) and the marks the hand-out left
    /// (<c>ClaimedPollCount</c>, <c>ClaimedAt</c>, <c>ClaimedBy</c>), by which a later return knows nothing else touched it.</summary>
    internal sealed record Entry(
        string TaskId, string Queue, long VisibleAt, int Priority, long Enqueued,
        long PreviousStartTime, long PreviousFirstStartTime, long PreviousCallbackAfterSeconds, string? PreviousWorkerId,
        long PreviousUpdateTime, long PreviousQueueWaitTime,
        int ClaimedPollCount, long ClaimedAt, string? ClaimedBy);
}
