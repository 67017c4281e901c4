using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>Reads a -Workers hashtable (task type name = script block), the one shape Invoke-WorkerLoop,
/// Invoke-WorkerCycle and Invoke-WorkerDispatch take.</summary>
internal static class WorkersTable
{
    /// <summary>The entries in order; an entry that is not "name = script block" ends the command with
    /// ConductorTools.InvalidWorkersTable, naming the entry.</summary>
    public static IEnumerable<(string TaskType, ScriptBlock Script)> Read(IDictionary workers, Cmdlet cmdlet)
    {
        foreach (DictionaryEntry entry in workers)
        {
            var taskType = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
            var script = (entry.Value as PSObject)?.BaseObject as ScriptBlock ?? entry.Value as ScriptBlock;
            if (string.IsNullOrWhiteSpace(taskType) || script is null)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-Workers must map task type names to script blocks; the entry '{entry.Key}' maps to '{entry.Value}'."),
                    "ConductorTools.InvalidWorkersTable", ErrorCategory.InvalidArgument, entry.Key));
            }
            yield return (taskType!, script!);
        }
    }
}
