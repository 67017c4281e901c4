using System.Collections;
using System.Management.Automation;
using ConductorTools.Model;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// PowerShell values to the plain values of Conductor maps: hashtables and other dictionaries to
/// <c>Dictionary&lt;string, object?&gt;</c>, PSCustomObject and other objects' properties to dictionaries, enumerables to
/// lists, primitives as they are, a <see cref="TaskResult"/> unwrapped as is; other objects' properties to maps near
/// the top level and to strings deeper down.
/// </summary>
internal static class PSValueConverter
{
    private const int MaxDepth = 64;

    public static object? ToPlain(object? value) => ToPlain(value, 0);

    private static object? ToPlain(object? value, int depth)
    {
        if (value is null) return null;
        if (depth > MaxDepth) throw new InvalidOperationException($"The output is nested more than {MaxDepth} levels deep (a cycle?); output plain data.");
        var pso = value as PSObject;
        var baseObject = pso?.BaseObject ?? value;
        switch (baseObject)
        {
            case TaskResult result: return result;
            case string or bool or char: return baseObject;
            case byte or sbyte or short or ushort or int or uint or long: return Convert.ToInt64(baseObject, System.Globalization.CultureInfo.InvariantCulture);
            case ulong or float or double or decimal: return baseObject;
            case DateTime or DateTimeOffset or Guid or TimeSpan or Uri or Enum: return baseObject.ToString();
            case IDictionary dictionary:
            {
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dictionary)
                {
                    map[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] = ToPlain(entry.Value, depth + 1);
                }
                return map;
            }
            case IEnumerable enumerable:
            {
                var list = new List<object?>();
                foreach (var item in enumerable) list.Add(ToPlain(item, depth + 1));
                return list;
            }
        }
        // PSCustomObject becomes a map at any depth; other .NET objects only near the top, since their property graphs
        // can be huge or cyclic (the way ConvertTo-Json limits depth).
        if (baseObject is PSCustomObject || (depth <= 1 && baseObject is not ValueType))
        {
            var source = pso ?? new PSObject(baseObject);
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in source.Properties)
            {
                if (!property.IsGettable) continue;
                object? propertyValue;
                try
                {
                    propertyValue = property.Value;
                }
                catch (GetValueException)
                {
                    continue; // a property whose getter throws is left out, as ConvertTo-Json does
                }
                map[property.Name] = ToPlain(propertyValue, depth + 1);
            }
            return map;
        }
        return baseObject.ToString();
    }
}
