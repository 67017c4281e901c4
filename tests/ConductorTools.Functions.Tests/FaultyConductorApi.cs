using System.Reflection;
using ConductorTools.Api;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// Wraps a real <see cref="IConductorApi"/> and makes chosen operations fail like a broken server (HTTP 503, retryable)
/// a given number of times, then pass through. Served by the local server, it is what the cycle's HTTP client sees.
/// </summary>
public class FaultyConductorApi : DispatchProxy
{
    private IConductorApi _inner = null!;
    private readonly Dictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>How many calls were failed on purpose, per method name.</summary>
    public Dictionary<string, int> Injected { get; } = new(StringComparer.Ordinal);

    public static (IConductorApi Api, FaultyConductorApi Faults) Wrap(IConductorApi inner)
    {
        var api = Create<IConductorApi, FaultyConductorApi>();
        var faults = (FaultyConductorApi)(object)api;
        faults._inner = inner;
        return (api, faults);
    }

    /// <summary>Every call made through the wrapper, per method name (injected failures included).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    /// <summary>Fails the next <paramref name="times"/> calls of every method whose name starts with <paramref name="methodPrefix"/>.</summary>
    public void FailNext(string methodPrefix, int times)
    {
        lock (_gate) _failuresLeft[methodPrefix] = times;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        Calls.AddOrUpdate(targetMethod.Name, 1, (_, n) => n + 1);
        lock (_gate)
        {
            foreach (var prefix in _failuresLeft.Keys.ToList())
            {
                if (targetMethod.Name.StartsWith(prefix, StringComparison.Ordinal) && _failuresLeft[prefix] > 0)
                {
                    _failuresLeft[prefix]--;
                    Injected[prefix] = Injected.GetValueOrDefault(prefix) + 1;
                    var error = new ConductorException($"Injected failure of {targetMethod.Name}: service unavailable.", ConductorErrorKind.Server, 503) { Retryable = true };
                    // Async methods fail through their task, the way a real server failure arrives.
                    if (typeof(Task).IsAssignableFrom(targetMethod.ReturnType))
                    {
                        var resultType = targetMethod.ReturnType.IsGenericType ? targetMethod.ReturnType.GetGenericArguments()[0] : null;
                        if (resultType is null) return Task.FromException(error);
                        var fromException = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(resultType);
                        return fromException.Invoke(null, [error]);
                    }
                    throw error;
                }
            }
        }
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
