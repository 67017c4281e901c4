using System.Globalization;

namespace ConductorTools.Workers;

/// <summary>
/// Worker settings from the environment, named as the official SDKs name them. For each property the first found wins:
/// <c>conductor.worker.&lt;name&gt;.&lt;prop&gt;</c>, <c>CONDUCTOR_WORKER_&lt;NAME&gt;_&lt;PROP&gt;</c>,
/// <c>conductor.worker.all.&lt;prop&gt;</c>, <c>CONDUCTOR_WORKER_ALL_&lt;PROP&gt;</c>; then what the code set.
/// Properties: poll_interval (ms), domain, worker_id, thread_count, poll_timeout (ms), lease_extend_enabled, paused.
/// </summary>
public static class WorkerEnvironment
{
    public static readonly IReadOnlyList<string> Properties =
        new[] { "poll_interval", "domain", "worker_id", "thread_count", "poll_timeout", "lease_extend_enabled", "paused" };

    /// <summary>Applies overrides for <paramref name="taskType"/> to <paramref name="options"/>; a bad value is an error naming the variable.</summary>
    public static void Apply(WorkerOptions options, string taskType, Func<string, string?>? getVariable = null)
    {
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

    private static (string Name, string? Value) Find(string property, string taskType, Func<string, string?> getVariable)
    {
        var camel = ToCamel(property);
        var upperType = Sanitize(taskType);
        string[] names =
        {
            $"conductor.worker.{taskType}.{property}", $"conductor.worker.{taskType}.{camel}",
            $"CONDUCTOR_WORKER_{upperType}_{property.ToUpperInvariant()}",
            $"conductor.worker.all.{property}", $"conductor.worker.all.{camel}",
            $"CONDUCTOR_WORKER_ALL_{property.ToUpperInvariant()}",
        };
        foreach (var name in names)
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
        if (bool.TryParse(value, out var b)) return b;
        if (value == "1") return true;
        if (value == "0") return false;
        throw new FormatException($"Environment variable {name} is '{value}'; use true or false.");
    }
}
