using System.Text;
using System.Text.RegularExpressions;

namespace ConductorTools.HelpBuilder;

/// <summary>One example: its title, its code, and the text after the code.</summary>
public sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>A type named under INPUTS or OUTPUTS, with what the page says about it.</summary>
public sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

/// <summary>A RELATED LINKS entry: a command or topic name, or a markdown link.</summary>
public sealed record LinkHelp(string Text, string Uri);

/// <summary>
/// The prose of one cmdlet's help page in the platyPS markdown layout (docs/en-US/Verb-Noun.md): SYNOPSIS, DESCRIPTION,
/// EXAMPLES (### title, a code fence, remarks), PARAMETERS (### -Name, text, a yaml block that is ignored here because
/// the compiled cmdlet is the truth for types, sets and positions), INPUTS, OUTPUTS, NOTES, RELATED LINKS.
/// </summary>
public sealed class CommandHelp
{
    public string Name { get; init; } = "";
    public IReadOnlyList<string> Synopsis { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Description { get; init; } = Array.Empty<string>();
    public IReadOnlyList<ExampleHelp> Examples { get; init; } = Array.Empty<ExampleHelp>();
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Parameters { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>
    /// Each parameter's documented default (its yaml block's "Default value:" line, when it is not None): the one fact
    /// taken from the yaml, because a compiled cmdlet's property initializers cannot be read without running it.
    /// </summary>
    public IReadOnlyDictionary<string, string> Defaults { get; init; } = new Dictionary<string, string>();

    /// <summary>The lines of the SYNTAX section's code blocks, as written.</summary>
    public IReadOnlyList<string> Syntax { get; init; } = Array.Empty<string>();
    public IReadOnlyList<TypeHelp> Inputs { get; init; } = Array.Empty<TypeHelp>();
    public IReadOnlyList<TypeHelp> Outputs { get; init; } = Array.Empty<TypeHelp>();
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
    public IReadOnlyList<LinkHelp> Links { get; init; } = Array.Empty<LinkHelp>();

    private static readonly Regex MarkdownLink = new(@"\[([^\]]+)\]\(([^)\s]*)\)", RegexOptions.Compiled);

    public static CommandHelp Parse(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n').ToList();
        // Front matter.
        if (lines.Count > 0 && lines[0].Trim() == "---")
        {
            var end = lines.FindIndex(1, l => l.Trim() == "---");
            if (end > 0) lines.RemoveRange(0, end + 1);
        }
        var name = lines.Select(l => l.TrimEnd()).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?.Substring(2).Trim() ?? "";
        var sections = Split(lines, "## ");
        return new CommandHelp
        {
            Name = name,
            Synopsis = Paragraphs(Section(sections, "SYNOPSIS")),
            Description = Paragraphs(Section(sections, "DESCRIPTION")),
            Examples = Split(Section(sections, "EXAMPLES"), "### ").Select(e => Example(e.Key, e.Value)).ToList(),
            Parameters = Split(Section(sections, "PARAMETERS"), "### ")
                .Where(p => p.Key.StartsWith("-", StringComparison.Ordinal))
                .ToDictionary(p => p.Key.Substring(1).Trim(), p => (IReadOnlyList<string>)Paragraphs(WithoutFences(p.Value)), StringComparer.OrdinalIgnoreCase),
            Defaults = Split(Section(sections, "PARAMETERS"), "### ")
                .Where(p => p.Key.StartsWith("-", StringComparison.Ordinal))
                .Select(p => (Name: p.Key.Substring(1).Trim(), Value: DefaultValue(p.Value)))
                .Where(p => p.Value is not null)
                .ToDictionary(p => p.Name, p => p.Value!, StringComparer.OrdinalIgnoreCase),
            Syntax = Section(sections, "SYNTAX").Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith("```", StringComparison.Ordinal)).ToList(),
            Inputs = Types(Section(sections, "INPUTS")),
            Outputs = Types(Section(sections, "OUTPUTS")),
            Notes = Paragraphs(Section(sections, "NOTES")),
            Links = Section(sections, "RELATED LINKS").Select(l => l.Trim()).Where(l => l.Length > 0).Select(Link).ToList(),
        };
    }

    private static string? DefaultValue(IEnumerable<string> lines)
    {
        var line = lines.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Default value:", StringComparison.Ordinal));
        var value = line?.Substring("Default value:".Length).Trim();
        return string.IsNullOrEmpty(value) || value is "None" or "False" ? null : value;
    }

    /// <summary>Headings at one level and the lines under each (until the next heading of that level or above).</summary>
    private static List<KeyValuePair<string, List<string>>> Split(IReadOnlyList<string> lines, string marker)
    {
        var result = new List<KeyValuePair<string, List<string>>>();
        var inFence = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) inFence = !inFence;
            if (!inFence && line.StartsWith(marker, StringComparison.Ordinal))
            {
                result.Add(new KeyValuePair<string, List<string>>(line.Substring(marker.Length).Trim(), new List<string>()));
            }
            else if (result.Count > 0)
            {
                result[result.Count - 1].Value.Add(line);
            }
        }
        return result;
    }

    private static List<string> Section(List<KeyValuePair<string, List<string>>> sections, string title) =>
        sections.FirstOrDefault(s => string.Equals(s.Key, title, StringComparison.OrdinalIgnoreCase)).Value ?? new List<string>();

    private static List<string> WithoutFences(IEnumerable<string> lines)
    {
        var result = new List<string>();
        var inFence = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) { inFence = !inFence; continue; }
            if (!inFence) result.Add(line);
        }
        return result;
    }

    private static ExampleHelp Example(string title, List<string> lines)
    {
        var code = new List<string>();
        var remarks = new List<string>();
        var inFence = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }
            // Text before or after the code is a remark.
            (inFence ? code : remarks).Add(line);
        }
        return new ExampleHelp(title, string.Join("\n", code).Trim('\n'), Paragraphs(remarks));
    }

    private static List<TypeHelp> Types(List<string> lines) =>
        Split(lines, "### ").Select(t => new TypeHelp(t.Key, Paragraphs(t.Value))).ToList();

    private static LinkHelp Link(string line)
    {
        var match = MarkdownLink.Match(line);
        return match.Success ? new LinkHelp(match.Groups[1].Value, match.Groups[2].Value) : new LinkHelp(line, "");
    }

    /// <summary>
    /// Blank-line separated paragraphs as plain text: soft-wrapped lines joined with a space, list items kept on their
    /// own lines, inline code marks and link syntax removed.
    /// </summary>
    public static List<string> Paragraphs(IEnumerable<string> lines)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        void Flush()
        {
            if (current.Length > 0) result.Add(current.ToString());
            current.Clear();
        }
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                Flush();
                continue;
            }
            var isListItem = Regex.IsMatch(line, @"^([-*+]|\d+\.)\s");
            if (current.Length > 0) current.Append(isListItem ? "\n" : " ");
            current.Append(Plain(line));
        }
        Flush();
        return result;
    }

    private static string Plain(string text)
    {
        text = MarkdownLink.Replace(text, m => m.Groups[2].Value.Length == 0 ? m.Groups[1].Value : $"{m.Groups[1].Value} ({m.Groups[2].Value})");
        text = Regex.Replace(text, @"(?<!`)`([^`]+)`(?!`)", "$1");
        return Regex.Replace(text, @"\*\*([^*]+)\*\*", "$1");
    }
}
