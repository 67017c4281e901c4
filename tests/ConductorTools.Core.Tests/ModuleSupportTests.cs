using System.Collections;
using System.Collections.Specialized;
using ConductorTools.Api;
using ConductorTools.Connections;
using ConductorTools.Conversion;
using ConductorTools.Model;

namespace ConductorTools.Core.Tests;

/// <summary>The decisions the PowerShell cmdlets delegate to Core.</summary>
public class ModuleSupportTests
{
    private enum Color { Red }

    [Fact]
    public void Script_values_become_plain_conductor_values()
    {
        var ordered = new OrderedDictionary { ["b"] = 1, ["a"] = 2 };
        var input = new Hashtable
        {
            ["int"] = 5,
            ["float"] = 1.5f,
            ["decimal"] = 2.0m,
            ["date"] = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
            ["enum"] = Color.Red,
            ["array"] = new object[] { 1, "x", null! },
            ["ordered"] = ordered,
            ["object"] = new { Name = "n", Count = 3 },
        };
        var map = PlainValues.ToMap(input, "-Input");
        Assert.Equal(5L, map["int"]);
        Assert.Equal(1.5, map["float"]);
        Assert.Equal(2L, map["decimal"]);
        Assert.Equal("2030-01-02T01:04:05.0000000+00:00", map["date"]);
        Assert.Equal("Red", map["enum"]);
        Assert.Equal(new List<object?> { 1L, "x", null }, map["array"]);
        Assert.Equal(new[] { "b", "a" }, ((Dictionary<string, object?>)map["ordered"]!).Keys);
        Assert.Equal(3L, ((Dictionary<string, object?>)map["object"]!)["Count"]);
    }

    [Fact]
    public void Cycles_and_non_maps_get_clear_errors()
    {
        var loop = new Hashtable();
        loop["self"] = loop;
        var cycle = Assert.Throws<ArgumentException>(() => PlainValues.ToPlain(loop));
        Assert.Contains("refers to itself at $.self", cycle.Message);
        var notMap = Assert.Throws<ArgumentException>(() => PlainValues.ToMap(42, "-Input"));
        Assert.Contains("-Input must be a hashtable", notMap.Message);
    }

    [Fact]
    public void Unwrap_hook_sees_every_nested_value()
    {
        var wrapped = new Hashtable { ["inner"] = new Wrapper(new Hashtable { ["x"] = 1 }) };
        var map = PlainValues.ToMap(wrapped, "x", v => v is Wrapper w ? w.Value : v);
        Assert.Equal(1L, ((Dictionary<string, object?>)map["inner"]!)["x"]);
    }

    private sealed record Wrapper(object Value);

    [Fact]
    public void Models_are_read_from_maps_with_errors_naming_the_field()
    {
        var def = PlainValues.ToModel<TaskDef>(new Hashtable { ["name"] = "charge", ["retryCount"] = 1, ["timeoutPolicy"] = "RETRY" }, "-InputObject");
        Assert.Equal("charge", def.Name);
        Assert.Equal(TaskTimeoutPolicy.RETRY, def.TimeoutPolicy);
        var bad = Assert.Throws<ArgumentException>(() => PlainValues.ToModel<TaskDef>(new Hashtable { ["name"] = "x", ["retryCount"] = "many" }, "-InputObject"));
        Assert.Contains("retryCount", bad.Message);
    }

    [Fact]
    public void Connections_resolve_explicit_then_session_then_environment_then_embedded()
    {
        var opened = 0;
        ConductorConnection Embedded() { opened++; return new ConductorConnection(NullApiFactory.Create(), ConductorConnectionKind.Embedded, "mem", "none"); }
        var env = new Dictionary<string, string?>();
        var resolver = new ConnectionResolver(Embedded, n => env.TryGetValue(n, out var v) ? v : null);
        var notices = new List<string>();

        var fallback = resolver.Resolve(null, notices.Add);
        Assert.Equal(ConductorConnectionKind.Embedded, fallback.Kind);
        Assert.Same(fallback, resolver.Resolve(null, notices.Add));
        Assert.Single(notices); // said once
        Assert.Equal(1, opened);

        var session = new ConductorConnection(NullApiFactory.Create(), ConductorConnectionKind.Server, "http://s/api/", "none");
        resolver.Current = session;
        Assert.Same(session, resolver.Resolve(null));
        var explicitOne = new ConductorConnection(NullApiFactory.Create(), ConductorConnectionKind.Server, "http://e/api/", "none");
        Assert.Same(explicitOne, resolver.Resolve(explicitOne));

        env["CONDUCTOR_SERVER_URL"] = "http://conductor:8080";
        var fromEnv = new ConnectionResolver(Embedded, n => env.TryGetValue(n, out var v) ? v : null).Resolve(null);
        Assert.Equal(ConductorConnectionKind.Server, fromEnv.Kind);
        Assert.Equal("http://conductor:8080/api/", fromEnv.Target);
    }

    [Fact]
    public void Search_filters_become_a_conductor_query()
    {
        Assert.Null(WorkflowSearchQuery.Build(null, null, null, null, null));
        Assert.Equal("workflowType = 'o''k' AND status IN (FAILED,TIMED_OUT) AND correlationId = 'c' AND startTime >= 1000",
            WorkflowSearchQuery.Build("o'k", [WorkflowStatus.FAILED, WorkflowStatus.TIMED_OUT], "c", DateTimeOffset.FromUnixTimeMilliseconds(1000), null));
    }

}

/// <summary>An IConductorApi that must not be called (resolution tests only compare identities).</summary>
public class NullApiFactory : System.Reflection.DispatchProxy
{
    public static IConductorApi Create() => Create<IConductorApi, NullApiFactory>();

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
        throw new NotSupportedException(targetMethod?.Name);
}
