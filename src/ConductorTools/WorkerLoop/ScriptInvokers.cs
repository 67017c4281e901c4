using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// Sequential mode: runs the script on the cmdlet's pipeline thread, in the caller's runspace (the caller's functions,
/// modules and variables are visible), as a nested pipeline. Background threads only queue the call.
/// </summary>
internal sealed class SequentialScriptInvoker : IScriptInvoker
{
    private readonly ScriptHandler _handler;
    private readonly PipelinePump _pump;
    private readonly Func<ScriptStreams> _newStreams;
    private readonly CancellationToken _pipelineStopping;
    private readonly SessionState _callerState;
    private readonly IReadOnlyDictionary<string, ActionPreference> _preferences;

    /// <param name="pipelineStopping">Cancelled when PowerShell stops the cmdlet (Ctrl+C): no nested pipeline can run any more.</param>
    /// <param name="callerState">The caller's session state, where the script runs.</param>
    /// <param name="preferences">Preference variables the script runs with (from -Verbose/-Debug on the cmdlet), as in pooled runspaces.</param>
    public SequentialScriptInvoker(ScriptHandler handler, PipelinePump pump, Func<ScriptStreams> newStreams, CancellationToken pipelineStopping,
        SessionState callerState, IReadOnlyDictionary<string, ActionPreference> preferences)
    {
        _handler = handler;
        _pump = pump;
        _newStreams = newStreams;
        _pipelineStopping = pipelineStopping;
        _callerState = callerState;
        _preferences = preferences;
    }

    public Task<ScriptInvocation> InvokeAsync(ScriptCall call, CancellationToken cancellationToken) =>
        _pump.InvokeAsync(() => Run(call, cancellationToken));

