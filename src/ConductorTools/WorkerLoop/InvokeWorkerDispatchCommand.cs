using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Storage;
using ConductorTools.Workers;
using Microsoft.Extensions.Logging;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// <para type="synopsis">Puts the work messages a task-type group's backlog needs on its fan-out queue, the way the dispatcher timer of an Azure Functions app does.</para>
/// <para type="description">Reads the CONDUCTOR_* app settings from the environment, reads the backlog of the group's task types
/// from Conductor (one queue-size call), and when there is one, the group queue's approximate message count (cycles queued or
/// running); then puts one work message per cycle still needed on the queue, never more than CONDUCTOR_FANOUT_MAX_CYCLES in
/// flight. A queue-triggered function runs one bounded cycle per message (Invoke-WorkerCycle -Message). An empty backlog costs
/// the one queue-size call. Does nothing unless CONDUCTOR_DISPATCH_MODE is FanOut. The rule and the dispatch are
/// ConductorTools.Core's FanOutDispatcher, the code the .NET Functions app runs.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "WorkerDispatch")]
[OutputType(typeof(FanOutDispatchResult))]
public sealed class InvokeWorkerDispatchCommand : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary><para type="description">The workers: the same hashtable of task type to script block as the cycle functions'
    /// (workers.ps1). Only the task types of the group and their concurrency matter here; no script runs.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public Hashtable Workers { get; set; } = null!;

    /// <summary><para type="description">The timer trigger's value (run.ps1's $Timer): its schedule status gives the dispatch
    /// interval, how long a message may wait for an instance (at least a minute).</para></summary>
    [Parameter]
    public object? Timer { get; set; }

    /// <summary><para type="description">The function's folder (run.ps1's $PSScriptRoot). Its name picks the group
    /// (ConductorDispatcher_&lt;group&gt; dispatches for &lt;group&gt;, any other name for 'default'), and its parent, the app root,
    /// holds host.json, whose functionTimeout is the length of a cycle.</para></summary>
    [Parameter]
    public string? FunctionDirectory { get; set; }

    /// <summary><para type="description">The task-type group to dispatch for (CONDUCTOR_TASK_GROUPS); overrides the group of
    /// -FunctionDirectory. Default: 'default'.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Group { get; set; }

    /// <summary><para type="description">The Conductor connection to use (Connect-Conductor -PassThru). Default: a client built
    /// from the settings. Required for the token auth modes (ManagedIdentity, DefaultAzureCredential).</para></summary>
    [Parameter]
    [ConductorApiTransformation]
    public IConductorApi? Connection { get; set; }

    /// <summary><para type="description">The storage connection string of the fan-out queue. Default: the AzureWebJobsStorage app
    /// setting (the queue trigger's connection): a connection string, or AzureWebJobsStorage__accountName with the app's managed
    /// identity.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorageConnectionString { get; set; }

    /// <summary><para type="description">Writes what the dispatch did (backlog, cycles in flight, plan, messages sent).</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var (settings, hostJsonTimeout, group) = FunctionAppBinding.Read(this, FunctionDirectory, Group);

        var definitions = new List<WorkerDefinition>();
        foreach (var (taskType, _) in WorkersTable.Read(Workers, this))
        {
            // The dispatcher runs no task: a handler that refuses, should one ever be called.
            definitions.Add(new WorkerDefinition(taskType, (task, _) => Task.FromResult(new TaskResult
            {
                TaskId = task.TaskId ?? "",
                WorkflowInstanceId = task.WorkflowInstanceId ?? "",
                Status = TaskResultStatus.FAILED,
                ReasonForIncompletion = "Invoke-WorkerDispatch runs no tasks.",
            })));
        }

        var records = new ConcurrentQueue<(LogLevel Level, bool Cycle, string Message)>();
        using var loggerFactory = new InvokeWorkerCycleCommand.StreamLoggerFactory((level, cycle, message) => records.Enqueue((level, cycle, message)));
        var api = Connection;
        FanOutDispatchResult result;
        try
        {
            api ??= FunctionAppBinding.ApiFromSettings(this, settings, "Invoke-WorkerDispatch");
            var cycles = new FunctionCycleRunner(settings, api, definitions, hostJsonTimeout, loggerFactory);
            Azure.Storage.Queues.QueueServiceClient? service = null;
            IFanOutQueue QueueFor(string name)
            {
                service ??= StorageConnectionString is { } connection
                    ? StorageFanOutQueue.ServiceFromSettings(k => k == "connection" ? connection : null, "connection")
                    : StorageFanOutQueue.ServiceFromSettings(Environment.GetEnvironmentVariable);
                return StorageFanOutQueue.For(service, name);
            }
            var dispatcher = new FanOutDispatcher(cycles, QueueFor, loggerFactory);
            result = dispatcher.DispatchAsync(group, Interval(Timer), _cancel.Token).GetAwaiter().GetResult();
        }
        catch (ConductorSettingsException e)
        {
            WriteRecords(records);
            ThrowTerminatingError(new ErrorRecord(e, "ConductorTools.InvalidSettings", ErrorCategory.InvalidData, null));
            return;
        }
        catch (Azure.RequestFailedException e)
        {
            WriteRecords(records);
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException($"The fan-out queue could not be used ({e.Status} {e.ErrorCode}): {e.Message}", e),
                "ConductorTools.QueueFailed", ErrorCategory.ConnectionError, null));
            return;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is Azure.RequestFailedException))
        {
            // The storage client's own retries all failed (an account that cannot be reached): say so once.
            WriteRecords(records);
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(
                    $"The fan-out queue could not be reached after {e.InnerExceptions.Count} tries: {e.InnerExceptions[e.InnerExceptions.Count - 1].Message} Check AzureWebJobsStorage (or -StorageConnectionString).", e),
                "ConductorTools.QueueFailed", ErrorCategory.ConnectionError, null));
            return;
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            if (Connection is null) (api as IDisposable)?.Dispose();
        }
        WriteRecords(records);
        if (PassThru) WriteObject(result);
    }

    // The dispatch logs from thread-pool threads; its records are written here, on the pipeline thread, once it is over.
    private void WriteRecords(ConcurrentQueue<(LogLevel Level, bool Cycle, string Message)> records)
    {
        while (records.TryDequeue(out var record))
        {
            if (record.Level >= LogLevel.Warning) WriteWarning(record.Message);
            else if (record.Cycle && record.Level >= LogLevel.Information) WriteInformation(new InformationRecord(record.Message, "ConductorTools.Hosting") { Tags = { "ConductorDispatch" } });
            else WriteVerbose(record.Message);
        }
    }

    /// <summary>Next − Last of the timer's schedule status (the PowerShell worker's hashtable, or any object with those properties).</summary>
    private static TimeSpan? Interval(object? timer)
    {
        var value = timer is PSObject pso ? pso.BaseObject : timer;
        var status = FunctionAppBinding.Member(value, "ScheduleStatus");
        if (status is null) return null;
        var last = AsTime(FunctionAppBinding.Member(status, "Last"));
        var next = AsTime(FunctionAppBinding.Member(status, "Next"));
        return last is { } l && next is { } n && n > l ? n - l : null;
    }

    private static DateTimeOffset? AsTime(object? value) => value switch
    {
        DateTimeOffset d => d,
        DateTime t => new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t),
        string s when DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => null,
    };

    protected override void StopProcessing() => _cancel.Cancel();

    public void Dispose() => _cancel.Dispose();
}
