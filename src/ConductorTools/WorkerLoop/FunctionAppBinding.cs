using System.Collections;
using System.Globalization;
using System.Management.Automation;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// What Invoke-WorkerCycle and Invoke-WorkerDispatch read alike in a Functions PowerShell app: the app settings, the
/// function's group and host.json's functionTimeout from its folder, the Conductor client the settings describe, and
/// members of the trigger values the PowerShell worker passes (hashtables, or objects with those properties).
/// </summary>
internal static class FunctionAppBinding
{
    /// <summary>The settings from the environment, the group (<paramref name="group"/>, else from the function folder's
    /// name, else 'default') and host.json's timeout from the app root above <paramref name="functionDirectory"/>. Bad
    /// settings end the command with ConductorTools.InvalidSettings, listing every problem.</summary>
    public static (ConductorHostSettings Settings, FunctionTimeout? HostJsonTimeout, string Group) Read(
        PSCmdlet cmdlet, string? functionDirectory, string? group)
    {
        try
        {
            var settings = ConductorHostSettings.FromEnvironment();
            if (functionDirectory is null) return (settings, null, group ?? ConductorHostSettings.DefaultGroup);
            var full = cmdlet.GetUnresolvedProviderPathFromPSPath(functionDirectory).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            var appRoot = Path.GetDirectoryName(full);
            var timeout = appRoot is null ? null : FunctionTimeout.FromHostJsonFile(Path.Combine(appRoot, "host.json"));
            return (settings, timeout, group ?? FunctionCycleRunner.GroupForFunction(Path.GetFileName(full)));
        }
        catch (ConductorSettingsException e)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidSettings", ErrorCategory.InvalidData, null));
            throw; // not reached: ThrowTerminatingError throws
        }
    }

    /// <summary>The REST client the settings describe (key/secret or no auth). The token auth modes need a connection made
    /// with Connect-Conductor -TokenProvider: without one the command ends with ConductorTools.ConnectionRequired.</summary>
    public static IConductorApi ApiFromSettings(PSCmdlet cmdlet, ConductorHostSettings settings, string commandName)
    {
        if (settings.AuthMode is ConductorAuthMode.ManagedIdentity or ConductorAuthMode.DefaultAzureCredential)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"{ConductorHostSettings.AuthModeKey} is {settings.AuthMode}: {commandName} gets Entra ID tokens from a connection. " +
                    "Pass -Connection (Connect-Conductor -ServerUrl $env:CONDUCTOR_SERVER_URL -TokenProvider { Get-AzAccessToken ... } -PassThru)."),
                "ConductorTools.ConnectionRequired", ErrorCategory.InvalidArgument, settings.AuthMode));
        }
        return new HttpConductorApi(settings.ToClientOptions());
    }

    /// <summary>A member of a trigger value: a hashtable key (matched without case: the worker's keys are case-sensitive)
    /// or a property; unwrapped from PSObject; null when absent.</summary>
    public static object? Member(object? value, string name)
    {
        value = value is PSObject p ? p.BaseObject : value;
        if (value is null) return null;
        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                if (string.Equals(Convert.ToString(entry.Key, CultureInfo.InvariantCulture), name, StringComparison.OrdinalIgnoreCase))
                    return entry.Value is PSObject inner ? inner.BaseObject : entry.Value;
            }
            return null;
        }
        var property = PSObject.AsPSObject(value).Properties[name]?.Value;
        return property is PSObject wrapped ? wrapped.BaseObject : property;
    }
}
