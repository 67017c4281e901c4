using System.Management.Automation;
using ConductorTools.Api;
using ConductorTools.Connections;
using ConductorTools.Conversion;
using ConductorTools.Engine;

namespace ConductorTools.PowerShell.Commands;

/// <summary>
/// Base of every ConductorTools cmdlet: -Connection, the session/embedded default, cancellation on Ctrl+C, and
/// Conductor failures as error records with stable ids and categories.
/// </summary>
public abstract class ConductorCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>The session's connections (one per process, as the module is loaded once per runspace's process).</summary>
    internal static readonly ConnectionResolver Connections = new(() =>
    {
        var path = EmbeddedConductorOptions.DefaultDatabasePath;
        return new ConductorConnection(EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path }),
            ConductorConnectionKind.Embedded, path, "none");
    });

    /// <summary><para type="description">The connection to use (from Connect-Conductor -PassThru or Get-ConductorConnection).
    /// Default: the session's connection, else CONDUCTOR_SERVER_URL, else the embedded engine.</para></summary>
    [Parameter]
    public ConductorConnection? Connection { get; set; }

    protected CancellationToken CancelToken => _stopping.Token;

    protected IConductorApi Api => Connections.Resolve(Connection, WriteVerbose, WriteWarning).Api;

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>After a definition is registered or removed, tab completion asks the connection afresh.</summary>
    protected void DefinitionsChanged() => Completion.ConductorCompleter.Shared.Cache.Clear(Api);

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs a Conductor call on the pipeline thread; Ctrl+C cancels it.</summary>
    protected T Call<T>(Func<CancellationToken, Task<T>> call) => call(CancelToken).GetAwaiter().GetResult();

    protected void Call(Func<CancellationToken, Task> call) => call(CancelToken).GetAwaiter().GetResult();

    /// <summary>
    /// Waits for a workflow like <see cref="WorkflowWaiter.WaitAsync"/>, showing Write-Progress on the pipeline thread while
    /// it runs (activity <paramref name="activity"/>, one record per <paramref name="activityId"/>); Ctrl+C cancels it.
    /// </summary>
    protected Model.Workflow WaitWithProgress(string workflowId, TimeSpan timeout, string activity, int activityId = 1)
    {
        WorkflowWaitProgress? latest = null;
        var wait = WorkflowWaiter.WaitAsync(Api, workflowId, timeout, CancelToken, onStatus: p => Volatile.Write(ref latest, p));
        var record = new ProgressRecord(activityId, activity, $"Waiting for workflow {workflowId}");
        var shown = false;
        while (!((IAsyncResult)wait).AsyncWaitHandle.WaitOne(250))
        {
            if (Volatile.Read(ref latest) is not { } now) continue;
            record.StatusDescription = $"Workflow {workflowId}: {now.Describe()}";
            record.PercentComplete = now.PercentComplete;
            WriteProgress(record);
            shown = true;
        }
        if (shown)
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }
        return wait.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="action"/>, turning a Conductor failure into a non-terminating error about <paramref name="target"/>.</summary>
    protected void Try(object? target, Action action)
    {
        try
        {
            action();
        }
        catch (ConductorException ex)
        {
            WriteError(ToErrorRecord(ex, target));
        }
        catch (ArgumentException ex)
        {
            WriteError(new ErrorRecord(ex, "ConductorTools.InvalidArgument", ErrorCategory.InvalidArgument, target));
        }
        catch (TimeoutException ex)
        {
            WriteError(new ErrorRecord(ex, "ConductorTools.Timeout", ErrorCategory.OperationTimeout, target));
        }
        catch (ObjectDisposedException ex) when (ex.ObjectName == nameof(ConductorConnection))
        {
            WriteError(ConnectionClosed(ex, target));
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ex is not PipelineStoppedException and not OperationCanceledException and not OutOfMemoryException
            and not ActionPreferenceStopException and not HaltCommandException)
        {
            // Never a raw .NET type as the error id: the id says it is ours, the message and inner exception say what.
            WriteError(new ErrorRecord(ex, "ConductorTools.Unexpected", ErrorCategory.NotSpecified, target));
        }
    }

    internal static ErrorRecord ConnectionClosed(ObjectDisposedException ex, object? target) =>
        new(new InvalidOperationException(ex.Message.Replace($"Object name: '{nameof(ConductorConnection)}'.", "").Trim(), ex),
            "ConductorTools.ConnectionClosed", ErrorCategory.ResourceUnavailable, target);

    internal static ErrorRecord ToErrorRecord(ConductorException ex, object? target)
    {
        var category = ex.Kind switch
        {
            ConductorErrorKind.Validation => ErrorCategory.InvalidData,
            ConductorErrorKind.NotFound => ErrorCategory.ObjectNotFound,
            ConductorErrorKind.Conflict => ErrorCategory.ResourceExists,
            ConductorErrorKind.InvalidState => ErrorCategory.InvalidOperation,
            ConductorErrorKind.Unauthorized => ErrorCategory.AuthenticationError,
            ConductorErrorKind.Forbidden => ErrorCategory.PermissionDenied,
            ConductorErrorKind.PayloadTooLarge => ErrorCategory.LimitsExceeded,
            ConductorErrorKind.RateLimited => ErrorCategory.LimitsExceeded,
            ConductorErrorKind.Transport => ErrorCategory.ConnectionError,
            ConductorErrorKind.Timeout => ErrorCategory.OperationTimeout,
            ConductorErrorKind.Protocol => ErrorCategory.ProtocolError,
            _ => ErrorCategory.NotSpecified,
        };
        return new ErrorRecord(ex, "ConductorTools." + ex.Kind, category, target);
    }

    /// <summary>Unwraps PowerShell objects for <see cref="PlainValues"/>: PSCustomObject to its properties, PSObject to its base.</summary>
    internal static object? Unwrap(object value)
    {
        if (value is not PSObject pso) return value;
        if (pso.BaseObject is PSCustomObject)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in pso.Properties)
            {
                if (!property.IsGettable) continue;
                try
                {
                    map[property.Name] = property.Value;
                }
                catch (GetValueException)
                {
                    // a property whose getter throws is left out, as ConvertTo-Json does
                }
            }
            return map;
        }
        return pso.BaseObject;
    }

    /// <summary>The files that -Path's PowerShell paths (wildcards allowed) name; a path that matches nothing is a
    /// non-terminating ConductorTools.FileNotFound error, and the rest go on.</summary>
    protected IEnumerable<string> ResolveFiles(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            IEnumerable<string> files;
            try
            {
                files = GetResolvedProviderPathFromPSPath(path, out _);
            }
            catch (ItemNotFoundException ex)
            {
                WriteError(new ErrorRecord(ex, "ConductorTools.FileNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }
            foreach (var file in files) yield return file;
        }
    }

    protected static Dictionary<string, object?> ToMap(object? value, string what) => PlainValues.ToMap(value, what, Unwrap);

    protected static T ToModel<T>(object? value, string what) where T : class => PlainValues.ToModel<T>(value, what, Unwrap);

    protected static bool Matches(string? value, string[]? patterns) =>
        patterns is null || patterns.Length == 0 || patterns.Any(p => new WildcardPattern(p, WildcardOptions.IgnoreCase).IsMatch(value ?? ""));
}
