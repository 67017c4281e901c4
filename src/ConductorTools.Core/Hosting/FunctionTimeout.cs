using System.Globalization;
using System.Text.Json;

namespace ConductorTools.Hosting;

/// <summary>Azure Functions hosting plans, as far as function timeouts differ.</summary>
public enum HostingPlan
{
    /// <summary>No <c>WEBSITE_SKU</c>: running locally (Core Tools) or somewhere that does not say; timeouts as Dedicated.</summary>
    Unknown,
    /// <summary>Consumption (<c>WEBSITE_SKU=Dynamic</c>): default 5 minutes, at most 10.</summary>
    Consumption,
    /// <summary>Flex Consumption: default 30 minutes, may be unbounded.</summary>
    FlexConsumption,
    /// <summary>Elastic Premium: default 30 minutes, may be unbounded.</summary>
    Premium,
    /// <summary>Dedicated (App Service plan): default 30 minutes, may be unbounded.</summary>
    Dedicated,
}

/// <summary>
/// A function timeout: how long the host lets one invocation run (host.json <c>functionTimeout</c>, or the plan default),
/// null when unbounded. The rules follow azure-functions-host ScriptJobHostOptionsSetup.
/// </summary>
public sealed record FunctionTimeout(TimeSpan? Value, string Source)
{
    public static readonly TimeSpan ConsumptionDefault = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ConsumptionMax = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan OtherPlansDefault = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    public bool IsUnbounded => Value is null;

    public override string ToString() => $"{(Value is { } v ? v.ToString() : "unbounded")} ({Source})";

    /// <summary>The plan from the <c>WEBSITE_SKU</c> app setting the platform sets.</summary>
    public static HostingPlan PlanFromSku(string? websiteSku) => websiteSku?.Trim() switch
    {
        null or "" => HostingPlan.Unknown,
        var s when s.Equals("Dynamic", StringComparison.OrdinalIgnoreCase) => HostingPlan.Consumption,
        var s when s.Equals("FlexConsumption", StringComparison.OrdinalIgnoreCase) => HostingPlan.FlexConsumption,
        var s when s.Equals("ElasticPremium", StringComparison.OrdinalIgnoreCase) => HostingPlan.Premium,
        _ => HostingPlan.Dedicated,
    };

    /// <summary>The host's default when host.json sets no functionTimeout.</summary>
    public static FunctionTimeout DefaultFor(HostingPlan plan) =>
        new(plan == HostingPlan.Consumption ? ConsumptionDefault : OtherPlansDefault, $"{plan} plan default");

    /// <summary>Parses host.json's format: a TimeSpan (<c>00:10:00</c>), or <c>-1</c> for unbounded.</summary>
    public static bool TryParse(string text, out FunctionTimeout timeout)
    {
        timeout = null!;
        if (text is null) return false;
        // The host binds the value with TimeSpan's invariant parser: "-1" is minus one day, which means unbounded.
        if (!TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value)) return false;
        if (value == TimeSpan.FromDays(-1))
        {
            timeout = new FunctionTimeout(null, "functionTimeout");
            return true;
        }
        if (value < MinTimeout) return false;
        timeout = new FunctionTimeout(value, "functionTimeout");
        return true;
    }

    /// <summary>
    /// The timeout the host applies: <paramref name="configured"/> (host.json or an override) if any, else the plan
    /// default; checked against the plan's limits the way the host checks them.
    /// </summary>
    /// <exception cref="ConductorSettingsException">The configured value is outside what the plan allows.</exception>
    public static FunctionTimeout Resolve(FunctionTimeout? configured, HostingPlan plan)
    {
        if (configured is null) return DefaultFor(plan);
        if (plan == HostingPlan.Consumption && (configured.Value is null || configured.Value > ConsumptionMax))
            throw new ConductorSettingsException(new[]
            {
                $"{configured.Source} is {configured} but the Consumption plan allows at most {ConsumptionMax}: lower it, or move to Flex Consumption (default 30 minutes, may be unbounded).",
            });
        return configured;
    }

    /// <summary>Reads <c>functionTimeout</c> from host.json text; null when it is not set.</summary>
    /// <exception cref="ConductorSettingsException">host.json is not JSON, or functionTimeout is not a timeout.</exception>
    public static FunctionTimeout? FromHostJson(string hostJson, string source = "host.json")
    {
        JsonDocument doc;
        try
        {
            // The host reads host.json leniently (comments, trailing commas); so do we.
            doc = JsonDocument.Parse(hostJson, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConductorSettingsException(new[] { $"{source} is not valid JSON ({e.Message})." });
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var property = doc.RootElement.EnumerateObject().FirstOrDefault(p => p.Name.Equals("functionTimeout", StringComparison.OrdinalIgnoreCase));
            if (property.Value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
            var text = property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetRawText() : property.Value.GetString();
            if (text is null || !TryParse(text, out var timeout))
                throw new ConductorSettingsException(new[] { $"{source} functionTimeout '{text}' is not a timeout: use hh:mm:ss (e.g. \"00:10:00\") or -1 for unbounded." });
            return timeout with { Source = $"{source} functionTimeout" };
        }
    }

    /// <summary>Reads host.json at <paramref name="path"/>; null when the file does not exist or sets no timeout.</summary>
    public static FunctionTimeout? FromHostJsonFile(string path) =>
        File.Exists(path) ? FromHostJson(File.ReadAllText(path), path) : null;
}
