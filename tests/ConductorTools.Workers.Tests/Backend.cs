using System.Reflection;
using ConductorTools.Api;
using ConductorTools.Engine;
using ConductorTools.Model;

namespace ConductorTools.Workers.Tests;

/// <summary>The real embedded engine with helpers to set up one-task workflows.</summary>
internal static class Backend
{
    public static EmbeddedConductor Open(string? path = null) =>
        EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = path ?? EmbeddedConductorOptions.InMemory });

    public static async Task<List<string>> StartOneTaskWorkflowsAsync(IConductorApi api, string taskType, int count, int retryCount = 0,
        long responseTimeoutSeconds = 3600)
    {
        await api.RegisterTaskDefsAsync([new TaskDef(taskType) { RetryCount = retryCount, RetryDelaySeconds = 0, ResponseTimeoutSeconds = responseTimeoutSeconds }]);
        var name = "wf_" + taskType;
        await api.RegisterWorkflowDefAsync(new WorkflowDef
        {
            Name = name,
            Tasks = [new WorkflowTask { Name = taskType, TaskReferenceName = "t1" }],
        }, overwrite: true);
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await api.StartWorkflowAsync(name, new Dictionary<string, object?> { ["n"] = (long)i }));
        }
        return ids;
    }

    /// <summary>Completes a task with output naming its workflow, so a test can check each result landed where it belongs.</summary>
    public static TaskHandler Echo => (task, _) =>
        Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?> { ["workflowId"] = task.WorkflowInstanceId }));
}

/// <summary>An IConductorApi that forwards to a real one, letting a test inject faults into chosen operations.</summary>
public class FaultyApi : DispatchProxy
{
    private IConductorApi _inner = null!;

    /// <summary>Called before each forwarded call with the method name; may throw to inject a fault before the call.</summary>
    public Action<string>? Before { get; set; }

    /// <summary>Called after a successful forwarded call; may throw to simulate a response lost after the server applied it.</summary>
    public Action<string>? After { get; set; }

    /// <summary>Replaces a call entirely (return non-null to use it).</summary>
    public Func<string, object?[]?, object?>? Replace { get; set; }

    public static (IConductorApi Api, FaultyApi Faults) Wrap(IConductorApi inner)
    {
        var api = Create<IConductorApi, FaultyApi>();
        var faults = (FaultyApi)(object)api;
        faults._inner = inner;
        return (api, faults);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var name = targetMethod!.Name;
        var replaced = Replace?.Invoke(name, args);
        if (replaced is not null) return replaced;
        try
        {
            Before?.Invoke(name);
        }
        catch (Exception ex)
        {
            return Faulted(targetMethod.ReturnType, ex);
        }
        var result = targetMethod.Invoke(_inner, args);
        if (result is Task task && After is not null)
        {
            return Continue(task, targetMethod.ReturnType, name);
        }
        return result;
    }

    private object Continue(Task task, Type returnType, string name)
    {
        async Task<object?> Run()
        {
            await task;
            After!(name);
            return returnType.IsGenericType ? returnType.GetProperty("Result")!.GetValue(task) : null;
        }
        var run = Run();
        if (!returnType.IsGenericType) return run;
        var cast = typeof(FaultyApi).GetMethod(nameof(Cast), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(returnType.GetGenericArguments()[0]);
        return cast.Invoke(null, [run])!;
    }

    private static async Task<T> Cast<T>(Task<object?> task) => (T)(await task)!;

    private static object Faulted(Type returnType, Exception ex)
    {
        if (!returnType.IsGenericType) return Task.FromException(ex);
        var from = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(returnType.GetGenericArguments()[0]);
        return from.Invoke(null, [ex])!;
    }

    public static ConductorException Transient(string what) =>
        new($"Injected outage during {what}", ConductorErrorKind.Transport) { Retryable = true };
}
