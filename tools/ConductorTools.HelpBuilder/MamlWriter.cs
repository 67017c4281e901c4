using System.Globalization;
using System.Xml.Linq;

namespace ConductorTools.HelpBuilder;

/// <summary>
/// Writes PowerShell's MAML command help (the &lt;Module&gt;.dll-Help.xml that Get-Help reads for a binary module): prose
/// from the markdown pages, parameter facts (types, sets, positions, pipeline input, aliases, wildcards) from the compiled
/// cmdlets, so the syntax Get-Help shows cannot drift from what PowerShell binds.
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    private static readonly IReadOnlyDictionary<string, string> ShouldProcessParameters = new Dictionary<string, string>
    {
        ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run.",
        ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
    };

    private static readonly IReadOnlyDictionary<string, string> ShouldProcessAliases = new Dictionary<string, string>
    {
        ["WhatIf"] = "wi",
        ["Confirm"] = "cf",
    };

    /// <summary>
    /// The help document for <paramref name="cmdlets"/>, each with its page from <paramref name="pages"/>. Problems
    /// (a cmdlet without a page, a page without synopsis, description or example, a parameter without a description, a
    /// documented parameter that does not exist) are collected in <paramref name="problems"/>.
    /// </summary>
    public static XDocument Write(IReadOnlyList<CmdletModel> cmdlets, IReadOnlyDictionary<string, CommandHelp> pages, List<string> problems)
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"));
        foreach (var cmdlet in cmdlets)
        {
            if (!pages.TryGetValue(cmdlet.Name, out var page))
            {
                problems.Add($"{cmdlet.Name}: no help page (docs/en-US/{cmdlet.Name}.md).");
                continue;
            }
            root.Add(CommandElement(cmdlet, page, problems));
        }
        foreach (var page in pages.Keys.Where(p => cmdlets.All(c => c.Name != p)))
        {
            problems.Add($"{page}: a help page for a cmdlet the module does not have.");
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static XElement CommandElement(CmdletModel cmdlet, CommandHelp page, List<string> problems)
    {
        if (page.Synopsis.Count == 0) problems.Add($"{cmdlet.Name}: no SYNOPSIS.");
        if (page.Description.Count == 0) problems.Add($"{cmdlet.Name}: no DESCRIPTION.");
        if (page.Examples.Count == 0 || page.Examples.Any(e => e.Code.Length == 0)) problems.Add($"{cmdlet.Name}: an example with code is missing.");
        if (!page.Syntax.SequenceEqual(SyntaxText.Comparable(SyntaxText.For(cmdlet))))
        {
            problems.Add($"{cmdlet.Name}: the SYNTAX section is not the compiled cmdlet's ({string.Join(" | ", SyntaxText.Comparable(SyntaxText.For(cmdlet)))}); run the help builder with --update-syntax.");
        }
        var parameters = AllParameters(cmdlet);
        foreach (var parameter in parameters)
        {
            if (!page.Parameters.TryGetValue(parameter.Name, out var text) || text.Count == 0)
            {
                if (!ShouldProcessParameters.ContainsKey(parameter.Name)) problems.Add($"{cmdlet.Name}: -{parameter.Name} has no description.");
            }
        }
        foreach (var documented in page.Parameters.Keys.Where(d => parameters.All(p => !p.Name.Equals(d, StringComparison.OrdinalIgnoreCase))))
        {
            problems.Add($"{cmdlet.Name}: documents -{documented}, which it does not have.");
        }

        return new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", cmdlet.Name),
                new XElement(Command + "verb", cmdlet.Verb),
                new XElement(Command + "noun", cmdlet.Noun),
                Description(page.Synopsis)),
            Description(page.Description),
            new XElement(Command + "syntax", cmdlet.ParameterSets.Select(set => new XElement(Command + "syntaxItem",
                new XElement(Maml + "name", cmdlet.Name),
                parameters.Where(p => p.In(set) is not null)
                    .OrderBy(p => p.In(set)!.Position ?? int.MaxValue)
                    .ThenBy(p => p.In(set)!.Mandatory ? 0 : 1)
                    .Select(p => ParameterElement(p, p.In(set)!, page, inSyntax: true))))),
            new XElement(Command + "parameters", parameters.Select(p => ParameterElement(p, Summary(p), page, inSyntax: false))),
            new XElement(Command + "inputTypes", InputTypes(cmdlet, page)),
            new XElement(Command + "returnValues", ReturnValues(cmdlet, page)),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(page.Notes))),
            new XElement(Command + "examples", page.Examples.Select((e, i) => new XElement(Command + "example",
                new XElement(Maml + "title", $"-------------------------- {Title(e.Title, i)} --------------------------"),
                new XElement(Dev + "code", e.Code),
                new XElement(Dev + "remarks", Paras(e.Remarks))))),
            new XElement(Command + "relatedLinks", page.Links.Select(l => new XElement(Maml + "navigationLink",
                new XElement(Maml + "linkText", l.Text),
                new XElement(Maml + "uri", l.Uri)))));
    }

    /// <summary>The declared parameters, then -WhatIf and -Confirm for cmdlets that support ShouldProcess.</summary>
    private static List<ParameterModel> AllParameters(CmdletModel cmdlet)
    {
        var parameters = cmdlet.Parameters.ToList();
        if (cmdlet.SupportsShouldProcess)
        {
            foreach (var name in ShouldProcessParameters.Keys)
            {
                parameters.Add(new ParameterModel(name, "SwitchParameter", true, false, new[] { ShouldProcessAliases[name] }, false,
                    new[] { new ParameterSetUse(ParameterModel.AllSets, false, null, false, false) }));
            }
        }
        return parameters;
    }

    /// <summary>How the PARAMETERS section describes a parameter used differently in several sets: required only when
    /// required in all, a position only when the same in all, pipeline input when any set takes it.</summary>
    private static ParameterSetUse Summary(ParameterModel parameter)
    {
        var sets = parameter.Sets;
        var positions = sets.Select(s => s.Position).Distinct().ToList();
        return new ParameterSetUse("", sets.All(s => s.Mandatory), positions.Count == 1 ? positions[0] : null,
            sets.Any(s => s.ByValue), sets.Any(s => s.ByPropertyName));
    }

    private static XElement ParameterElement(ParameterModel parameter, ParameterSetUse use, CommandHelp page, bool inSyntax)
    {
        var text = page.Parameters.TryGetValue(parameter.Name, out var described) && described.Count > 0
            ? described
            : ShouldProcessParameters.TryGetValue(parameter.Name, out var standard) ? new[] { standard } : Array.Empty<string>();
        var element = new XElement(Command + "parameter",
            new XAttribute("required", use.Mandatory ? "true" : "false"),
            new XAttribute("variableLength", parameter.IsArray ? "true" : "false"),
            new XAttribute("globbing", parameter.SupportsWildcards ? "true" : "false"),
            new XAttribute("pipelineInput", PipelineInput(use)),
            new XAttribute("position", use.Position is { } position ? position.ToString(CultureInfo.InvariantCulture) : "named"),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(text));
        // A switch takes no value, so its syntax shows no <type>.
        if (!(inSyntax && parameter.IsSwitch))
        {
            element.Add(new XElement(Command + "parameterValue",
                new XAttribute("required", parameter.IsSwitch ? "false" : "true"),
                new XAttribute("variableLength", parameter.IsArray ? "true" : "false"),
                parameter.TypeName));
        }
        element.Add(new XElement(Dev + "type", new XElement(Maml + "name", parameter.TypeName), new XElement(Maml + "uri")));
        element.Add(new XElement(Dev + "defaultValue",
            page.Defaults.TryGetValue(parameter.Name, out var documented) ? documented : parameter.IsSwitch ? "False" : "None"));
        return element;
    }

    private static string PipelineInput(ParameterSetUse use) => (use.ByValue, use.ByPropertyName) switch
    {
        (true, true) => "True (ByPropertyName, ByValue)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };

    private static IEnumerable<XElement> InputTypes(CmdletModel cmdlet, CommandHelp page)
    {
        if (page.Inputs.Count > 0) return page.Inputs.Select(i => TypeElement("inputType", i.TypeName, i.Description));
        // Without an INPUTS section: the types of the parameters that take pipeline input.
        return cmdlet.Parameters.Where(p => p.Sets.Any(s => s.ByValue || s.ByPropertyName))
            .Select(p => p.TypeName).Distinct(StringComparer.Ordinal)
            .Select(t => TypeElement("inputType", t, Array.Empty<string>()));
    }

    private static IEnumerable<XElement> ReturnValues(CmdletModel cmdlet, CommandHelp page)
    {
        if (page.Outputs.Count > 0) return page.Outputs.Select(o => TypeElement("returnValue", o.TypeName, o.Description));
        return cmdlet.OutputTypes.Select(t => TypeElement("returnValue", t, Array.Empty<string>()));
    }

    private static XElement TypeElement(string kind, string typeName, IReadOnlyList<string> description) =>
        new(Command + kind, new XElement(Dev + "type", new XElement(Maml + "name", typeName)), Description(description));

    private static XElement Description(IReadOnlyList<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IReadOnlyList<string> paragraphs) =>
        paragraphs.Count == 0 ? new[] { new XElement(Maml + "para") } : paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Title(string title, int index) =>
        string.IsNullOrWhiteSpace(title) ? $"Example {index + 1}" : title;
}
