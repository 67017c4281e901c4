using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ConductorTools.HelpBuilder;

namespace ConductorTools.Module.Tests;

/// <summary>
/// The MAML help build.ps1 stages as out/ConductorTools/en-US/ConductorTools.dll-Help.xml, built here the same way (by
/// tools/ConductorTools.HelpBuilder from docs/en-US and the compiled module): complete for every exported cmdlet, shaped
/// the way Get-Help reads it, and with examples that only use parameters the cmdlets have.
/// </summary>
public sealed class HelpTests
{
    private static readonly XNamespace Maml = MamlWriter.Maml;
    private static readonly XNamespace Command = MamlWriter.Command;
    private static readonly XNamespace Dev = MamlWriter.Dev;

    private static readonly string Root = RepositoryPaths.Root;
    private static readonly string ModuleAssembly = BuiltModule.AssemblyPath;
    private static readonly Lazy<(XDocument Help, IReadOnlyList<string> Problems)> Built = new(() =>
        MamlHelp.Build(ModuleAssembly, Path.Combine(Root, "docs", "en-US"), PowerShellReference));
    private static readonly Lazy<IReadOnlyList<CmdletModel>> Cmdlets = new(() => CmdletReader.Read(ModuleAssembly, PowerShellReference));

    private static string PowerShellReference => BuiltModule.PowerShellReference;


    private static List<string> Exported()
    {
        var manifest = File.ReadAllText(Path.Combine(Root, "ConductorTools.psd1"));
        var block = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\((.*?)\)", RegexOptions.Singleline).Groups[1].Value;
        return Regex.Matches(block, "'([^']+)'").Select(m => m.Groups[1].Value).ToList();
    }

