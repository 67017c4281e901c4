using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace ConductorTools.HelpBuilder;

/// <summary>Builds a module's MAML help from its markdown pages and its compiled cmdlets.</summary>
public static class MamlHelp
{
    /// <summary>The file name PowerShell looks for next to a binary module, in a culture folder (en-US/).</summary>
    public static string FileName(string moduleAssembly) => Path.GetFileName(moduleAssembly) + "-Help.xml";

    /// <summary>
    /// The MAML document for every cmdlet of <paramref name="moduleAssembly"/>, from the Verb-Noun.md pages in
    /// <paramref name="docsDirectory"/>, and the problems that make it incomplete (empty when it is complete).
    /// </summary>
    public static (XDocument Help, IReadOnlyList<string> Problems) Build(string moduleAssembly, string docsDirectory, string? powerShellReference = null)
    {
        var cmdlets = CmdletReader.Read(moduleAssembly, powerShellReference);
        var pages = new Dictionary<string, CommandHelp>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var file in Directory.GetFiles(docsDirectory, "*-*.md").OrderBy(f => f, StringComparer.Ordinal))
        {
            var page = CommandHelp.Parse(File.ReadAllText(file));
            var expected = Path.GetFileNameWithoutExtension(file);
            if (!string.Equals(page.Name, expected, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{Path.GetFileName(file)}: its title is '# {page.Name}', not '# {expected}'.");
            }
            pages[expected] = page;
        }
        var help = MamlWriter.Write(cmdlets, pages, problems);
        return (help, problems);
    }

    public static void Save(XDocument help, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var writer = XmlWriter.Create(path, settings);
        help.Save(writer);
    }
}
