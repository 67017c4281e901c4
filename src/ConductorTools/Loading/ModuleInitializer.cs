using System.Management.Automation;

namespace ConductorTools.PowerShell.Loading;

/// <summary>Runs when Import-Module loads ConductorTools.dll, before any cmdlet: installs the dependency loader.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    /// <summary>Called by PowerShell on import.</summary>
    public void OnImport() => DependencyLoader.Install();
}
