using System.Collections;
using System.Management.Automation;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Workers;
using ConductorTools.Workers.Scripting;
using Microsoft.Extensions.Logging;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// <para type="synopsis">Runs one bounded worker cycle of PowerShell script blocks, the way a timer-triggered Azure Functions app does.</para>
/// <para type="description">Reads the CONDUCTOR_* app settings from the environment, computes the cycle's deadline (function
/// timeout from host.json or CONDUCTOR_FUNCTION_TIMEOUT, less CONDUCTOR_SAFETY_MARGIN), picks the workers of the function's
/// task-type group, polls and runs them until the deadline and hands back what it cannot finish, then logs the summary.
/// Settings, deadline, groups, hand-back and summary are ConductorTools.Core's FunctionCycleRunner, the code the .NET
/// Functions app runs.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "WorkerCycle")]
[OutputType(typeof(FunctionCycleResult))]
public sealed class InvokeWorkerCycleCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly CancellationTokenSource _pipelineStopping = new();
    private readonly List<IDisposable> _disposables = new();
    private PipelinePump? _pump;

    /// <summary><para type="description">The workers: a hashtable of task type to script block (workers.ps1). Only those of the
    /// function's group run.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public Hashtable Workers { get; set; } = null!;

    /// <summary><para type="description">The timer trigger's value (run.ps1's $Timer): its IsPastDue is logged with the cycle.</para></summary>
    [Parameter]
    public object? Timer { get; set; }

    /// <summary><para type="description">The queue trigger's value (the fan-out queue function's $QueueItem): one cycle runs for
    /// this work message, whatever CONDUCTOR_DISPATCH_MODE says. A value that is not a work message stops the invocation with a
    /// terminating error and runs no cycle, so the host retries it and then moves it to the poison queue. Without -Message
    /// (a timer), no cycle runs when CONDUCTOR_DISPATCH_MODE is FanOut: the queue functions run them.</para></summary>
    [Parameter]
    public object? Message { get; set; }

    /// <summary><para type="description">The function's folder (run.ps1's $PSScriptRoot). Its name picks the task-type group
    /// (ConductorWorkers_&lt;group&gt; and ConductorFanOut_&lt;group&gt; work on &lt;group&gt;, any other name on 'default'), and its
    /// parent, the app root, holds host.json, whose functionTimeout bounds the cycle.</para></summary>
    [Parameter]
    public string? FunctionDirectory { get; set; }

    /// <summary><para type="description">The task-type group to work on (CONDUCTOR_TASK_GROUPS); overrides the group of
    /// -FunctionDirectory. Default: 'default', every task type in no group.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Group { get; set; }

    /// <summary><para type="description">Runs once in each worker runspace before its first task (import modules, define functions).</para></summary>
    [Parameter]
    public ScriptBlock? InitializationScript { get; set; }

    /// <summary><para type="description">The Conductor connection to use (Connect-Conductor -PassThru). Default: a client built
    /// from the settings (CONDUCTOR_SERVER_URL, CONDUCTOR_AUTH_KEY/SECRET). Required for the token auth modes
    /// (ManagedIdentity, DefaultAzureCredential): connect with Connect-Conductor -TokenProvider.</para></summary>
    [Parameter]
    [ConductorApiTransformation]
    public IConductorApi? Connection { get; set; }

    /// <summary><para type="description">Writes the cycle's result (group, task types, deadline, summary).</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var (settings, hostJsonTimeout, group) = FunctionAppBinding.Read(this, FunctionDirectory, Group);

        var api = Connection ?? FunctionAppBinding.ApiFromSettings(this, settings, "Invoke-WorkerCycle");
        _pump = new PipelinePump();
        _disposables.Add(_pump);
        var loggerFactory = new StreamLoggerFactory(WriteLog);
        _disposables.Add(loggerFactory);

        // The script adapters of the selected group are made once the runner has applied the settings (concurrency per task
        // type = the size of that type's runspace pool); the registered handlers call them.
        var workers = new Dictionary<string, ScriptWorker>(StringComparer.Ordinal);
        var handlers = new Dictionary<string, ScriptHandler>(StringComparer.Ordinal);
        var definitions = new List<WorkerDefinition>();
        foreach (var (taskType, script) in WorkersTable.Read(Workers, this))
        {
            try
            {
                handlers[taskType] = ScriptHandler.Create(taskType, script, this);
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidWorkerScript", ErrorCategory.InvalidArgument, taskType));
                return;
            }
            var type = taskType;
            definitions.Add(new WorkerDefinition(type, (task, ct) => workers[type].HandleAsync(task, ct)));
        }

        FunctionCycleResult result;
        try
        {
            var runner = new FunctionCycleRunner(settings, api, definitions, hostJsonTimeout, loggerFactory);
            var preferences = ScriptRunspaces.Preferences(this);
            var location = ScriptRunspaces.Location(this);
            foreach (var definition in runner.WorkersFor(group))
            {
                // Always pooled runspaces, one pool per task type sized by its concurrency (1 unless set): a script
                // behaves the same at concurrency 1 and at 16, and never sees run.ps1's variables (use $using:).
                var pool = new PooledScriptInvoker(handlers[definition.TaskType], definition.Options.Concurrency,
                    ScriptRunspaces.SessionState(this, preferences), InitializationScript?.ToString(), location, () => new ScriptStreams(this, Write));
                _disposables.Add(pool);
                // A failing -InitializationScript stops the cycle before any task is taken (runspaces are otherwise made on demand).
                if (InitializationScript is not null) WarmUp(pool);
                var worker = new ScriptWorker(definition.TaskType, handlers[definition.TaskType].Plan, pool);
                worker.TaskFinished += record => Write(() => WriteVerbose(
                    $"{record.TaskType} {record.TaskId}: {record.Status} in {record.Duration.TotalMilliseconds:0} ms" +
                    (record.ReasonForIncompletion is { } reason ? $" ({reason})" : "")));
                workers[definition.TaskType] = worker;
            }
            var isPastDue = IsPastDue(Timer);
            var message = Message is PSObject wrapped ? wrapped.BaseObject : Message;
            var hasMessage = MyInvocation.BoundParameters.ContainsKey(nameof(Message));
            var run = Task.Run(() => hasMessage
                ? runner.RunForMessageAsync(message, group, _cancel.Token)
                : runner.RunTimerAsync(group, isPastDue, _cancel.Token));
            _pump.Run(run, TimeSpan.FromMilliseconds(200), () => { });
            result = run.GetAwaiter().GetResult();
        }
        catch (ConductorSettingsException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidSettings", ErrorCategory.InvalidData, group));
            return;
        }
        catch (FanOutMessageException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidWorkMessage", ErrorCategory.InvalidData, Message));
            return;
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidArgument", ErrorCategory.InvalidArgument, group));
            return;
        }
        finally
        {
            if (Connection is null) (api as IDisposable)?.Dispose();
        }
        if (_pipelineStopping.IsCancellationRequested) throw new PipelineStoppedException();
        if (PassThru) WriteObject(result);
    }

    private void WarmUp(PooledScriptInvoker pool)
    {
        try
        {
            pool.WarmUp();
        }
        catch (Exception e) when (e is RuntimeException or InvalidOperationException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InitializationScriptFailed", ErrorCategory.InvalidOperation, InitializationScript));
        }
    }

    /// <summary>IsPastDue of the Functions PowerShell worker's timer hashtable or of any object with that property.</summary>
    private static bool IsPastDue(object? timer) => LanguagePrimitives.IsTrue(FunctionAppBinding.Member(timer, "IsPastDue"));

    // A cycle is a host's invocation: a record that a preference turns into a stop (a script's Write-Error under
    // $ErrorActionPreference = 'Stop') must not end it early; the record is in the task's log. Ctrl+C arrives as StopProcessing.
    private void Write(Action write) => _pump?.Post(() =>
    {
        try
        {
            write();
        }
        catch (PipelineStoppedException)
        {
        }
        catch (RuntimeException e) when (e is ActionPreferenceStopException)
        {
        }
    });

    protected override void StopProcessing()
    {
        _pipelineStopping.Cancel();
        _cancel.Cancel();
    }

    public void Dispose()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--) _disposables[i].Dispose();
        _disposables.Clear();
        _cancel.Dispose();
        _pipelineStopping.Dispose();
    }

    private void WriteLog(LogLevel level, bool cycle, string message) => Write(() =>
    {
        if (level >= LogLevel.Warning) WriteWarning(message);
        else if (cycle && level >= LogLevel.Information) WriteInformation(new InformationRecord(message, "ConductorTools.Hosting") { Tags = { "ConductorCycle" } });
        else WriteVerbose(message);
    });

    /// <summary>
    /// The cycle's log (start, summary, the runtime's warnings) as PowerShell records, written on the pipeline thread through
    /// the cmdlet's pump: the cycle's own lines as information (warning when the summary reports failures or hand-backs), the
    /// runtime's warnings and errors as warnings, the rest verbose. (Core references only Microsoft.Extensions.Logging.Abstractions.)
    /// </summary>
    internal sealed class StreamLoggerFactory(Action<LogLevel, bool, string> sink) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new StreamLogger(sink, categoryName.StartsWith("ConductorTools.Hosting", StringComparison.Ordinal));

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }

        private sealed class StreamLogger(Action<LogLevel, bool, string> sink, bool cycle) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug && logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                sink(logLevel, cycle, formatter(state, exception) + (exception is null ? "" : ": " + exception.Message));
            }
        }
    }
}
