using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using ConductorTools.Api;
using ConductorTools.Model;
using ConductorTools.Workers;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// <para type="synopsis">Runs PowerShell script blocks as Conductor task workers.</para>
/// <para type="description">Polls Conductor for tasks of the given types and runs a script block for each, reporting its
/// output as the task result. Polling, result delivery with retry, leases and drain are done by ConductorTools' worker
/// runtime; this cmdlet adapts script blocks and PowerShell streams to it. See about_ConductorTools for the script-block
/// contract.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "WorkerLoop", DefaultParameterSetName = SingleSet)]
[OutputType(typeof(WorkerCycleSummary), typeof(WorkerLoopTaskRecord))]
public sealed class InvokeWorkerLoopCommand : PSCmdlet, IDisposable
{
    private const string SingleSet = "TaskType";
    private const string MapSet = "Workers";

    private readonly CancellationTokenSource _stopPolling = new();
    private readonly List<IDisposable> _disposables = new();
    private PipelinePump? _pump;
    private List<ScriptWorker>? _workers;
    private WorkerRunner? _runner;
    private readonly CancellationTokenSource _pipelineStopping = new();
    private Exception? _stopError;
    private volatile bool _stoppedByPreference;

    /// <summary><para type="description">The task type (task definition name) to work on.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SingleSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Commands.TaskTypeCompleter))]
    public string TaskType { get; set; } = "";

    /// <summary><para type="description">The script block run for each task: parameters bind to the task input by name,
    /// $Task holds the whole task, output becomes the task output.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = SingleSet)]
    [ValidateNotNull]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    /// <summary><para type="description">Several workers in one loop: a hashtable of task type to script block.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = MapSet)]
    [ValidateNotNullOrEmpty]
    public Hashtable Workers { get; set; } = null!;

    /// <summary><para type="description">Runs up to this many tasks at once per task type, each in a runspace of a reused
    /// pool. Without it, tasks run one at a time on the pipeline thread, in your session.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; }

    /// <summary><para type="description">Runs once in each pooled runspace before its first task (import modules, define
    /// functions). Needs -ThrottleLimit.</para></summary>
    [Parameter]
    public ScriptBlock? InitializationScript { get; set; }

    /// <summary><para type="description">The task domain to poll (Conductor taskToDomain routing).</para></summary>
    [Parameter]
    public string? Domain { get; set; }

    /// <summary><para type="description">The worker id reported to Conductor; the machine name by default.</para></summary>
    [Parameter]
    public string? WorkerId { get; set; }

    /// <summary><para type="description">How long to wait between polls when a queue is empty, e.g. '00:00:00.5'.</para></summary>
    [Parameter]
    public TimeSpan? PollInterval { get; set; }

    /// <summary><para type="description">Stop after this many tasks were taken (each is run and reported).</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? MaxTasks { get; set; }

    /// <summary><para type="description">Stop taking tasks after this long, e.g. '00:10:00'; tasks in flight finish.</para></summary>
    [Parameter]
    public TimeSpan? Duration { get; set; }

    /// <summary><para type="description">Stop taking tasks at this time; tasks in flight finish.</para></summary>
    [Parameter]
    public DateTime? Until { get; set; }

    /// <summary><para type="description">Work through what is queued now, then return.</para></summary>
    [Parameter]
    public SwitchParameter Once { get; set; }

    /// <summary><para type="description">How long tasks in flight may take to finish after a stop (Ctrl+C, -MaxTasks,
    /// -Duration). What does not finish is handed back to Conductor. Default 30 seconds.</para></summary>
    [Parameter]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><para type="description">Registers a task definition (with Conductor's defaults) for each task type that
    /// has none.</para></summary>
    [Parameter]
    public SwitchParameter RegisterTaskDef { get; set; }

    /// <summary><para type="description">Writes a record for each finished task, then the summary.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary><para type="description">The Conductor connection to use; by default the current one, or the embedded
    /// engine when not connected.</para></summary>
    [Parameter]
    [ConductorApiTransformation]
    public IConductorApi? Connection { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            _ = LoopLimits();   // validated here, before any runspace is created; computed again when polling starts
            if (PollInterval is { } poll && poll < TimeSpan.FromMilliseconds(1))
                throw new ArgumentException($"-PollInterval {poll} is below 1 ms (a number is read as ticks); use '00:00:01' or [timespan]::FromSeconds(1).");
            if (DrainTimeout < TimeSpan.Zero)
                throw new ArgumentException("-DrainTimeout cannot be negative.");
            if (InitializationScript is not null && ThrottleLimit == 0)
                throw new ArgumentException("-InitializationScript needs -ThrottleLimit: in sequential mode the script block already runs in your session, so run the initialisation before Invoke-WorkerLoop.");
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidArgument", ErrorCategory.InvalidArgument, null));
        }

        _pump = new PipelinePump();
        _disposables.Add(_pump);
        _workers = new List<ScriptWorker>();
        foreach (var (taskType, scriptBlock) in WorkerScripts())
        {
            ScriptHandler handler;
            try
            {
                handler = ScriptHandler.Create(taskType, scriptBlock, this);
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidWorkerScript", ErrorCategory.InvalidArgument, taskType));
                return;
            }
            var worker = new ScriptWorker(taskType, handler.Plan, CreateInvoker(handler), WorkerId);
            if (PassThru) worker.TaskFinished += record => Write(() => WriteObject(record));
            worker.TaskFinished += record => WriteTaskVerbose(record);
            _workers.Add(worker);
        }
    }

