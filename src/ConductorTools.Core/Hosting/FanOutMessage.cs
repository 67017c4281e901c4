using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace ConductorTools.Hosting;

/// <summary>
/// One work message of the fan-out: "run one bounded cycle of <see cref="Group"/>". It carries no task: a cycle polls
/// Conductor for its group's task types, so a duplicate or late message only starts a cycle that finds less to do.
/// JSON on the queue: <c>{"group":"default","created":"2026-12-01T23:00:00.0000000+00:00","id":"…"}</c>.
/// </summary>
public sealed record FanOutMessage(string Group, DateTimeOffset Created, string Id)
{
    /// <summary>A new message for <paramref name="group"/> created at <paramref name="now"/>.</summary>
    public static FanOutMessage Create(string group, DateTimeOffset now) => new(group, now, Guid.NewGuid().ToString("N"));

    /// <summary>The message's JSON text (what goes on the queue).</summary>
    public string ToJson() =>
        "{\"group\":" + JsonSerializer.Serialize(Group) +
        ",\"created\":\"" + Created.ToString("O", CultureInfo.InvariantCulture) +
        "\",\"id\":" + JsonSerializer.Serialize(Id) + "}";

    /// <summary>How long the message waited, as seen at <paramref name="now"/> (never negative).</summary>
    public TimeSpan Age(DateTimeOffset now) => now > Created ? now - Created : TimeSpan.Zero;

    /// <summary>
    /// Reads a message as a trigger hands it over: its JSON text (the .NET app binds a string), or the hashtable the
    /// PowerShell worker makes of a JSON message. Names are matched case-insensitively.
    /// </summary>
    /// <exception cref="FanOutMessageException">Not a work message: not JSON, not an object, no group, or a bad created time.</exception>
    public static FanOutMessage Parse(object? message)
    {
        switch (message)
        {
            case null:
                throw new FanOutMessageException("The work message is empty.");
            case string text:
                return ParseJson(text);
            case IDictionary dictionary:
                string? group = null, id = null;
                object? created = null;
                foreach (DictionaryEntry entry in dictionary)
                {
                    var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
                    if (string.Equals(key, "group", StringComparison.OrdinalIgnoreCase)) group = entry.Value as string ?? Convert.ToString(entry.Value, CultureInfo.InvariantCulture);
                    else if (string.Equals(key, "created", StringComparison.OrdinalIgnoreCase)) created = entry.Value;
                    else if (string.Equals(key, "id", StringComparison.OrdinalIgnoreCase)) id = Convert.ToString(entry.Value, CultureInfo.InvariantCulture);
                }
                return Build(group, created, id, Describe(dictionary));
            default:
                return ParseJson(Convert.ToString(message, CultureInfo.InvariantCulture) ?? "");
        }
    }

    private static FanOutMessage ParseJson(string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new FanOutMessageException($"The work message is not JSON ({e.Message}): '{Shorten(text)}'.");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new FanOutMessageException($"The work message is not a JSON object: '{Shorten(text)}'.");
            string? group = null, id = null;
            object? created = null;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
                if (property.Name.Equals("group", StringComparison.OrdinalIgnoreCase)) group = property.Value.ValueKind == JsonValueKind.String ? value : null;
                else if (property.Name.Equals("created", StringComparison.OrdinalIgnoreCase)) created = value;
                else if (property.Name.Equals("id", StringComparison.OrdinalIgnoreCase)) id = value;
            }
            return Build(group, created, id, Shorten(text));
        }
    }

    private static FanOutMessage Build(string? group, object? created, string? id, string shown)
    {
        if (string.IsNullOrWhiteSpace(group))
            throw new FanOutMessageException($"The work message names no group (expected {{\"group\":\"default\",\"created\":\"<ISO 8601 time>\"}}): '{shown}'.");
        DateTimeOffset when;
        switch (created)
        {
            case DateTimeOffset dto: when = dto; break;
            case DateTime dt: when = new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt); break;
            case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed): when = parsed; break;
            default:
                throw new FanOutMessageException($"The work message's 'created' is missing or not a time (ISO 8601): '{shown}'.");
        }
        return new FanOutMessage(group!.Trim(), when, string.IsNullOrWhiteSpace(id) ? "" : id!);
    }

    private static string Describe(IDictionary dictionary)
    {
        var parts = new List<string>();
        foreach (DictionaryEntry entry in dictionary) parts.Add($"{entry.Key}={entry.Value}");
        return Shorten("@{" + string.Join("; ", parts) + "}");
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text.Substring(0, 200) + "…";
}

/// <summary>A queue message is not a fan-out work message (or is for another group). The queue function fails, so the
/// Functions host retries it up to maxDequeueCount and then moves it to the <c>-poison</c> queue; no cycle runs for it.</summary>
public sealed class FanOutMessageException : Exception
{
    public FanOutMessageException(string message) : base(message)
    {
    }
}

/// <summary>
/// The little the fan-out needs of a Storage queue (ConductorTools.Storage implements it with Azure.Storage.Queues). One
/// queue per task-type group (<see cref="ConductorHostSettings.FanOutQueueFor"/>).
/// </summary>
public interface IFanOutQueue
{
    /// <summary>The queue's name.</summary>
    string Name { get; }

    /// <summary>
    /// The queue's approximate message count: messages waiting and messages being processed (a message stays on the queue,
    /// invisible, until its function succeeds and the host deletes it). It is the group's cycles queued or running.
    /// </summary>
    Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default);

    /// <summary>Puts a message (its text; the queue encodes it as the trigger expects) on the queue, living <paramref name="timeToLive"/>.</summary>
    Task SendAsync(string message, TimeSpan timeToLive, CancellationToken cancellationToken = default);
}