    private ScriptInvocation Run(ScriptCall call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_pipelineStopping.IsCancellationRequested)
            throw new OperationCanceledException("The pipeline is stopping; the task is handed back.");
        var streams = _newStreams();
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        streams.Attach(ps.Streams);
        _handler.AddTo(ps, call);
        // A nested pipeline in the current runspace writes warning, verbose, debug and information records straight to
        // the host instead of its own streams, so they are merged into its output and told apart here: the same records,
        // in order, as a pooled runspace's streams give.
        ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.All, PipelineResultTypes.Output);
        var output = new PSDataCollection<PSObject>();
        var values = new List<PSObject>();
        output.DataAdded += (_, e) =>
        {
            var item = output[e.Index];
            if (!streams.TryAdd(item?.BaseObject)) values.Add(item!);
        };
        using var stop = cancellationToken.Register(() => StopQuietly(ps));
        // The script runs in the caller's scope: -Verbose/-Debug on the cmdlet turn its streams on for the run (the
        // pipeline thread is ours meanwhile, so nothing else sees the change), as they do in pooled runspaces.
        var saved = _preferences.ToDictionary(p => p.Key, p => _callerState.PSVariable.GetValue(p.Key));
        foreach (var preference in _preferences) _callerState.PSVariable.Set(preference.Key, preference.Value);
        try
        {
            ps.Invoke(null, output);
        }
        catch (PipelineStoppedException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (PipelineStoppedException)
        {
            // The whole pipeline is stopping (Ctrl+C stops nested pipelines too): hand the task back.
            throw new OperationCanceledException("The pipeline was stopped while the script ran.");
        }
        catch (RuntimeException e) when (!_pipelineStopping.IsCancellationRequested)
        {
            return new ScriptInvocation(Array.Empty<object?>(), streams.Logs, ScriptHandler.ToFailure(e));
        }
        catch (Exception e) when (_pipelineStopping.IsCancellationRequested && e is not OperationCanceledException)
        {
            throw new OperationCanceledException("The pipeline stopped while the script ran; the task is handed back.", e);
        }
        finally
        {
            foreach (var value in saved) _callerState.PSVariable.Set(value.Key, value.Value);
        }
        // A nested pipeline stopped by Ctrl+C (or Stop-Job, or PowerShell.Stop()) returns normally with what it had written
        // so far: that is not the script's result, so the task is handed back, never completed.
        if (ps.InvocationStateInfo.State == PSInvocationState.Stopped || _pipelineStopping.IsCancellationRequested)
        {
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
            throw new OperationCanceledException("The pipeline was stopped while the script ran; the task is handed back.");
        }
        return new ScriptInvocation(ScriptHandler.ToOutputs(values), streams.Logs);
    }

    internal static void StopQuietly(System.Management.Automation.PowerShell ps)
    {
        try
        {
            ps.BeginStop(null, null);
        }
        catch (ObjectDisposedException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}

/// <summary>
/// Parallel mode (-ThrottleLimit): at most N runspaces, created on demand, opened off the pipeline thread, initialised
/// once (location, -InitializationScript) and reused for every later task; the script is re-parsed from its text in
/// them. A runspace whose script was stopped is disposed rather than reused; all are disposed at the end.
/// </summary>
internal sealed class PooledScriptInvoker : IScriptInvoker, IDisposable
{
    private readonly ScriptHandler _handler;
    private readonly InitialSessionState _sessionState;
    private readonly string? _initializationScript;
    private readonly string? _location;
    private readonly Func<ScriptStreams> _newStreams;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentQueue<Runspace> _idle = new();
    private readonly List<Runspace> _all = new();
    private bool _disposed;
    private int _createdTotal;

    public PooledScriptInvoker(ScriptHandler handler, int throttleLimit, InitialSessionState sessionState, string? initializationScript,
        string? location, Func<ScriptStreams> newStreams)
    {
        _handler = handler;
        _sessionState = sessionState;
        _initializationScript = initializationScript;
        _location = location;
        _newStreams = newStreams;
        _slots = new SemaphoreSlim(throttleLimit, throttleLimit);
    }

    /// <summary>Runspaces created so far, including discarded ones (at most ThrottleLimit unless scripts were stopped).</summary>
    public int CreatedCount
    {
        get
        {
            lock (_all) return _createdTotal;
        }
    }

    /// <summary>Opens one runspace now, so a failing -InitializationScript stops the cmdlet before any task is taken.</summary>
    public void WarmUp() => _idle.Enqueue(CreateRunspace());

    public async Task<ScriptInvocation> InvokeAsync(ScriptCall call, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Runspace? runspace = null;
        var reuse = false;
        try
        {
            runspace = _idle.TryDequeue(out var idle) ? idle : await Task.Run(CreateRunspace, cancellationToken).ConfigureAwait(false);
            var streams = _newStreams();
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = runspace;
            streams.Attach(ps.Streams);
            _handler.AddTo(ps, call);
            var output = new PSDataCollection<PSObject>();
            try
            {
                using (cancellationToken.Register(() => SequentialScriptInvoker.StopQuietly(ps)))
                {
                    var async = ps.BeginInvoke<PSObject, PSObject>(null, output);
                    await Task.Factory.FromAsync(async, ps.EndInvoke).ConfigureAwait(false);
                }
            }
            catch (PipelineStoppedException)
            {
                throw new OperationCanceledException("The script was stopped before it finished.", cancellationToken);
            }
            catch (RuntimeException e)
            {
                reuse = Reusable(runspace);
                return new ScriptInvocation(Array.Empty<object?>(), streams.Logs, ScriptHandler.ToFailure(e));
            }
            if (ps.InvocationStateInfo.State == PSInvocationState.Stopped)
                throw new OperationCanceledException("The script was stopped before it finished.", cancellationToken);
            reuse = Reusable(runspace);
            return new ScriptInvocation(ScriptHandler.ToOutputs(output), streams.Logs);
        }
        finally
        {
            if (runspace is not null)
            {
                if (reuse && !Volatile.Read(ref _disposed)) _idle.Enqueue(runspace);
                else Discard(runspace);
            }
            _slots.Release();
        }
    }

    // The checks ForEach-Object -Parallel makes before it reuses a runspace.
    private static bool Reusable(Runspace runspace) =>
        runspace.RunspaceStateInfo.State == RunspaceState.Opened && runspace.RunspaceAvailability == RunspaceAvailability.Available;

    private Runspace CreateRunspace()
    {
        // No host: a background runspace must not write to the console itself; its records are forwarded by the cmdlet.
        var runspace = RunspaceFactory.CreateRunspace(_sessionState);
        lock (_all)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(PooledScriptInvoker));
            _all.Add(runspace);
            runspace.Name = $"WorkerLoop:{_handler.TaskType}:{++_createdTotal}";
        }
        runspace.Open();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        if (_location is not null)
        {
            ps.AddCommand("Set-Location").AddParameter("LiteralPath", _location).Invoke();
            ps.Commands.Clear();
        }
        if (_initializationScript is not null)
        {
            // Dot-sourced so its functions and variables stay defined for every task run in this runspace.
            ps.AddScript(". {" + Environment.NewLine + _initializationScript + Environment.NewLine + "}");
            ps.Invoke();
            if (ps.HadErrors && ps.Streams.Error.Count > 0)
            {
                var first = ps.Streams.Error[0];
                throw new InvalidOperationException("-InitializationScript failed: " + first, first.Exception);
            }
        }
        return runspace;
    }

    private void Discard(Runspace runspace)
    {
        lock (_all) _all.Remove(runspace);
        runspace.Dispose();
    }

    public void Dispose()
    {
        List<Runspace> all;
        lock (_all)
        {
            _disposed = true;
            all = new List<Runspace>(_all);
            _all.Clear();
        }
        foreach (var runspace in all) runspace.Dispose();
        while (_idle.TryDequeue(out _)) { }
        // _slots is not disposed: a handler still unwinding may release it; it holds no OS handle.
    }
}
