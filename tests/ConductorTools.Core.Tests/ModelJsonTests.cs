using System.Text.Json;
using ConductorTools.Model;

namespace ConductorTools.Core.Tests;

public class ModelJsonTests
{
    [Fact]
    public void TaskDef_defaults_match_conductor()
    {
        var def = ConductorJson.Deserialize<TaskDef>("""{"name":"charge"}""")!;
        Assert.Equal(3, def.RetryCount);
        Assert.Equal(60, def.RetryDelaySeconds);
        Assert.Equal(3600, def.ResponseTimeoutSeconds);
        Assert.Equal(TaskTimeoutPolicy.TIME_OUT_WF, def.TimeoutPolicy);
        Assert.Equal(RetryLogic.FIXED, def.RetryLogic);
        Assert.Equal(1, def.BackoffScaleFactor);
    }

    [Fact]
    public void Nulls_are_omitted_and_enums_are_names()
    {
        var json = ConductorJson.Serialize(new TaskResult("wf", "t1", TaskResultStatus.IN_PROGRESS) { CallbackAfterSeconds = 30 });
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("IN_PROGRESS", doc.RootElement.GetProperty("status").GetString());
        Assert.False(doc.RootElement.TryGetProperty("outputData", out _));
        Assert.False(doc.RootElement.TryGetProperty("reasonForIncompletion", out _));
        Assert.Equal(30, doc.RootElement.GetProperty("callbackAfterSeconds").GetInt64());
    }

    [Fact]
    public void Free_form_maps_hold_plain_values_and_unknown_properties_survive()
    {
        const string json = """
            {"taskId":"t1","taskType":"charge","status":"IN_PROGRESS","scheduledTime":1700000000123,
             "inputData":{"n":7,"big":12345678901,"pi":2.5,"s":"x","ok":true,"nil":null,"list":[1,"a"],"map":{"k":"v"}},
             "someFutureField":{"a":1}}
            """;
        var task = ConductorJson.Deserialize<ConductorTask>(json)!;
        Assert.Equal(1700000000123, task.ScheduledTime);
        var input = task.InputData!;
        Assert.Equal(7L, input["n"]);
        Assert.Equal(12345678901L, input["big"]);
        Assert.Equal(2.5, input["pi"]);
        Assert.Equal("x", input["s"]);
        Assert.Equal(true, input["ok"]);
        Assert.Null(input["nil"]);
        Assert.Equal(new List<object?> { 1L, "a" }, input["list"]);
        Assert.Equal("v", ((Dictionary<string, object?>)input["map"]!)["k"]);

        var back = ConductorJson.Serialize(task);
        using var doc = JsonDocument.Parse(back);
        Assert.Equal(1, doc.RootElement.GetProperty("someFutureField").GetProperty("a").GetInt32());
        Assert.Equal(12345678901L, doc.RootElement.GetProperty("inputData").GetProperty("big").GetInt64());
    }
}
