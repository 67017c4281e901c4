using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ConductorTools.Module.Tests;

/// <summary>
/// The compiled module read through MetadataLoadContext (PowerShell cannot run here) against its manifest, help source
/// and format views: every cmdlet has an approved verb, [OutputType], help for itself and each parameter, and is
/// exported; the manifest exports nothing that does not exist; every type a view names exists.
/// </summary>
public sealed class ModuleContractTests : IDisposable
{
    // PowerShell's approved verbs (Get-Verb) that this module may use.
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip",
        "Split", "Step", "Switch", "Undo", "Unlock", "Watch", "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
        "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
        "Unpublish", "Update", "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable",
        "Install", "Invoke", "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall",
        "Unregister", "Wait", "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace", "Block", "Grant", "Protect",
        "Revoke", "Unblock", "Unprotect", "Use",
    };

    private static readonly string Root = FindRoot();
    private readonly MetadataLoadContext _context;
    private readonly List<(string Name, Type Type)> _cmdlets;

    public ModuleContractTests()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var moduleDir = Path.Combine(Root, "src", "ConductorTools", "bin", configuration, "netstandard2.0");
        var sma = typeof(ModuleContractTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PowerShellReferencePath").Value!;
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(moduleDir, "*.dll"))
            .Append(sma)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.Last());
        _context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        var module = _context.LoadFromAssemblyPath(Path.Combine(moduleDir, "ConductorTools.dll"));
        _cmdlets = module.GetTypes()
            .Select(t => (Type: t, Attribute: t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute")))
            .Where(x => x.Attribute is not null && !x.Type.IsAbstract)
            .Select(x => ($"{x.Attribute!.ConstructorArguments[0].Value}-{x.Attribute.ConstructorArguments[1].Value}", x.Type))
            .ToList();
    }

    public void Dispose() => _context.Dispose();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConductorTools.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("ConductorTools.slnx not found above " + AppContext.BaseDirectory);
    }

    private static List<string> ManifestList(string key)
    {
        var manifest = File.ReadAllText(Path.Combine(Root, "ConductorTools.psd1"));
        var block = Regex.Match(manifest, key + @"\s*=\s*@\((.*?)\)", RegexOptions.Singleline).Groups[1].Value;
        return Regex.Matches(block, "'([^']+)'").Select(m => m.Groups[1].Value).ToList();
    }

    private static IEnumerable<string> Parameters(Type cmdlet) => cmdlet.GetProperties()
        .Where(p => p.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute"))
        .Select(p => p.Name);

    [Fact]
    public void The_module_has_the_whole_surface()
    {
        var names = _cmdlets.Select(c => c.Name).ToHashSet();
        foreach (var expected in new[]
        {
            "Connect-Conductor", "Disconnect-Conductor", "Get-ConductorConnection", "Register-TaskDef", "Get-TaskDef", "Set-TaskDef",
            "Remove-TaskDef", "Register-WorkflowDef", "Get-WorkflowDef", "Remove-WorkflowDef", "Start-Workflow", "Get-Workflow",
            "Wait-Workflow", "Stop-Workflow", "Suspend-Workflow", "Resume-Workflow", "Restart-Workflow", "Redo-Workflow",
            "Invoke-WorkflowRerun", "Skip-WorkflowTask", "Remove-Workflow", "Get-Task", "Get-TaskQueue", "Complete-Task",
            "New-TaskResult", "Invoke-WorkerLoop",
        })
        {
            Assert.Contains(expected, names);
        }
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb_and_declares_its_output()
    {
        Assert.All(_cmdlets, c =>
        {
            Assert.Contains(c.Name.Split('-')[0], ApprovedVerbs);
            Assert.Contains(c.Type.GetCustomAttributesData(), a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute");
        });
    }

    [Fact]
    public void Manifest_exports_exactly_the_cmdlets_that_exist()
    {
        Assert.Equal(_cmdlets.Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal), ManifestList("CmdletsToExport").OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void Every_cmdlet_and_parameter_has_help_with_examples()
    {
        Assert.All(_cmdlets, c =>
        {
            var path = Path.Combine(Root, "docs", "en-US", c.Name + ".md");
            Assert.True(File.Exists(path), $"{c.Name} has no help source at docs/en-US/{c.Name}.md");
            var help = File.ReadAllText(path);
            Assert.Matches(@"## SYNOPSIS\s*\n\S", help);
            if (c.Name is not ("Disconnect-Conductor" or "Get-ConductorConnection")) Assert.Contains("### Example 1", help);
            foreach (var parameter in Parameters(c.Type))
            {
                Assert.True(Regex.IsMatch(help, $@"### -{parameter}\s*\n\S"), $"{c.Name} -{parameter} has no help");
            }
        });
    }

    [Fact]
    public void Mutating_cmdlets_support_WhatIf()
    {
        var mutating = new[] { "Register", "Set", "Remove", "Start", "Stop", "Suspend", "Resume", "Restart", "Redo", "Skip", "Complete" };
        Assert.All(_cmdlets.Where(c => mutating.Contains(c.Name.Split('-')[0])), c =>
        {
            var attribute = c.Type.GetCustomAttributesData().Single(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
            Assert.Contains(attribute.NamedArguments, n => n.MemberName == "SupportsShouldProcess" && (bool)n.TypedValue.Value!);
        });
    }

    [Fact]
    public void Every_format_file_is_listed_and_names_real_types()
    {
        var formats = ManifestList("FormatsToProcess");
        Assert.Equal(Directory.GetFiles(Path.Combine(Root, "module"), "*.format.ps1xml").Select(Path.GetFileName).OrderBy(n => n), formats.OrderBy(n => n));
        var assemblies = new[] { "ConductorTools.dll", "ConductorTools.Core.dll" }
            .Select(n => _context.GetAssemblies().FirstOrDefault(a => a.GetName().Name + ".dll" == n) ?? _context.LoadFromAssemblyName(Path.GetFileNameWithoutExtension(n)))
            .ToList();
        foreach (var file in formats)
        {
            foreach (var typeName in XDocument.Load(Path.Combine(Root, "module", file)).Descendants("TypeName").Select(e => e.Value))
            {
                // PSObject type names the cmdlets add themselves are allowed when a cmdlet inserts them.
                if (typeName == "ConductorTools.TaskQueue") continue;
                Assert.True(assemblies.Any(a => a.GetType(typeName) is not null), $"{file} names {typeName}, which does not exist");
            }
        }
    }
}