    private IEnumerable<(string TaskType, ScriptBlock Script)> WorkerScripts()
    {
        if (ParameterSetName == SingleSet)
        {
            yield return (TaskType, ScriptBlock);
            yield break;
        }
        foreach (var worker in WorkersTable.Read(Workers, this)) yield return worker;
    }

    private IScriptInvoker CreateInvoker(ScriptHandler handler)
    {
        var preferences = ScriptRunspaces.Preferences(this);
        if (ThrottleLimit == 0) return new SequentialScriptInvoker(handler, _pump!, NewStreams, _pipelineStopping.Token, SessionState, preferences);

        // -Verbose/-Debug on the cmdlet turn the streams on inside pooled runspaces too (and for sequential scripts).
        var iss = ScriptRunspaces.SessionState(this, preferences);
        var location = ScriptRunspaces.Location(this);
        var pool = new PooledScriptInvoker(handler, ThrottleLimit, iss, InitializationScript?.ToString(), location, NewStreams);
        _disposables.Add(pool);
        try
        {
            pool.WarmUp();
        }
        catch (Exception e) when (e is RuntimeException or InvalidOperationException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InitializationScriptFailed", ErrorCategory.InvalidOperation, InitializationScript));
        }
        return pool;
    }

    private ScriptStreams NewStreams() => new(this, Write);

    /// <summary>
    /// Every Write* of the loop goes through here: queued for the pipeline thread, and tolerant of a stopping pipeline and of
    /// a preference that turns a record into a stop (-ErrorAction Stop): that stops the loop, which drains, then rethrows.
    /// </summary>
    private void Write(Action write) => _pump?.Post(() =>
    {
        try
        {
            write();
        }
        catch (PipelineStoppedException) when (!_pipelineStopping.IsCancellationRequested)
        {
            // Not Ctrl+C: a record that -ErrorAction Stop (or the caller's $ErrorActionPreference) turned into a stop.
            // PowerShell records that error and throws it once the cmdlet ends; the loop stops polling now and drains.
            _stoppedByPreference = true;
            _stopPolling.Cancel();
        }
        catch (PipelineStoppedException)
        {
        }
        catch (RuntimeException e) when (e is ActionPreferenceStopException)
        {
            _stopError ??= e;
            _stopPolling.Cancel();
        }
    });

    // A failed task is data (summary, -PassThru), not an error of the cmdlet: it is announced as a warning so that
    // -ErrorAction Stop in a host script does not end the whole loop on the first failing task.
    private void WriteTaskVerbose(WorkerLoopTaskRecord record)
    {
        var line = $"{record.TaskType} {record.TaskId}: {record.Status} in {record.Duration.TotalMilliseconds:0} ms" +
            (record.ReasonForIncompletion is { } reason ? $" ({reason})" : "");
        if (record.Status is TaskResultStatus.FAILED or TaskResultStatus.FAILED_WITH_TERMINAL_ERROR) Write(() => WriteWarning(line));
        else Write(() => WriteVerbose(line));
    }

