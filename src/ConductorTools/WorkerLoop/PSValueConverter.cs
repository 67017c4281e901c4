using System.Management.Automation;
using ConductorTools.Conversion;
using ConductorTools.Model;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// A script-block worker's output to the plain values of Conductor maps: Core's <see cref="PlainValues"/> (the one
/// converter, shared with the cmdlets' -Input/-Output), with PowerShell's wrappers unwrapped; a <see cref="TaskResult"/>
/// is passed on as is.
/// </summary>
internal static class PSValueConverter
{
    public static object? ToPlain(object? value)
    {
        var baseObject = value is PSObject pso ? pso.BaseObject : value;
        if (baseObject is TaskResult result) return result;
        try
        {
            return PlainValues.ToPlain(value, Commands.ConductorCmdlet.Unwrap);
        }
        catch (ArgumentException ex)
        {
            // The worker loop reports this as the task's failure; say what to output instead.
            throw new InvalidOperationException($"The output cannot be sent to Conductor: {ex.Message} Output plain data (hashtables, arrays, strings, numbers).", ex);
        }
    }
}
