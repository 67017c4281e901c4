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

    private static readonly string Root = RepositoryPaths.Root;
    private readonly MetadataLoadContext _context;
    private readonly List<(string Name, Type Type)> _cmdlets;

    public ModuleContractTests()
    {
        (_context, var module) = BuiltModule.Inspect();
        _cmdlets = module.GetTypes()
            .Select(t => (Type: t, Attribute: t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute")))
            .Where(x => x.Attribute is not null && !x.Type.IsAbstract)
            .Select(x => ($"{x.Attribute!.ConstructorArguments[0].Value}-{x.Attribute.ConstructorArguments[1].Value}", x.Type))
            .ToList();
    }

    public void Dispose() => _context.Dispose();


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
            "New-TaskResult", "Invoke-WorkerLoop", "Invoke-WorkerCycle", "Invoke-WorkerDispatch",
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
            Assert.Contains("### Example 1", help);
            foreach (var parameter in Parameters(c.Type))
            {
                Assert.True(Regex.IsMatch(help, $@"### -{parameter}\s*\n\S"), $"{c.Name} -{parameter} has no help");
            }
        });
    }

    // Every parameter that takes a task type, workflow name or status, and the completer it must carry (issue 6).
    private static readonly (string Cmdlet, string Parameter, string Completer)[] Completed =
    [
        ("Register-TaskDef", "Name", "TaskTypeCompleter"),
        ("Get-TaskDef", "Name", "TaskTypeCompleter"),
        ("Set-TaskDef", "InputObject", "TaskTypeCompleter"),
        ("Remove-TaskDef", "Name", "TaskTypeCompleter"),
        ("Get-TaskQueue", "TaskType", "TaskTypeCompleter"),
        ("Invoke-WorkerLoop", "TaskType", "TaskTypeCompleter"),
        ("Get-WorkflowDef", "Name", "WorkflowNameCompleter"),
        ("Remove-WorkflowDef", "Name", "WorkflowNameCompleter"),
        ("Start-Workflow", "Name", "WorkflowNameCompleter"),
        ("Get-Workflow", "Name", "WorkflowNameCompleter"),
        ("Get-Workflow", "Status", "WorkflowStatusCompleter"),
        ("Get-Task", "Status", "TaskStatusCompleter"),
        ("Complete-Task", "Status", "TaskResultStatusCompleter"),
        ("New-TaskResult", "Status", "TaskResultStatusCompleter"),
    ];

    public static TheoryData<string, string, string> CompletedParameters
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var (cmdlet, parameter, completer) in Completed) data.Add(cmdlet, parameter, completer);
            return data;
        }
    }

    private static string? CompleterOf(PropertyInfo parameter) => parameter.GetCustomAttributesData()
        .Where(a => a.AttributeType.FullName == "System.Management.Automation.ArgumentCompleterAttribute")
        .Select(a => (a.ConstructorArguments.Single().Value as Type)?.Name)
        .SingleOrDefault();

    [Theory]
    [MemberData(nameof(CompletedParameters))]
    public void Task_types_workflow_names_and_statuses_complete(string cmdlet, string parameter, string completer)
    {
        var type = _cmdlets.Single(c => c.Name == cmdlet).Type;
        var property = type.GetProperty(parameter);
        Assert.NotNull(property);
        Assert.Equal(completer, CompleterOf(property));
    }

    [Fact]
    public void Every_status_parameter_has_a_completer_and_every_completer_can_be_created_by_PowerShell()
    {
        var statusTypes = new[] { "WorkflowStatus", "ConductorTaskStatus", "TaskResultStatus" };
        var expected = Completed.Select(row => (row.Cmdlet, row.Parameter)).ToHashSet();
        foreach (var (name, type) in _cmdlets)
        {
            foreach (var property in type.GetProperties().Where(p => p.GetCustomAttributesData().Any(a => a.AttributeType.Name == "ParameterAttribute")))
            {
                var element = property.PropertyType.IsArray ? property.PropertyType.GetElementType()! : property.PropertyType;
                element = Nullable.GetUnderlyingType(element) ?? element;
                if (statusTypes.Contains(element.Name)) Assert.True(expected.Contains((name, property.Name)), $"{name} -{property.Name} takes a status but has no completer");
                if (CompleterOf(property) is not null) Assert.True(expected.Contains((name, property.Name)), $"{name} -{property.Name} has a completer the contract does not list");
            }
        }
        var completers = _cmdlets.SelectMany(c => c.Type.GetProperties())
            .SelectMany(p => p.GetCustomAttributesData())
            .Where(a => a.AttributeType.FullName == "System.Management.Automation.ArgumentCompleterAttribute")
            .Select(a => (Type)a.ConstructorArguments.Single().Value!)
            .Distinct()
            .ToList();
        Assert.Equal(5, completers.Count);
        Assert.All(completers, t =>
        {
            // PowerShell creates the completer with Activator.CreateInstance and casts it to IArgumentCompleter.
            Assert.Contains(t.GetInterfaces(), i => i.FullName == "System.Management.Automation.IArgumentCompleter");
            Assert.False(t.IsAbstract);
            Assert.NotNull(t.GetConstructor(Type.EmptyTypes));
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