    protected override void EndProcessing()
    {
        var api = WorkerLoopConnection.Resolve(Connection, WriteVerbose);
        var taskTypes = _workers!.Select(w => w.TaskType).ToArray();
        if (RegisterTaskDef)
        {
            IReadOnlyList<string> registered;
            try
            {
                registered = Task.Run(() => TaskDefRegistration.RegisterMissingAsync(api, taskTypes, _stopPolling.Token)).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_pipelineStopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (ConductorException e)
            {
                ThrowTerminatingError(Commands.ConductorCmdlet.ToErrorRecord(e, taskTypes));
                return;
            }
            foreach (var name in registered) WriteVerbose($"Registered task definition '{name}'.");
        }

        // The one worker runtime: polling, update-v2 chaining, retries, leases, drain, hand-back and the counts are all its.
        // -Duration counts from here, when polling starts, not from BeginProcessing (runspace warm-up, registration).
        WorkerRunLimits limits;
        try
        {
            limits = LoopLimits();
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidArgument", ErrorCategory.InvalidArgument, null));
            return;
        }
        var concurrency = ThrottleLimit == 0 ? 1 : ThrottleLimit;
        var definitions = _workers!.Select(w =>
        {
            var options = new WorkerOptions { Concurrency = concurrency, Domain = Domain };
            if (!string.IsNullOrEmpty(WorkerId)) options.WorkerId = WorkerId!;
            if (PollInterval is { } interval) options.PollInterval = interval;
            // -Once works through what is queued now: an empty queue is known after a short server-side wait, not a full
            // long poll (which is for loops that stay up).
            if (Once) options.LongPollTimeout = TimeSpan.FromMilliseconds(100);
            return new WorkerDefinition(w.TaskType, w.HandleAsync, options);
        }).ToList();
        _runner = new WorkerRunner(api, definitions, new WorkerRunnerOptions { DrainTimeout = DrainTimeout });
        _runner.Event += (_, e) => WriteRuntimeEvent(e);
        var runner = _runner;
        var run = Task.Run(() => runner.RunAsync(_stopPolling.Token, limits));

        var activity = "Invoke-WorkerLoop " + string.Join(", ", taskTypes);
        var lastProgress = DateTime.MinValue;
        _pump!.Run(run, TimeSpan.FromMilliseconds(200), () =>
        {
            if (DateTime.UtcNow - lastProgress < TimeSpan.FromMilliseconds(500)) return;
            lastProgress = DateTime.UtcNow;
            WriteLoopProgress(activity, completed: false);
        });
        WriteLoopProgress(activity, completed: true);

        WorkerCycleSummary summary;
        try
        {
            summary = run.GetAwaiter().GetResult();
        }
        catch (ConductorException e)
        {
            ThrowTerminatingError(Commands.ConductorCmdlet.ToErrorRecord(e, taskTypes));
            return;
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidArgument", ErrorCategory.InvalidArgument, taskTypes));
            return;
        }
        if (_stopError is not null) throw _stopError;
        if (_pipelineStopping.IsCancellationRequested || _stoppedByPreference) throw new PipelineStoppedException();
        WriteObject(summary);
    }

    // Poll and delivery trouble is shown as it happens (the runtime backs off and retries on its own); the rest is
    // verbose narration.
    private void WriteRuntimeEvent(WorkerEvent e)
    {
        switch (e.Kind)
        {
            case WorkerEventKind.PollFailed:
                Write(() => WriteWarning($"Polling '{e.TaskType}' failed: {e.Error?.Message} (retrying with backoff)."));
                break;
            case WorkerEventKind.UpdateFailed:
                Write(() => WriteWarning($"The result of {e.TaskType} {e.Task?.TaskId} was not accepted: {e.Error?.Message}"));
                break;
            case WorkerEventKind.HandedBack:
                Write(() => WriteVerbose($"{e.TaskType} {e.Task?.TaskId}: handed back to Conductor ({e.HandBackReason})."));
                break;
        }
    }

    private void WriteLoopProgress(string activity, bool completed)
    {
        var now = _runner?.CurrentSummary;
        var done = now is null ? 0 : now.Completed + now.Failed + now.InProgress;
        var status = now is null ? "Starting" : string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "Polled {0}, completed {1}, failed {2}, handed back {3}", now.Polled, now.Completed, now.Failed, now.HandedBack);
        var record = new ProgressRecord(0, activity, status)
        {
            PercentComplete = MaxTasks is { } max && max > 0 ? (int)Math.Min(100, done * 100 / max) : -1,
            RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        try
        {
            WriteProgress(record);
        }
        catch (PipelineStoppedException)
        {
        }
    }

    private WorkerRunLimits LoopLimits() =>
        WorkerRunLimits.ForLoop(MaxTasks, Duration, Until is { } until ? new DateTimeOffset(until.ToUniversalTime(), TimeSpan.Zero) : null, Once,
            DateTimeOffset.UtcNow);

    protected override void StopProcessing()
    {
        _pipelineStopping.Cancel();
        _stopPolling.Cancel();
    }

    public void Dispose()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--) _disposables[i].Dispose();
        _disposables.Clear();
        _stopPolling.Dispose();
        _pipelineStopping.Dispose();
    }
}
