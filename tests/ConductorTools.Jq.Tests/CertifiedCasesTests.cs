using System.Text.Json;

namespace ConductorTools.Jq.Tests;

/// <summary>
/// Several hundred filter/input pairs whose outputs (or error messages) were produced by the jq 1.6 binary and recorded
/// in jq16-cases.json; this suite replays them without needing jq on the machine.
/// </summary>
public sealed class CertifiedCasesTests
{
    public static TheoryData<string, string, string, string?> Cases()
    {
        var data = new TheoryData<string, string, string, string?>();
        var path = Path.Combine(AppContext.BaseDirectory, "jq16-cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var outputs = string.Join("\n", c.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()));
            var error = c.TryGetProperty("error", out var e) ? e.GetString() : null;
            data.Add(c.GetProperty("filter").GetString()!, c.GetProperty("input").GetString()!, outputs, error);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_jq_1_6(string filter, string input, string expectedOutputs, string? expectedError)
    {
        var outputs = new List<string>();
        string? error = null;
        try
        {
            foreach (var o in JqFilter.Parse(filter).EvaluateJson(input)) outputs.Add(o);
        }
        catch (JqException e) { error = e.Message; }
        Assert.Equal(expectedOutputs, string.Join("\n", outputs));
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void The_recorded_suite_is_large()
    {
        Assert.True(Cases().Count() >= 700);
    }
}
