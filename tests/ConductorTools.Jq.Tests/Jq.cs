using System.Text.Json.Nodes;
using ConductorTools.Jq;

namespace ConductorTools.Jq.Tests;

/// <summary>Helpers: run a filter on JSON text and get the outputs as compact JSON (as jq -c prints them).</summary>
internal static class Jq
{
    public static List<string> Run(string filter, string input = "null", JqOptions? options = null) =>
        JqFilter.Parse(filter).EvaluateJson(input, options).ToList();

    public static string One(string filter, string input = "null") => Assert.Single(Run(filter, input));

    public static string All(string filter, string input = "null") => string.Join(" ", Run(filter, input));

    public static string Error(string filter, string input = "null")
    {
        var e = Assert.ThrowsAny<JqException>(() => Run(filter, input));
        return e.Message;
    }

    public static JsonNode? Node(string json) => JsonNode.Parse(json);
}