    private static XElement Entry(string cmdlet) => Built.Value.Help.Root!.Elements(Command + "command")
        .Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value == cmdlet);

    private static string Text(XElement? element) => string.Join("\n", element?.Elements(Maml + "para").Select(p => p.Value) ?? []).Trim();

    [Fact]
    public void The_help_builds_without_problems()
    {
        Assert.True(Built.Value.Problems.Count == 0, string.Join(Environment.NewLine, Built.Value.Problems));
        Assert.Equal("ConductorTools.dll-Help.xml", MamlHelp.FileName(ModuleAssembly));
    }

    public static TheoryData<string> ExportedCmdlets => new(Exported());

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Every_exported_cmdlet_has_synopsis_description_every_parameter_and_an_example(string cmdlet)
    {
        var entry = Entry(cmdlet);
        var details = entry.Element(Command + "details")!;
        Assert.Equal(cmdlet, $"{details.Element(Command + "verb")!.Value}-{details.Element(Command + "noun")!.Value}");
        Assert.NotEmpty(Text(details.Element(Maml + "description")));
        Assert.NotEmpty(Text(entry.Element(Maml + "description")));

        var model = Cmdlets.Value.Single(c => c.Name == cmdlet);
        var expected = model.Parameters.Select(p => p.Name).ToList();
        if (model.SupportsShouldProcess) expected.AddRange(["WhatIf", "Confirm"]);
        var documented = entry.Element(Command + "parameters")!.Elements(Command + "parameter").ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), documented.Select(p => p.Element(Maml + "name")!.Value).Order(StringComparer.Ordinal));
        Assert.All(documented, p => Assert.NotEmpty(Text(p.Element(Maml + "description"))));

        var examples = entry.Element(Command + "examples")!.Elements(Command + "example").ToList();
        Assert.NotEmpty(examples);
        Assert.All(examples, e =>
        {
            Assert.NotEmpty(e.Element(Maml + "title")!.Value.Trim('-', ' '));
            Assert.Contains(cmdlet, e.Element(Dev + "code")!.Value, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void Syntax_and_parameter_facts_come_from_the_compiled_cmdlets()
    {
        // One syntax item per parameter set, the default first, with that set's positions and mandatory flags.
        var connect = Entry("Connect-Conductor").Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
        Assert.Equal(4, connect.Count);
        XElement Parameter(XElement item, string name) => item.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == name);
        Assert.Equal("false", Parameter(connect[0], "ServerUrl").Attribute("required")!.Value); // Server (default): optional
        Assert.Contains(connect.Skip(1), item => item.Elements(Command + "parameter").Any(p =>
            p.Element(Maml + "name")!.Value == "ServerUrl" && p.Attribute("required")!.Value == "true" && p.Attribute("position")!.Value == "0"));
        Assert.Contains(connect, item => item.Elements(Command + "parameter").Any(p =>
            p.Element(Maml + "name")!.Value == "Embedded" && p.Attribute("required")!.Value == "true"));

        var start = Entry("Start-Workflow");
        var name = start.Element(Command + "parameters")!.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Name");
        Assert.Equal("0", name.Attribute("position")!.Value);
        Assert.Equal("True (ByPropertyName)", name.Attribute("pipelineInput")!.Value);
        Assert.Equal("String", name.Element(Dev + "type")!.Element(Maml + "name")!.Value);

        var getTaskDef = Entry("Get-TaskDef").Element(Command + "parameters")!.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Name");
        Assert.Equal("true", getTaskDef.Attribute("globbing")!.Value);
        Assert.Equal("true", getTaskDef.Attribute("variableLength")!.Value);
        Assert.Equal("True (ByPropertyName, ByValue)", getTaskDef.Attribute("pipelineInput")!.Value);

        var whatIf = Entry("Remove-Workflow").Element(Command + "parameters")!.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "WhatIf");
        Assert.Equal("wi", whatIf.Attribute("aliases")!.Value);
        // A switch shows no <type> in the syntax.
        Assert.All(Entry("Invoke-WorkerLoop").Descendants(Command + "syntaxItem").Elements(Command + "parameter")
            .Where(p => p.Element(Maml + "name")!.Value == "Once"), p => Assert.Null(p.Element(Command + "parameterValue")));
        Assert.Equal(["ConductorTools.Model.ConductorTask"],
            Entry("Get-Task").Element(Command + "returnValues")!.Descendants(Maml + "name").Select(n => n.Value));
    }

    [Fact]
    public void The_document_is_maml_as_Get_Help_reads_it()
    {
        var root = Built.Value.Help.Root!;
        Assert.Equal(MamlWriter.Msh + "helpItems", root.Name);
        Assert.Equal("maml", root.Attribute("schema")!.Value);
        Assert.Equal(Exported().Order(StringComparer.Ordinal), root.Elements(Command + "command")
            .Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value).Order(StringComparer.Ordinal));
        // Written and read back unchanged.
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "en-US", "ConductorTools.dll-Help.xml");
        try
        {
            MamlHelp.Save(Built.Value.Help, path);
            var reread = XDocument.Load(path);
            Assert.Equal(root.Elements().Count(), reread.Root!.Elements(Command + "command").Count());
            Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", File.ReadAllText(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(path))!, recursive: true);
        }
    }

    [Fact]
    public void A_missing_page_or_description_is_reported_not_shipped()
    {
        var docs = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(docs);
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Root, "docs", "en-US"), "*.md")) File.Copy(file, Path.Combine(docs, Path.GetFileName(file)));
            File.Delete(Path.Combine(docs, "Get-Task.md"));
            var page = Path.Combine(docs, "Start-Workflow.md");
            File.WriteAllText(page, File.ReadAllText(page).Replace("### -Priority", "### -Priorität").Replace("## EXAMPLES", "## EXAMPLES_GONE"));
            var (_, problems) = MamlHelp.Build(ModuleAssembly, docs, PowerShellReference);
            Assert.Contains(problems, p => p.StartsWith("Get-Task: no help page", StringComparison.Ordinal));
            Assert.Contains(problems, p => p == "Start-Workflow: -Priority has no description.");
            Assert.Contains(problems, p => p == "Start-Workflow: documents -Priorität, which it does not have.");
            Assert.Contains(problems, p => p == "Start-Workflow: an example with code is missing.");
        }
        finally
        {
            Directory.Delete(docs, recursive: true);
        }
    }

    [Fact]
    public void Markdown_prose_becomes_plain_paragraphs()
    {
        var page = CommandHelp.Parse("""
            ---
            external help file: X.dll-Help.xml
            ---

            # Get-Thing

            ## SYNOPSIS
            Gets `things`.

            ## DESCRIPTION
            First line
            wraps here.

            - one
            - two

            ## EXAMPLES

            ### Example 1: all
            ```powershell
            Get-Thing
            # a comment, not a heading
            ```

            Gets them, see [docs](https://example.org).

            ## PARAMETERS

            ### -Name
            The **name**.

            ```yaml
            Type: String
            ```

            ### CommonParameters
            Common.

            ## RELATED LINKS
            [Online](https://example.org/get-thing)
            about_Things
            """);
        Assert.Equal("Get-Thing", page.Name);
        Assert.Equal(["Gets things."], page.Synopsis);
        Assert.Equal(["First line wraps here.", "- one\n- two"], page.Description);
        var example = Assert.Single(page.Examples);
        Assert.Equal("Example 1: all", example.Title);
        Assert.Equal("Get-Thing\n# a comment, not a heading", example.Code);
        Assert.Equal(["Gets them, see docs (https://example.org)."], example.Remarks);
        Assert.Equal(["The name."], page.Parameters["Name"]);
        Assert.Single(page.Parameters);
        Assert.Equal([new LinkHelp("Online", "https://example.org/get-thing"), new LinkHelp("about_Things", "")], page.Links);
    }

    private static readonly HashSet<string> CommonParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "vb", "db", "ea", "wa", "infa", "proga", "ev", "wv", "iv",
        "ov", "ob", "pv",
    };

    [Fact]
    public void Examples_only_use_parameters_the_cmdlets_have()
    {
        // Every -Name written after one of the module's cmdlets on an example line (outside script blocks, parentheses
        // and strings, before a pipe) must be a parameter, an alias or an unambiguous prefix of one, or a common parameter.
        // The about_ topics are checked too: their examples are indented lines.
        var sources = Directory.GetFiles(Path.Combine(Root, "docs", "en-US"), "*.md")
            .Concat(Directory.GetFiles(Path.Combine(Root, "module", "en-US"), "*.txt"));
        var problems = new List<string>();
        foreach (var file in sources)
        {
            foreach (var line in File.ReadAllLines(file))
            {
                foreach (var cmdlet in Cmdlets.Value)
                {
                    foreach (Match use in Regex.Matches(line, $@"(?<![\w-]){Regex.Escape(cmdlet.Name)}(?![\w-])"))
                    {
                        foreach (var parameter in ParametersAfter(line, use.Index + use.Length))
                        {
                            var names = cmdlet.Parameters.SelectMany(p => p.Aliases.Prepend(p.Name))
                                .Concat(cmdlet.SupportsShouldProcess ? ["WhatIf", "Confirm", "wi", "cf"] : []);
                            if (!CommonParameters.Contains(parameter) && !names.Any(n => n.StartsWith(parameter, StringComparison.OrdinalIgnoreCase)))
                            {
                                problems.Add($"{Path.GetFileName(file)}: {cmdlet.Name} has no -{parameter}: {line.Trim()}");
                            }
                        }
                    }
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>The -Name tokens at nesting depth 0 after <paramref name="start"/>, up to a pipe or a statement end.</summary>
    private static IEnumerable<string> ParametersAfter(string line, int start)
    {
        var depth = 0;
        for (var i = start; i < line.Length; i++)
        {
            var c = line[i];
            if (c is '\'' or '"')
            {
                var close = line.IndexOf(c, i + 1);
                if (close < 0) yield break;
                i = close;
            }
            else if (c is '{' or '(' or '[') depth++;
            else if (c is '}' or ')' or ']')
            {
                if (--depth < 0) yield break;
            }
            else if (depth == 0 && c is '|' or ';' or '#') yield break;
            else if (depth == 0 && c == '-' && i > 0 && char.IsWhiteSpace(line[i - 1]))
            {
                var match = Regex.Match(line.Substring(i + 1), @"^[A-Za-z]\w*");
                if (match.Success) yield return match.Value;
            }
        }
    }

    private static XElement ParameterOf(string cmdlet, string parameter) => Entry(cmdlet).Element(Command + "parameters")!.Elements(Command + "parameter")
        .Single(p => p.Element(Maml + "name")!.Value == parameter);

    [Fact]
    public void Documented_defaults_reach_get_help()
    {
        Assert.Equal("00:01:00", ParameterOf("Connect-Conductor", "Timeout").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("100", ParameterOf("Get-Workflow", "First").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("00:05:00", ParameterOf("Wait-Workflow", "Timeout").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("00:00:30", ParameterOf("Invoke-WorkerLoop", "DrainTimeout").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("COMPLETED", ParameterOf("Complete-Task", "Status").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("False", ParameterOf("Register-TaskDef", "Force").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("None", ParameterOf("Register-TaskDef", "Description").Element(Dev + "defaultValue")!.Value);
    }

    [Fact]
    public void Invoke_WorkerLoop_help_says_it_uses_the_session_connection()
    {
        var help = Text(Entry("Invoke-WorkerLoop").Element(Maml + "description")) + "\n" + Text(ParameterOf("Invoke-WorkerLoop", "Connection").Element(Maml + "description"));
        Assert.Contains("session's connection", help);
        Assert.DoesNotContain("uses the embedded engine on its default database.", help);
    }

    [Fact]
    public void The_pages_syntax_sections_are_the_compiled_cmdlets()
    {
        foreach (var cmdlet in Cmdlets.Value)
        {
            var page = CommandHelp.Parse(File.ReadAllText(Path.Combine(Root, "docs", "en-US", cmdlet.Name + ".md")));
            Assert.Equal(SyntaxText.Comparable(SyntaxText.For(cmdlet)), page.Syntax);
        }
        var connect = Cmdlets.Value.Single(c => c.Name == "Connect-Conductor");
        Assert.Equal("Connect-Conductor [-ServerUrl] <String> -Credential <PSCredential> [-Timeout <TimeSpan>] [-PassThru] [<CommonParameters>]",
            SyntaxText.Line(connect, "Key"));
        var stop = Cmdlets.Value.Single(c => c.Name == "Stop-Workflow");
        Assert.Equal("Stop-Workflow [-WorkflowId] <String[]> [-Reason <String>] [-PassThru] [-Connection <ConductorConnection>] [-WhatIf] [-Confirm] [<CommonParameters>]",
            SyntaxText.Line(stop, stop.ParameterSets[0]));
    }

    [Fact]
    public void Stale_syntax_is_a_problem_and_update_rewrites_it()
    {
        var stop = Cmdlets.Value.Single(c => c.Name == "Stop-Workflow");
        var page = File.ReadAllText(Path.Combine(Root, "docs", "en-US", "Stop-Workflow.md"));
        var stale = System.Text.RegularExpressions.Regex.Replace(page, "Stop-Workflow \\[-WorkflowId\\][^\n]*", "Stop-Workflow -Id <String>");
        Assert.NotEqual(page, stale);
        var folder = Directory.CreateTempSubdirectory("ct-help-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Root, "docs", "en-US"), "*-*.md")) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(folder, "Stop-Workflow.md"), stale);
            var (_, problems) = MamlHelp.Build(ModuleAssembly, folder, PowerShellReference);
            Assert.Contains(problems, p => p.StartsWith("Stop-Workflow: the SYNTAX section", StringComparison.Ordinal) && p.Contains("--update-syntax"));
            Assert.Equal(page.Replace("\r\n", "\n"), SyntaxText.Update(stale, stop).Replace("\r\n", "\n"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
