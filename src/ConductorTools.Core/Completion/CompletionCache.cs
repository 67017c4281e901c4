using System.Runtime.CompilerServices;

namespace ConductorTools.Completion;

/// <summary>
/// Names fetched for tab completion, kept per connection and list for a short time so that pressing Tab repeatedly (or
/// PSReadLine's menu completion re-asking as the user types) does not call the server each time.
/// <list type="bullet">
/// <item>A fetch is waited for at most <see cref="Timeout"/>; a slow answer still arrives in the background and serves the
/// next Tab, and while it is in flight no second request is started.</item>
/// <item>A failed or timed-out fetch yields no names (never an exception) and is remembered for the same time-to-live, so a
/// dead server is not asked on every Tab.</item>
/// <item>Entries belong to the connection object (weakly held), so a new connection starts fresh and a dropped one is
/// forgotten.</item>
/// </list>
/// </summary>
public sealed class CompletionCache
{
    private readonly ConditionalWeakTable<object, Slots> _byConnection = new();
    private readonly TimeProvider _time;

    public CompletionCache(TimeSpan? timeToLive = null, TimeSpan? timeout = null, TimeProvider? timeProvider = null)
    {
        TimeToLive = timeToLive ?? TimeSpan.FromSeconds(10);
        Timeout = timeout ?? TimeSpan.FromSeconds(3);
        if (TimeToLive < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeToLive));
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How long fetched names (or a failure) are reused.</summary>
    public TimeSpan TimeToLive { get; }

    /// <summary>How long a completion waits for a fetch.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// The names of list <paramref name="list"/> for <paramref name="connection"/>: cached when fresh, else from
    /// <paramref name="fetch"/> (given a token cancelled after the timeout). Empty on failure or timeout; never throws.
    /// </summary>
    public IReadOnlyList<string> Get(object connection, string list, Func<CancellationToken, Task<IEnumerable<string>>> fetch)
    {
        if (connection is null) throw new ArgumentNullException(nameof(connection));
        if (fetch is null) throw new ArgumentNullException(nameof(fetch));
        var slots = _byConnection.GetValue(connection, _ => new Slots());
        Entry entry;
        lock (slots)
        {
            if (!slots.Entries.TryGetValue(list, out entry!) || _time.GetUtcNow() - entry.StartedAt >= TimeToLive)
            {
                entry = new Entry(_time.GetUtcNow(), Start(fetch));
                slots.Entries[list] = entry;
            }
        }
        return Wait(entry.Names);
    }

    /// <summary>Forgets everything cached (e.g. after definitions changed in this session).</summary>
    public void Clear(object connection)
    {
        if (connection is not null) _byConnection.Remove(connection);
    }

    private Task<IReadOnlyList<string>> Start(Func<CancellationToken, Task<IEnumerable<string>>> fetch)
    {
        // The fetch may block before its first await (a synchronous engine call), so it starts on the thread pool.
        var cancel = new CancellationTokenSource();
        cancel.CancelAfter(Timeout + Timeout); // the request itself gets a little longer than the wait, to warm the cache
        return Task.Run(async () =>
        {
            try
            {
                var names = await fetch(cancel.Token).ConfigureAwait(false);
                return (IReadOnlyList<string>)(names ?? Enumerable.Empty<string>()).Where(n => !string.IsNullOrEmpty(n)).ToList();
            }
#pragma warning disable CA1031 // Tab completion must never fail: any error means no names.
            catch (Exception)
#pragma warning restore CA1031
            {
                return Array.Empty<string>();
            }
            finally
            {
                cancel.Dispose();
            }
        });
    }

    private IReadOnlyList<string> Wait(Task<IReadOnlyList<string>> names)
    {
        try
        {
            return names.Wait(Timeout) ? names.Result : Array.Empty<string>();
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
            return Array.Empty<string>();
        }
    }

    private sealed class Slots
    {
        public Dictionary<string, Entry> Entries { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Entry
    {
        public Entry(DateTimeOffset startedAt, Task<IReadOnlyList<string>> names)
        {
            StartedAt = startedAt;
            Names = names;
        }

        public DateTimeOffset StartedAt { get; }

        public Task<IReadOnlyList<string>> Names { get; }
    }
}
