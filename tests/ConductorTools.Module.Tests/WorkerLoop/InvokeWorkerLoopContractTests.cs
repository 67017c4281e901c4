using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ConductorTools.Module.Tests.WorkerLoop;

/// <summary>
/// The compiled Invoke-WorkerLoop, read through MetadataLoadContext (PowerShell cannot run here): its surface matches
/// its help source and its format views name real types.
/// </summary>
public sealed class InvokeWorkerLoopContractTests : IDisposable
{
    private static readonly string Root = RepositoryPaths.Root;
    private readonly MetadataLoadContext _context;
    private readonly Type _cmdlet;

    public InvokeWorkerLoopContractTests()
    {
        (_context, var module) = BuiltModule.Inspect();
        _cmdlet = module.GetType("ConductorTools.PowerShell.WorkerLoop.InvokeWorkerLoopCommand", throwOnError: true)!;
    }

    public void Dispose() => _context.Dispose();


    private CustomAttributeData Attribute(MemberInfo member, string name) =>
        member.GetCustomAttributesData().Single(a => a.AttributeType.FullName == name);

    private List<string> Parameters() => _cmdlet.GetProperties()
        .Where(p => p.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute"))
        .Select(p => p.Name).ToList();

    [Fact]
    public void Is_Invoke_WorkerLoop_with_its_output_types()
    {
        var cmdlet = Attribute(_cmdlet, "System.Management.Automation.CmdletAttribute");
        Assert.Equal(["Invoke", "WorkerLoop"], cmdlet.ConstructorArguments.Select(a => (string)a.Value!));
        var outputs = Attribute(_cmdlet, "System.Management.Automation.OutputTypeAttribute").ConstructorArguments
            .SelectMany(a => (IEnumerable<CustomAttributeTypedArgument>)a.Value!).Select(a => ((Type)a.Value!).FullName).ToList();
        Assert.Equal(["ConductorTools.Workers.WorkerCycleSummary", "ConductorTools.Workers.Scripting.WorkerLoopTaskRecord"], outputs);
    }

    [Fact]
    public void Every_parameter_is_documented_and_every_documented_parameter_exists()
    {
        var help = File.ReadAllText(Path.Combine(Root, "docs", "en-US", "Invoke-WorkerLoop.md"));
        var documented = Regex.Matches(help, @"^### -(\w+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var parameters = Parameters();

        Assert.Empty(parameters.Except(documented));
        Assert.Empty(documented.Except(parameters));
        Assert.Contains("## EXAMPLES", help, StringComparison.Ordinal);
        foreach (var parameter in parameters) Assert.Contains("-" + parameter, help.Split("## SYNTAX")[1].Split("## DESCRIPTION")[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Format_views_name_existing_types()
    {
        var core = _context.LoadFromAssemblyName("ConductorTools.Core");
        var format = XDocument.Load(Path.Combine(Root, "module", "ConductorTools.WorkerLoop.format.ps1xml"));
        var names = format.Descendants("TypeName").Select(e => e.Value.Trim()).ToList();

        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.NotNull(core.GetType(name)));
    }
}
