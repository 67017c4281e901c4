using System.Globalization;

namespace ConductorTools.Workers;

/// <summary>
/// Worker settings from the environment, named as the official SDKs name them. For each property the first found wins:
/// <c>conductor.worker.&lt;name&gt;.&lt;prop&gt;</c>, <c>CONDUCTOR_WORKER_&lt;NAME&gt;_&lt;PROP&gt;</c>,
/// <c>conductor.worker.all.&lt;prop&gt;</c>, <c>CONDUCTOR_WORKER_ALL_&lt;PROP&gt;</c>; then what the code set.
/// Properties: poll_interval (ms), domain, worker_id, thread_count, poll_timeout (ms), lease_extend_enabled, paused.
/// Dotted names also match in camelCase (<c>conductor.worker.all.pollInterval</c>); <c>&lt;NAME&gt;</c> is the task type in
/// upper case with every character other than a letter or digit replaced by <c>_</c> (the plain upper-case name is also
/// read, as the JavaScript SDK spells it). Aliases: <c>concurrency</c> (JavaScript SDK) for thread_count,
/// <c>polling_interval</c> (Python SDK) for poll_interval. Booleans: true/false, 1/0, yes/no, on/off.
/// </summary>
public static class WorkerEnvironment
{
    public static readonly IReadOnlyList<string> Properties =
        new[] { "poll_interval", "domain", "worker_id", "thread_count", "poll_timeout", "lease_extend_enabled", "paused" };

    private static readonly IReadOnlyDictionary<string, string[]> Aliases = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["poll_interval"] = new[] { "poll_interval", "polling_interval" },
        ["thread_count"] = new[] { "thread_count", "concurrency" },
    };

    /// <summary>Applies overrides for <paramref name="taskType"/> to <paramref name="options"/>; a bad value is an error naming the variable.</summary>
    public static void Apply(WorkerOptions options, string taskType, Func<string, string?>? getVariable = null)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        if (taskType is null) throw new ArgumentNullException(nameof(taskType));
        getVariable ??= Environment.GetEnvironmentVariable;
        foreach (var property in Properties)
        {
            var (name, value) = Find(property, taskType, getVariable);
            if (value is null) continue;
            switch (property)
            {
                case "poll_interval": options.PollInterval = TimeSpan.FromMilliseconds(ParseInt(name, value, 0)); break;
                case "domain": options.Domain = value.Length == 0 ? null : value; break;
                case "worker_id": options.WorkerId = value; break;
                case "thread_count": options.Concurrency = ParseInt(name, value, 1); break;
                case "poll_timeout": options.LongPollTimeout = TimeSpan.FromMilliseconds(Math.Min(5000, ParseInt(name, value, 0))); break;
                case "lease_extend_enabled": options.LeaseExtendEnabled = ParseBool(name, value); break;
                case "paused": options.Paused = ParseBool(name, value); break;
            }
        }
    }

    /// <summary>The variable names read for <paramref name="property"/> of <paramref name="taskType"/>, first match wins.</summary>
    public static IReadOnlyList<string> NamesFor(string property, string taskType)
    {
        var spellings = Aliases.TryGetValue(property, out var a) ? a : new[] { property };
        var sanitized = Sanitize(taskType);
        var upper = taskType.ToUpperInvariant();
        var names = new List<string>();
        void Level(Func<string, IEnumerable<string>> forms)
        {
            foreach (var spelling in spellings)
            {
                foreach (var name in forms(spelling))
                {
                    if (!names.Contains(name)) names.Add(name);
                }
            }
        }
        Level(p => new[] { $"conductor.worker.{taskType}.{p}", $"conductor.worker.{taskType}.{ToCamel(p)}" });
        Level(p => new[] { $"CONDUCTOR_WORKER_{sanitized}_{p.ToUpperInvariant()}", $"CONDUCTOR_WORKER_{upper}_{p.ToUpperInvariant()}" });
        Level(p => new[] { $"conductor.worker.all.{p}", $"conductor.worker.all.{ToCamel(p)}" });
        Level(p => new[] { $"CONDUCTOR_WORKER_ALL_{p.ToUpperInvariant()}" });
        return names;
    }

    private static (string Name, string? Value) Find(string property, string taskType, Func<string, string?> getVariable)
    {
        foreach (var name in NamesFor(property, taskType))
        {
            var value = getVariable(name);
            if (value is not null) return (name, value.Trim());
        }
        return ("", null);
    }

    private static string Sanitize(string taskType) =>
        new string(taskType.Select(c => char.IsLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());

    private static string ToCamel(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));
    }

    private static int ParseInt(string name, string value, int min)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min) return n;
        throw new FormatException($"Environment variable {name} is '{value}'; it must be a whole number of at least {min}.");
    }

    private static bool ParseBool(string name, string value)
    {
        switch (value.ToLowerInvariant())
        {
            case "true": case "1": case "yes": case "on": return true;
            case "false": case "0": case "no": case "off": return false;
            default: throw new FormatException($"Environment variable {name} is '{value}'; use true or false (or 1/0, yes/no, on/off).");
        }
    }
}
