using System.Management.Automation;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// Captures one script run's non-output streams: each record is kept (in order) for the task's execution logs and
/// is also forwarded to the host through the cmdlet on the pipeline thread, so it still reaches the console with the
/// cmdlet's preferences applied (-Verbose, -WarningAction, -InformationAction...).
/// </summary>
internal sealed class ScriptStreams
{
    private readonly List<ScriptLogRecord> _logs = new();
    private readonly PSCmdlet _cmdlet;
    private readonly Action<Action> _write;
    private readonly object _lock = new();

    /// <param name="cmdlet">The cmdlet whose Write* methods forward records.</param>
    /// <param name="write">Runs a Write* call on the pipeline thread (the cmdlet's write sink).</param>
    public ScriptStreams(PSCmdlet cmdlet, Action<Action> write)
    {
        _cmdlet = cmdlet;
        _write = write;
        _debugRequested = IsSwitchOn(cmdlet, "Debug");
    }

    private readonly bool _debugRequested;

    /// <summary>True when the common parameter <paramref name="name"/> (-Verbose, -Debug) was given and not :$false.</summary>
    internal static bool IsSwitchOn(PSCmdlet cmdlet, string name) =>
        cmdlet.MyInvocation.BoundParameters.TryGetValue(name, out var value) && value is SwitchParameter { IsPresent: true };

    public IReadOnlyList<ScriptLogRecord> Logs
    {
        get
        {
            lock (_lock) return _logs.ToArray();
        }
    }

    /// <summary>Hooks the streams of <paramref name="streams"/>; records arrive on whatever thread the script runs on.</summary>
    public void Attach(PSDataStreams streams)
    {
        streams.Information.DataAdding += (_, e) => Add((InformationRecord)e.ItemAdded);
        streams.Verbose.DataAdding += (_, e) => Add((VerboseRecord)e.ItemAdded);
        streams.Warning.DataAdding += (_, e) => Add((WarningRecord)e.ItemAdded);
        streams.Debug.DataAdding += (_, e) => Add((DebugRecord)e.ItemAdded);
        streams.Error.DataAdding += (_, e) => Add((ErrorRecord)e.ItemAdded);
        streams.Progress.DataAdding += (_, e) => Forward(() => _cmdlet.WriteProgress((ProgressRecord)e.ItemAdded));
    }

    /// <summary>
    /// Takes a stream record that arrived merged into a run's output (sequential mode); false for anything else, which is output.
    /// </summary>
    public bool TryAdd(object? item)
    {
        switch (item)
        {
            case InformationRecord information:
                Add(information);
                return true;
            case VerboseRecord verbose:
                Add(verbose);
                return true;
            case WarningRecord warning:
                Add(warning);
                return true;
            case DebugRecord debug:
                Add(debug);
                return true;
            case ErrorRecord error:
                Add(error);
                return true;
            default:
                return false;
        }
    }

    private void Add(InformationRecord record)
    {
        Keep(ScriptLogKind.Information, Convert.ToString(record.MessageData, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        Forward(() => _cmdlet.WriteInformation(record));
    }

    private void Add(VerboseRecord record)
    {
        Keep(ScriptLogKind.Verbose, record.Message);
        Forward(() => _cmdlet.WriteVerbose(record.Message));
    }

    private void Add(WarningRecord record)
    {
        Keep(ScriptLogKind.Warning, record.Message);
        Forward(() => _cmdlet.WriteWarning(record.Message));
    }

    private void Add(DebugRecord record)
    {
        Keep(ScriptLogKind.Debug, record.Message);
        // A compiled cmdlet's -Debug means Inquire: WriteDebug would prompt at every record of every task (and fail where
        // no one can answer). With -Debug the records are shown as Continue shows them; otherwise the preference decides.
        if (_debugRequested) Forward(() => _cmdlet.Host.UI.WriteDebugLine(record.Message));
        else Forward(() => _cmdlet.WriteDebug(record.Message));
    }

    private void Add(ErrorRecord record)
    {
        Keep(ScriptLogKind.Error, record.ToString());
        Forward(() => _cmdlet.WriteError(record));
    }

    private void Keep(ScriptLogKind kind, string message)
    {
        lock (_lock) _logs.Add(new ScriptLogRecord(kind, message, DateTimeOffset.UtcNow));
    }

    private void Forward(Action write) => _write(write);
}
