using System.Reflection;
using System.Runtime.InteropServices;

namespace ConductorTools.Module.Tests;

/// <summary>The module assembly as this configuration built it (src/ConductorTools/bin/&lt;Configuration&gt;/netstandard2.0), and
/// the PowerShell reference assembly the tests read it against.</summary>
internal static class BuiltModule
{
    /// <summary>The test binaries' configuration (bin/&lt;Configuration&gt;/net10.0), so Debug tests read the Debug module.</summary>
    public static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string Directory => RepositoryPaths.Combine("src", "ConductorTools", "bin", Configuration, "netstandard2.0");

    public static string AssemblyPath => Path.Combine(Directory, "ConductorTools.dll");

    /// <summary>System.Management.Automation as the module compiles against it (from the build's metadata).</summary>
    public static string PowerShellReference => typeof(BuiltModule).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PowerShellReferencePath").Value!;

    /// <summary>Loads the module for inspection only (no code runs): the runtime's assemblies, the module's own copies
    /// (which win) and the PowerShell reference. Dispose the context when done.</summary>
    public static (MetadataLoadContext Context, Assembly Module) Inspect()
    {
        var paths = System.IO.Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(System.IO.Directory.GetFiles(Directory, "*.dll"))
            .Append(PowerShellReference)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.Last());
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        return (context, context.LoadFromAssemblyPath(AssemblyPath));
    }
}
