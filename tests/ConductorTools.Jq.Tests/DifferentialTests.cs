using System.Diagnostics;

namespace ConductorTools.Jq.Tests;

/// <summary>
/// Compares outputs with the jq binary on generated filters when jq is on PATH. It is one proof among several (the
/// recorded jq 1.6 cases and the hand-written suites run everywhere); without jq it returns early and says so.
/// </summary>
public sealed class DifferentialTests
{
    private static string? FindJq()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var p = Path.Combine(dir, OperatingSystem.IsWindows() ? "jq.exe" : "jq");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static readonly string[] Inputs =
    {
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\",\"d\":{\"e\":1.5,\"f\":[true,false]}}",
        "[3,1,\"s\",null,[2],{\"k\":0}]",
    };

    // jq 1.6 lets `?` swallow errors raised downstream of it (fixed in 1.7); `?` therefore only ends a generated filter.
    private static readonly string[] Atoms = { ".", ".a", ".c", ".d", ".d.e", ".a[0]", ".a[-1]", ".a[1:]", "type", "..", "tojson", "1", "\"s\"", "null", "[]", "{}", "[.[]]", "(.d // 7)" };
    private static readonly string[] Unary = { "length", "type", "tostring", "tojson", "keys?", "[.[]?]", "[..] | length", "[paths] | length", "to_entries?", "add?", "sort?", "reverse?", "unique?", "flatten?", "[leaf_paths]", "not", "(. == null)", "[.[]?] | length", "(tostring | length)", "(tojson | fromjson)", "[.. | numbers]", "[.. | strings]", "(. as $x | [$x])", "[recurse | type]", "[tostream] | length", "del(.a)?", "(.a |= length)?", "(to_entries? | map(.key))", "(tojson | length)" };
    private static readonly string[] Binary = { "+", "-", "==", "!=", "<", ">=", "and", "or", "//", "," };

    private static IEnumerable<string> Generate()
    {
        var rnd = new Random(7);
        var set = new HashSet<string>();
        foreach (var a in Atoms) foreach (var u in Unary) set.Add(a + " | " + u);
        while (set.Count < 600)
        {
            var a = Atoms[rnd.Next(Atoms.Length)];
            var b = Atoms[rnd.Next(Atoms.Length)];
            var op = Binary[rnd.Next(Binary.Length)];
            var u = Unary[rnd.Next(Unary.Length)];
            set.Add(rnd.Next(3) switch
            {
                0 => $"try (({a}) {op} ({b})) catch \"E\"",
                1 => $"[({a}) {op} ({b})] | ({u})",
                _ => $"try ({a} | {u}) catch \"E\"",
            });
        }
        return set;
    }

    [Fact]
    public void Generated_filters_match_the_jq_binary()
    {
        var jq = FindJq();
        if (jq == null)
        {
            TestContext.Current.SendDiagnosticMessage("jq is not on PATH: differential test skipped (the recorded jq 1.6 cases still ran)");
            return;
        }
        var filters = Generate().ToList();
        var mismatches = new List<string>();
        int compared = 0;
        foreach (var input in Inputs)
        foreach (var chunk in filters.Chunk(120))
        {
            // One jq process per input: the filters run as one program that collects each filter's outputs (or "E").
            var program = "[" + string.Join(",\n", chunk.Select(f => $"([try ({f}) catch \"E\"])")) + "] | .[] | tojson";
            var psi = new ProcessStartInfo(jq) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-r");
            psi.ArgumentList.Add(program);
            using var p = Process.Start(psi)!;
            p.StandardInput.Write(input);
            p.StandardInput.Close();
            string stderr = "";
            var errThread = new Thread(() => stderr = p.StandardError.ReadToEnd());
            errThread.Start();
            var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            p.WaitForExit();
            errThread.Join();
            Assert.True(p.ExitCode == 0, "jq failed: " + stderr);
            Assert.Equal(chunk.Length, lines.Length);
            var ours = JqFilter.Parse(program).EvaluateJson(input).Select(s => System.Text.Json.JsonSerializer.Deserialize<string>(s)!).ToList();
            for (int i = 0; i < chunk.Length; i++)
            {
                compared++;
                if (ours[i] != lines[i]) mismatches.Add($"{chunk[i]} on {input}: jq {lines[i]} / ours {ours[i]}");
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ:\n" + string.Join("\n", mismatches.Take(30)));
    }
}
