using System.Collections.ObjectModel;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ConductorTools.HelpBuilder;

/// <summary>How a parameter takes part in one parameter set.</summary>
public sealed record ParameterSetUse(string SetName, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName);

/// <summary>A cmdlet parameter as PowerShell binds it.</summary>
public sealed record ParameterModel(string Name, string TypeName, bool IsSwitch, bool IsArray, IReadOnlyList<string> Aliases,
    bool SupportsWildcards, IReadOnlyList<ParameterSetUse> Sets)
{
    public const string AllSets = "__AllParameterSets";

    /// <summary>How it is used in <paramref name="setName"/>, or null when it is not part of that set.</summary>
    public ParameterSetUse? In(string setName) =>
        Sets.FirstOrDefault(s => s.SetName == setName) ?? Sets.FirstOrDefault(s => s.SetName == AllSets);
}

/// <summary>A cmdlet as its compiled attributes declare it.</summary>
public sealed record CmdletModel(string Name, string Verb, string Noun, string? DefaultParameterSet, bool SupportsShouldProcess,
    IReadOnlyList<ParameterModel> Parameters, IReadOnlyList<string> OutputTypes)
{
    /// <summary>The parameter sets in Get-Help order: the default first, then by name; one unnamed set when there are none.</summary>
    public IReadOnlyList<string> ParameterSets
    {
        get
        {
            var named = Parameters.SelectMany(p => p.Sets).Select(s => s.SetName).Where(n => n != ParameterModel.AllSets)
                .Distinct(StringComparer.Ordinal).OrderBy(n => n == DefaultParameterSet ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();
            return named.Count > 0 ? named : new[] { ParameterModel.AllSets };
        }
    }
}

/// <summary>
/// Reads the cmdlets of a compiled module through <see cref="MetadataLoadContext"/> (nothing is loaded or run): names,
/// parameters with their types, sets, positions, pipeline binding, aliases and wildcard support, ShouldProcess, and
/// declared output types.
/// </summary>
public static class CmdletReader
{
    private const string Sma = "System.Management.Automation.";

    /// <summary>The System.Management.Automation reference this tool was built with (PowerShellStandard.Library).</summary>
    public static string DefaultPowerShellReference =>
        typeof(CmdletReader).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PowerShellReferencePath").Value!;

    public static IReadOnlyList<CmdletModel> Read(string moduleAssembly, string? powerShellReference = null)
    {
        var moduleDir = Path.GetDirectoryName(Path.GetFullPath(moduleAssembly))!;
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(moduleDir, "*.dll"))
            .Append(powerShellReference ?? DefaultPowerShellReference)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.Last());
        using var context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        var module = context.LoadFromAssemblyPath(Path.GetFullPath(moduleAssembly));
        return module.GetTypes()
            .Where(t => !t.IsAbstract && t.IsPublic)
            .Select(t => (Type: t, Cmdlet: Attribute(t.GetCustomAttributesData(), "CmdletAttribute")))
            .Where(x => x.Cmdlet is not null)
            .Select(x => Cmdlet(x.Type, x.Cmdlet!))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static CustomAttributeData? Attribute(IEnumerable<CustomAttributeData> attributes, string name) =>
        attributes.FirstOrDefault(a => a.AttributeType.FullName == Sma + name);

    private static T? Named<T>(CustomAttributeData attribute, string name, T? fallback = default) =>
        attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => (T?)n.TypedValue.Value).DefaultIfEmpty(fallback).First();

    private static CmdletModel Cmdlet(Type type, CustomAttributeData cmdlet)
    {
        var verb = (string)cmdlet.ConstructorArguments[0].Value!;
        var noun = (string)cmdlet.ConstructorArguments[1].Value!;
        var parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(Parameter)
            .Where(p => p is not null)
            .Select(p => p!)
            .ToList();
        var outputs = type.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == Sma + "OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments.SelectMany(Values))
            .Select(v => v is Type t ? t.FullName ?? t.Name : v?.ToString() ?? "")
            .Where(n => n.Length > 0 && n != "System.Void")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new CmdletModel($"{verb}-{noun}", verb, noun, Named<string>(cmdlet, "DefaultParameterSetName"),
            Named(cmdlet, "SupportsShouldProcess", false), parameters, outputs);
    }

    private static IEnumerable<object?> Values(CustomAttributeTypedArgument argument) =>
        argument.Value is ReadOnlyCollection<CustomAttributeTypedArgument> items ? items.Select(i => i.Value) : new[] { argument.Value };

    private static ParameterModel? Parameter(PropertyInfo property)
    {
        var attributes = property.GetCustomAttributesData();
        var sets = attributes
            .Where(a => a.AttributeType.FullName == Sma + "ParameterAttribute")
            .Select(a =>
            {
                var position = Named(a, "Position", int.MinValue);
                return new ParameterSetUse(Named(a, "ParameterSetName", ParameterModel.AllSets) ?? ParameterModel.AllSets,
                    Named(a, "Mandatory", false), position == int.MinValue ? null : position,
                    Named(a, "ValueFromPipeline", false), Named(a, "ValueFromPipelineByPropertyName", false));
            })
            .ToList();
        if (sets.Count == 0) return null;
        var aliases = attributes.Where(a => a.AttributeType.FullName == Sma + "AliasAttribute")
            .SelectMany(a => a.ConstructorArguments.SelectMany(Values)).OfType<string>().ToList();
        var type = property.PropertyType;
        var isArray = type.IsArray;
        var element = isArray ? type.GetElementType()! : type;
        if (element.IsGenericType && element.GetGenericTypeDefinition().FullName == "System.Nullable`1") element = element.GetGenericArguments()[0];
        var isSwitch = element.FullName == Sma + "SwitchParameter";
        return new ParameterModel(property.Name, element.Name + (isArray ? "[]" : ""), isSwitch, isArray, aliases,
            Attribute(attributes, "SupportsWildcardsAttribute") is not null, sets);
    }
}
