using System.Reflection;
using ConductorTools.Api;

namespace ConductorTools.Bench.Workers;

/// <summary>Forwards every call to the engine after a fixed delay: a stand-in for a network round trip.</summary>
public class LatencyApi : DispatchProxy
{
    private IConductorApi _inner = null!;
    private TimeSpan _latency;

    public static IConductorApi Wrap(IConductorApi inner, TimeSpan latency)
    {
        var api = Create<IConductorApi, LatencyApi>();
        var proxy = (LatencyApi)(object)api;
        proxy._inner = inner;
        proxy._latency = latency;
        return api;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        if (!typeof(Task).IsAssignableFrom(method.ReturnType)) return method.Invoke(_inner, args);
        if (!method.ReturnType.IsGenericType) return DelayThen(() => (Task)method.Invoke(_inner, args)!);
        var helper = typeof(LatencyApi).GetMethod(nameof(DelayThenResult), BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(method.ReturnType.GetGenericArguments()[0]);
        return helper.Invoke(this, [new Func<object>(() => method.Invoke(_inner, args)!)]);
    }

    private async Task DelayThen(Func<Task> call)
    {
        await Task.Delay(_latency);
        await call();
    }

    private async Task<T> DelayThenResult<T>(Func<object> call)
    {
        await Task.Delay(_latency);
        return await (Task<T>)call();
    }
}
