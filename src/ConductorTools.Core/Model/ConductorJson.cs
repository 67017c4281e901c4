using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConductorTools.Model;

/// <summary>
/// The one place that decides how Conductor JSON is read and written: property names are the exact
/// conductor-oss names (declared on each model), nulls are omitted on output (Jackson NON_NULL), unknown
/// properties are kept in each model's extension data, enums are their names, and free-form maps hold plain
/// .NET values (string, long, double, bool, null, <see cref="List{T}"/> of object, <see cref="Dictionary{TKey,TValue}"/>
/// of string to object) so that PowerShell, handlers and the engine all see the same simple shapes.
/// </summary>
public static class ConductorJson
{
    /// <summary>Options for every Conductor payload. Shared and frozen; do not mutate.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions(writeIndented: false);

    /// <summary>The same options with indentation, for files and display.</summary>
    public static JsonSerializerOptions IndentedOptions { get; } = CreateOptions(writeIndented: true);

    /// <summary>
    /// The same options reading names case-insensitively, for what people write (hashtables with PascalCase keys,
    /// ConvertTo-Json exports of model objects); payloads from servers are read with <see cref="Options"/>.
    /// </summary>
    public static JsonSerializerOptions CaseInsensitiveOptions { get; } = CreateOptions(writeIndented: false, caseInsensitive: true);

    private static JsonSerializerOptions CreateOptions(bool writeIndented, bool caseInsensitive = false)
    {
        var options = new JsonSerializerOptions
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            PropertyNameCaseInsensitive = caseInsensitive,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = writeIndented,
            MaxDepth = 256,
        };
        // What people write may hold enums as numbers: ConvertTo-Json writes a .NET enum as its value.
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: caseInsensitive));
        options.Converters.Add(new PlainObjectConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// Compact JSON of a payload value (a map, a list, a model) for display, e.g. a workflow's output in a list view;
    /// null and empty maps read as empty text. Never throws: a value that cannot be written shows as its text.
    /// </summary>
    public static string ToCompactText(object? value)
    {
        if (value is null) return "";
        if (value is System.Collections.ICollection { Count: 0 }) return "";
        try
        {
            return JsonSerializer.Serialize(value, value.GetType(), Options);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            return value.ToString() ?? "";
        }
    }

    public static string Serialize<T>(T value, bool indented = false) =>
        JsonSerializer.Serialize(value, indented ? IndentedOptions : Options);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    /// <summary>Converts a <see cref="JsonElement"/> into the plain .NET shape used in free-form maps.</summary>
    public static object? ToPlain(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    map[property.Name] = ToPlain(property.Value);
                }
                return map;
            case JsonValueKind.Array:
                var list = new List<object?>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    list.Add(ToPlain(item));
                }
                return list;
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var l))
                {
                    return l;
                }
                return element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    /// <summary>Deep copy of a plain value (maps, lists, scalars) so callers can mutate without sharing.</summary>
    public static object? DeepClone(object? value) => value switch
    {
        IDictionary<string, object?> map => CloneMap(map),
        IList<object?> list => list.Select(DeepClone).ToList(),
        _ => value,
    };

    public static Dictionary<string, object?> CloneMap(IDictionary<string, object?>? map)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (map is null)
        {
            return copy;
        }
        foreach (var pair in map)
        {
            copy[pair.Key] = DeepClone(pair.Value);
        }
        return copy;
    }
}

/// <summary>Reads JSON into plain .NET values (see <see cref="ConductorJson"/>); writes any value by its runtime type.</summary>
public sealed class PlainObjectConverter : JsonConverter<object>
{
    public override bool HandleNull => false;

    public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return ConductorJson.ToPlain(document.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, object value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        var type = value.GetType();
        if (type == typeof(object))
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }
        JsonSerializer.Serialize(writer, value, type, options);
    }
}
