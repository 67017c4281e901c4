using System.Text.Json;

namespace ConductorTools.Jq.Tests;

/// <summary>
/// About a thousand filter/input pairs answered by the jq 1.6 binary and recorded in jq16-cases.json
/// (recording/record.py); replayed here without jq. Where this library answers differently on purpose, the filter is
/// listed with the reason in recording/known-differences.txt, and that list must stay exact.
/// </summary>
public sealed class CertifiedCasesTests
{
    private static readonly Lazy<Dictionary<string, string>> Known = new(() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "recording", "known-differences.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""));

    private static IEnumerable<(string Filter, string Input, string Outputs, string? Error)> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "jq16-cases.json")));
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var outputs = string.Join("\n", c.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()));
            var error = c.TryGetProperty("error", out var e) ? e.GetString() : null;
            yield return (c.GetProperty("filter").GetString()!, c.GetProperty("input").GetString()!, outputs, error);
        }
    }

    public static TheoryData<string, string, string, string?> Cases()
    {
        var data = new TheoryData<string, string, string, string?>();
        foreach (var c in Load()) if (!Known.Value.ContainsKey(c.Filter)) data.Add(c.Filter, c.Input, c.Outputs, c.Error);
        return data;
    }

    private static (string Outputs, string? Error) Run(string filter, string input)
    {
        var outputs = new List<string>();
        string? error = null;
        try
        {
            foreach (var o in JqFilter.Parse(filter).EvaluateJson(input, new JqOptions { MaxSteps = 1_000_000 })) outputs.Add(o);
        }
        catch (JqException e) { error = e.Message; }
        return (string.Join("\n", outputs), error);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_jq_1_6(string filter, string input, string expectedOutputs, string? expectedError)
    {
        var (outputs, error) = Run(filter, input);
        Assert.Equal(expectedOutputs, outputs);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void Every_listed_difference_is_still_a_difference()
    {
        var cases = Load().ToList();
        foreach (var (filter, reason) in Known.Value)
        {
            var matching = cases.Where(c => c.Filter == filter).ToList();
            Assert.True(matching.Count > 0, $"known difference not in the recording: {filter}");
            Assert.Contains(matching, c => Run(c.Filter, c.Input) != (c.Outputs, c.Error));
            Assert.False(string.IsNullOrWhiteSpace(reason), $"no reason given for {filter}");
        }
    }

    [Fact]
    public void The_recorded_suite_is_large()
    {
        Assert.True(Cases().Count() >= 900);
    }
}
