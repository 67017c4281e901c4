using System.Management.Automation;

namespace ConductorTools.PowerShell.Loading;

/// <summary>Runs when Import-Module loads ConductorTools.dll, before any cmdlet: installs the dependency loader.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    /// <summary>Called by PowerShell on import.</summary>
    public void OnImport()
    {
        DependencyLoader.Install();
        // Loaded now, so that their types ([ConductorTools.Engine.EmbeddedConductor], [ConductorTools.Model.TaskDef]) can
        // be named from script before any cmdlet has needed them.
        _ = typeof(ConductorTools.Model.TaskDef).Assembly;
        _ = typeof(ConductorTools.Engine.EmbeddedConductor).Assembly;
    }
}
