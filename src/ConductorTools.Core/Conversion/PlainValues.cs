using System.Collections;
using System.Globalization;
using System.Reflection;
using ConductorTools.Model;

namespace ConductorTools.Conversion;

/// <summary>
/// Turns script values (hashtables, ordered dictionaries, arrays, objects, dates, enums) into the plain shapes Conductor
/// payloads hold (see <see cref="ConductorJson"/>), and plain values into typed models. The one place this is decided.
/// </summary>
public static class PlainValues
{
    private const int MaxDepth = 64;

    /// <summary>
    /// Converts <paramref name="value"/>. <paramref name="unwrap"/> lets a host unwrap its own wrapper types first
    /// (PowerShell: PSObject to its base object, or a PSCustomObject to a dictionary of its properties).
    /// </summary>
    /// <exception cref="ArgumentException">The value refers to itself, or nests deeper than 64 levels.</exception>
    public static object? ToPlain(object? value, Func<object, object?>? unwrap = null) =>
        Convert(value, unwrap, new HashSet<object>(ReferenceEqualityComparer.Instance), "$", 0);

    /// <summary>Like <see cref="ToPlain"/> for a value that must be a map (an input, an output).</summary>
    public static Dictionary<string, object?> ToMap(object? value, string what, Func<object, object?>? unwrap = null)
    {
        var plain = ToPlain(value, unwrap);
        return plain switch
        {
            null => new Dictionary<string, object?>(),
            Dictionary<string, object?> map => map,
            _ => throw new ArgumentException($"{what} must be a hashtable or an object with properties; got {plain.GetType().Name}."),
        };
    }

    /// <summary>Reads a model (TaskDef, WorkflowDef, ...) from a plain map or JSON text, with an error naming the bad field.</summary>
    public static T ToModel<T>(object? value, string what, Func<object, object?>? unwrap = null) where T : class
    {
        var json = value is string text ? text : ConductorJson.Serialize(ToPlain(value, unwrap));
        try
        {
            return ConductorJson.Deserialize<T>(json)
                ?? throw new ArgumentException($"{what} is empty.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) ? "" : $" at {ex.Path}";
            throw new ArgumentException($"{what} is not a valid {typeof(T).Name}{where}: {ex.Message}", ex);
        }
    }

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
                default:
                    // Any other object: its public readable properties, like ConvertTo-Json does.
                    var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    {
                        if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
                        properties[property.Name] = Convert(property.GetValue(value), unwrap, path, where + "." + property.Name, depth + 1);
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
