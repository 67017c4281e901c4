using System.Reflection;
using ConductorTools.Api;

namespace ConductorTools.Testing;

/// <summary>
/// An <see cref="IConductorApi"/> that forwards to a real one and lets a test inject faults into chosen operations:
/// fail the next N calls like a broken server (HTTP 503, retryable), throw before or after a call (an answer lost after
/// the server applied it), or replace a call outright. Faults of async methods arrive through their task, as a real
/// server failure does.
/// </summary>
public class FaultyApi : DispatchProxy
{
    private IConductorApi _inner = null!;
    private readonly Dictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _injected = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Called before each forwarded call with the method name; may throw to inject a fault before the call.</summary>
    public Action<string>? Before { get; set; }

    /// <summary>Called after a successful forwarded call; may throw to simulate a response lost after the server applied it.</summary>
    public Action<string>? After { get; set; }

    /// <summary>Replaces a call entirely (return non-null to use it).</summary>
    public Func<string, object?[]?, object?>? Replace { get; set; }

    /// <summary>How many calls <see cref="FailNext"/> failed, per method-name prefix.</summary>
    public IReadOnlyDictionary<string, int> Injected
    {
        get
        {
            lock (_gate) return new Dictionary<string, int>(_injected, StringComparer.Ordinal);
        }
    }

    public static (IConductorApi Api, FaultyApi Faults) Wrap(IConductorApi inner)
    {
        var api = Create<IConductorApi, FaultyApi>();
        var faults = (FaultyApi)(object)api;
        faults._inner = inner;
        return (api, faults);
    }

    /// <summary>Fails the next <paramref name="times"/> calls of every method whose name starts with <paramref name="methodPrefix"/>
    /// with a retryable 503.</summary>
    public void FailNext(string methodPrefix, int times)
    {
        lock (_gate) _failuresLeft[methodPrefix] = times;
    }

    /// <summary>A retryable transport failure, as when the server cannot be reached.</summary>
    public static ConductorException Transient(string what) =>
        new($"Injected outage during {what}", ConductorErrorKind.Transport) { Retryable = true };

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var name = targetMethod.Name;
        var replaced = Replace?.Invoke(name, args);
        if (replaced is not null) return replaced;
        try
        {
            FailIfPlanned(name);
            Before?.Invoke(name);
        }
        catch (Exception ex)
        {
            return Faulted(targetMethod.ReturnType, ex);
        }
        object? result;
        try
        {
            result = targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        return result is Task task && After is not null ? Continue(task, targetMethod.ReturnType, name) : result;
    }

    private void FailIfPlanned(string name)
    {
        lock (_gate)
        {
            foreach (var prefix in _failuresLeft.Keys)
            {
                if (!name.StartsWith(prefix, StringComparison.Ordinal) || _failuresLeft[prefix] <= 0) continue;
                _failuresLeft[prefix]--;
                _injected[prefix] = _injected.GetValueOrDefault(prefix) + 1;
                throw new ConductorException($"Injected failure of {name}: service unavailable.", ConductorErrorKind.Server, 503) { Retryable = true };
            }
        }
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
        if (!typeof(Task).IsAssignableFrom(returnType)) throw ex;
        if (!returnType.IsGenericType) return Task.FromException(ex);
        var from = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(returnType.GetGenericArguments()[0]);
        return from.Invoke(null, [ex])!;
    }
}
