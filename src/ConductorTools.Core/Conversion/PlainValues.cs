using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using ConductorTools.Model;

namespace ConductorTools.Conversion;

/// <summary>
/// Turns script values (hashtables, ordered dictionaries, arrays, objects, dates, enums) into the plain shapes Conductor
/// payloads hold (see <see cref="ConductorJson"/>), and plain values into typed models. The one place this is decided:
/// cmdlet parameters (-Input, -Output, definitions) and script-block worker output both convert here, so a [datetime]
/// is ISO 8601 text (UTC) wherever it goes.
/// </summary>
public static class PlainValues
{
    private const int MaxDepth = 64;

    // Objects that are not maps, lists or models become maps of their properties at the top two levels only.
    private const int MaxObjectDepth = 1;

    /// <summary>
    /// Converts <paramref name="value"/>. <paramref name="unwrap"/> lets a host unwrap its own wrapper types first
    /// (PowerShell: PSObject to its base object, or a PSCustomObject to a dictionary of its properties).
    /// </summary>
    /// <exception cref="ArgumentException">The value refers to itself, or nests deeper than 64 levels.</exception>
    public static object? ToPlain(object? value, Func<object, object?>? unwrap = null) =>
        Convert(value, unwrap, new HashSet<object>(ReferenceEqualityComparer.Instance), "$", 0);

