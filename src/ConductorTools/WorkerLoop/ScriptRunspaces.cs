using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>What the pooled runspaces of script workers start from (Invoke-WorkerLoop -ThrottleLimit, Invoke-WorkerCycle).</summary>
internal static class ScriptRunspaces
{
    /// <summary>The preference variables a script runs with: -Verbose/-Debug on <paramref name="cmdlet"/> turn its streams on.</summary>
    public static Dictionary<string, ActionPreference> Preferences(PSCmdlet cmdlet)
    {
        var preferences = new Dictionary<string, ActionPreference>(StringComparer.OrdinalIgnoreCase);
        if (ScriptStreams.IsSwitchOn(cmdlet, "Verbose")) preferences["VerbosePreference"] = ActionPreference.Continue;
        if (ScriptStreams.IsSwitchOn(cmdlet, "Debug")) preferences["DebugPreference"] = ActionPreference.Continue;
        return preferences;
    }

    /// <summary>
    /// The initial session state of a pooled runspace: PowerShell's defaults, this module's own cmdlets (New-TaskResult,
    /// Complete-Task, ...) without importing the module again in each (the same types, already loaded), the caller's
    /// language mode (a compiled module must not lift a constrained caller into FullLanguage runspaces) and the preferences.
    /// </summary>
    public static InitialSessionState SessionState(PSCmdlet cmdlet, IReadOnlyDictionary<string, ActionPreference> preferences)
    {
        var iss = InitialSessionState.CreateDefault2();
        foreach (var type in typeof(ScriptRunspaces).Assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(Cmdlet).IsAssignableFrom(type)) continue;
            if (type.GetCustomAttributes(typeof(CmdletAttribute), false).FirstOrDefault() is not CmdletAttribute attribute) continue;
            iss.Commands.Add(new SessionStateCmdletEntry($"{attribute.VerbName}-{attribute.NounName}", type, "ConductorTools.dll-Help.xml"));
        }
        iss.LanguageMode = cmdlet.SessionState.LanguageMode;
        foreach (var preference in preferences) iss.Variables.Add(new SessionStateVariableEntry(preference.Key, preference.Value, ""));
        return iss;
    }

    /// <summary>The caller's file-system location, where pooled runspaces start (null elsewhere).</summary>
    public static string? Location(PSCmdlet cmdlet) =>
        cmdlet.SessionState.Path.CurrentLocation.Provider.Name == "FileSystem" ? cmdlet.SessionState.Path.CurrentLocation.ProviderPath : null;
}
