using System.Text;
using System.Text.RegularExpressions;

namespace ConductorTools.HelpBuilder;

/// <summary>
/// The SYNTAX section of a markdown help page, written from the compiled cmdlet (platyPS layout: one code block per
/// parameter set, headed "### Set (Default)" when there are several), so the pages cannot go stale: the builder reports a
/// page whose SYNTAX differs, and <c>--update-syntax</c> rewrites them.
/// </summary>
public static class SyntaxText
{
    /// <summary>The section's lines, without the "## SYNTAX" heading.</summary>
    public static IReadOnlyList<string> For(CmdletModel cmdlet)
    {
        var lines = new List<string>();
        var sets = cmdlet.ParameterSets;
        foreach (var set in sets)
        {
            if (sets.Count > 1)
            {
                lines.Add($"### {set}{(set == cmdlet.DefaultParameterSet ? " (Default)" : "")}");
                lines.Add("");
            }
            lines.Add("```");
            lines.Add(Line(cmdlet, set));
            lines.Add("```");
            lines.Add("");
        }
        return lines;
    }

    /// <summary>One parameter set as Get-Help writes it: positional parameters by position, then the others.</summary>
    public static string Line(CmdletModel cmdlet, string set)
    {
        var used = cmdlet.Parameters.Select(p => (Parameter: p, Use: p.In(set))).Where(p => p.Use is not null).ToList();
        var ordered = used.Where(p => p.Use!.Position is not null).OrderBy(p => p.Use!.Position)
            .Concat(used.Where(p => p.Use!.Position is null));
        var text = new StringBuilder(cmdlet.Name);
        foreach (var (parameter, use) in ordered)
        {
            var name = use!.Position is not null ? $"[-{parameter.Name}]" : $"-{parameter.Name}";
            var part = parameter.IsSwitch ? $"-{parameter.Name}" : $"{name} <{parameter.TypeName}>";
            if (parameter.IsSwitch && use.Position is not null) part = $"[-{parameter.Name}]";
            text.Append(' ').Append(use.Mandatory ? part : $"[{part}]");
        }
        if (cmdlet.SupportsShouldProcess) text.Append(" [-WhatIf] [-Confirm]");
        text.Append(" [<CommonParameters>]");
        return text.ToString();
    }

    /// <summary>The lines of a section as <see cref="CommandHelp.Syntax"/> reads them (no fences, no blank lines).</summary>
    public static IReadOnlyList<string> Comparable(IEnumerable<string> lines) =>
        lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith("```", StringComparison.Ordinal)).ToList();

    /// <summary>The markdown with its SYNTAX section replaced by <see cref="For"/>.</summary>
    public static string Update(string markdown, CmdletModel cmdlet)
    {
        var newline = markdown.Contains("\r\n") ? "\r\n" : "\n";
        var section = new Regex(@"(^## SYNTAX[ \t]*\r?\n)(.*?)(?=^## )", RegexOptions.Singleline | RegexOptions.Multiline);
        var body = newline + string.Join(newline, For(cmdlet)) + newline;
        return section.IsMatch(markdown) ? section.Replace(markdown, m => m.Groups[1].Value + body, 1) : markdown;
    }
}