    /// <summary>Like <see cref="ToPlain"/> for a value that must be a map (an input, an output).</summary>
    /// <remarks>JSON text holding an object is read as that object (<c>Start-Workflow hello '{"name":"Ann"}'</c>).</remarks>
    public static Dictionary<string, object?> ToMap(object? value, string what, Func<object, object?>? unwrap = null)
    {
        var raw = value is not null && unwrap is not null ? unwrap(value) : value;
        if (raw is string text && text.TrimStart().StartsWith("{", StringComparison.Ordinal))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                return (Dictionary<string, object?>)ConductorJson.ToPlain(document.RootElement)!;
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"{what} is not valid JSON: {ex.Message}", ex);
            }
        }
        var plain = ToPlain(value, unwrap);
        return plain switch
        {
            null => new Dictionary<string, object?>(),
            Dictionary<string, object?> map => map,
            _ => throw new ArgumentException($"{what} must be a hashtable, an object with properties or JSON text of an object; got {plain.GetType().Name}."),
        };
    }

    /// <summary>
    /// Reads a model (TaskDef, WorkflowDef, ...) from a model object (as is), a plain map or JSON text, with an error
    /// naming the bad field. Field names are matched case-insensitively (<c>@{ Name = 'x' }</c> works like
    /// <c>@{ name = 'x' }</c>), and the <c>AdditionalProperties</c> of an exported model object are folded back in.
    /// </summary>
    public static T ToModel<T>(object? value, string what, Func<object, object?>? unwrap = null) where T : class
    {
        var raw = value is not null && unwrap is not null ? unwrap(value) : value;
        if (raw is T model) return model;
        string json;
        try
        {
            json = raw is string text ? text : ConductorJson.Serialize(FoldExtensionData(ToPlain(raw, unwrap)));
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{what} cannot be read as a {typeof(T).Name}: {ex.Message}", ex);
        }
        try
        {
            var read = JsonSerializer.Deserialize<T>(json, ConductorJson.CaseInsensitiveOptions)
                ?? throw new ArgumentException($"{what} is empty.");
            if (raw is string) FoldModelExtensionData(read);
            return read;
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) ? "" : $" at {ex.Path}";
            throw new ArgumentException($"{what} is not a valid {typeof(T).Name}{where}: {ex.Message}", ex);
        }
    }

    private const string ExtensionDataName = "AdditionalProperties";

    // A model exported with ConvertTo-Json carries its [JsonExtensionData] property as a key of its own: its entries are
    // the model's unknown fields, so they go back to the top level (without replacing a field of the same name).
    private static object? FoldExtensionData(object? plain)
    {
        switch (plain)
        {
            case Dictionary<string, object?> map:
                var key = map.Keys.FirstOrDefault(k => string.Equals(k, ExtensionDataName, StringComparison.OrdinalIgnoreCase));
                if (key is not null)
                {
                    var extra = map[key];
                    map.Remove(key);
                    if (extra is Dictionary<string, object?> entries)
                    {
                        foreach (var entry in entries)
                        {
                            if (!map.ContainsKey(entry.Key)) map[entry.Key] = entry.Value;
                        }
                    }
                }
                foreach (var name in map.Keys.ToList()) map[name] = FoldExtensionData(map[name]);
                return map;
            case List<object?> list:
                for (var i = 0; i < list.Count; i++) list[i] = FoldExtensionData(list[i]);
                return list;
            default:
                return plain;
        }
    }

    // JSON text read case-insensitively leaves an "AdditionalProperties" key in the model's own extension data.
    private static void FoldModelExtensionData(object model)
    {
        var property = model.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.GetCustomAttribute<JsonExtensionDataAttribute>() is not null);
        if (property?.GetValue(model) is not Dictionary<string, JsonElement> extension) return;
        var key = extension.Keys.FirstOrDefault(k => string.Equals(k, ExtensionDataName, StringComparison.OrdinalIgnoreCase));
        if (key is null) return;
        var nested = extension[key];
        extension.Remove(key);
        if (nested.ValueKind != JsonValueKind.Object) return;
        foreach (var entry in nested.EnumerateObject())
        {
            if (!extension.ContainsKey(entry.Name)) extension[entry.Name] = entry.Value.Clone();
        }
    }

    // Model types (ConductorTools.Model) are converted through their JSON contract, so their fields keep Conductor's names.
    private static bool IsJsonModel(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null);

    private static object? Convert(object? value, Func<object, object?>? unwrap, HashSet<object> path, string where, int depth)
    {
        if (value is null) return null;
        if (unwrap is not null) value = unwrap(value);
        switch (value)
        {
            case null: return null;
            case string s: return s;
            case bool b: return b;
            case char c: return c.ToString();
            case byte or sbyte or short or ushort or int or uint or long: return System.Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case ulong ul: return ul <= long.MaxValue ? (object)(long)ul : (double)ul;
            case float f: return (double)f;
            case double d: return d;
            case decimal m: return decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue ? (object)(long)m : (double)m;
            case DateTime dt: return (dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Local) : dt).ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);
            case DateTimeOffset dto: return dto.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);
            case TimeSpan ts: return ts.ToString("c", CultureInfo.InvariantCulture);
            case Guid g: return g.ToString();
            case Uri u: return u.ToString();
            case Enum e: return e.ToString();
            case System.Text.Json.JsonElement element: return ConductorJson.ToPlain(element);
        }
        if (depth >= MaxDepth) throw new ArgumentException($"The value nests deeper than {MaxDepth} levels at {where}; is it recursive?");
        if (!path.Add(value)) throw new ArgumentException($"The value refers to itself at {where}; Conductor payloads must be trees, not cycles.");
        try
        {
            switch (value)
            {
                case IDictionary dictionary:
                    var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        var key = System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
                        map[key] = Convert(entry.Value, unwrap, path, where + "." + key, depth + 1);
                    }
                    return map;
                case IEnumerable sequence:
                    var list = new List<object?>();
                    var index = 0;
                    foreach (var item in sequence) list.Add(Convert(item, unwrap, path, $"{where}[{index++}]", depth + 1));
                    return list;
                case var _ when IsJsonModel(value.GetType()):
                    return ConductorJson.ToPlain(JsonSerializer.SerializeToElement(value, value.GetType(), ConductorJson.Options));
                case var _ when depth > MaxObjectDepth:
                    // Deeper down, other objects' property graphs can be huge (a FileInfo's Directory's Parent ...):
                    // their text, the way ConvertTo-Json stops at its depth.
                    return value.ToString();
                default:
                    // Any other object near the top: its public readable properties, like ConvertTo-Json does; a
                    // property whose getter throws is left out.
                    var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    {
                        if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
                        object? propertyValue;
                        try
                        {
                            propertyValue = property.GetValue(value);
                        }
                        catch (TargetInvocationException)
                        {
                            continue;
                        }
                        properties[property.Name] = Convert(propertyValue, unwrap, path, where + "." + property.Name, depth + 1);
                    }
                    return properties;
            }
        }
        finally
        {
            path.Remove(value);
        }
    }

    private sealed class ReferenceEqualityComparer : IEqualityComparer<object>
    {
        public static readonly ReferenceEqualityComparer Instance = new();
        public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);
        public int GetHashCode(object obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }
}
