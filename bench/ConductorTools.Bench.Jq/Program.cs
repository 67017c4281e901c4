// Benchmarks of ConductorTools.Jq against the jq binary, measured in the same run.
//   dotnet run -c Release --project bench/ConductorTools.Bench.Jq [-- --mb 50 --seconds 2]
// Small documents (the Conductor case): evaluations per second of a filter compiled once, JsonNode in and out,
// on one thread; jq's figure is its throughput over a stream of the same documents in one process (jq -c f < docs).
// Large document: one 50 MB array, parse + filter + print, both sides reading the same file.
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ConductorTools.Jq;

int mb = 50;
double seconds = 2;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--mb") mb = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    if (args[i] == "--seconds") seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
}

var jq = FindJq();
Console.WriteLine($"ConductorTools.Jq bench — {DateTime.UtcNow:u}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, jq: {(jq == null ? "not found" : JqVersion(jq))}");
Console.WriteLine();

var small = new (string Name, string Filter, string Doc)[]
{
    ("transform", "{ key3: (.key1.value1 + .key2.value2) }", "{\"key1\":{\"value1\":5},\"key2\":{\"value2\":7},\"queryExpression\":\"{ key3: (.key1.value1 + .key2.value2) }\"}"),
    ("filter-count", ".items | map(select(.qty > 0)) | length", "{\"items\":[{\"sku\":\"a\",\"qty\":1},{\"sku\":\"b\",\"qty\":0},{\"sku\":\"c\",\"qty\":3},{\"sku\":\"d\",\"qty\":2}]}"),
};

Console.WriteLine("| small document | ConductorTools.Jq evals/s (JsonNode in/out) | jq 1.6 evals/s (stream of docs) | ratio |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var (name, filterText, doc) in small)
{
    var filter = JqFilter.Parse(filterText);
    var input = JsonNode.Parse(doc);
    // warm up
    for (int i = 0; i < 20000; i++) foreach (var _ in filter.Evaluate(input)) { }
    long n = 0;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        for (int i = 0; i < 1000; i++) { foreach (var _ in filter.Evaluate(input)) { } }
        n += 1000;
    }
    double ours = n / sw.Elapsed.TotalSeconds;
    double? theirs = null;
    if (jq != null)
    {
        int docs = 200_000;
        var path = Path.Combine(Path.GetTempPath(), $"jqbench-small-{name}.json");
        using (var w = new StreamWriter(path)) for (int i = 0; i < docs; i++) w.WriteLine(doc);
        var t = RunJq(jq, filterText, path);
        theirs = docs / t;
        File.Delete(path);
    }
    Console.WriteLine($"| `{filterText}` | {ours:N0} | {(theirs is { } x ? x.ToString("N0") : "n/a")} | {(theirs is { } y ? (ours / y).ToString("0.0") + "x" : "n/a")} |");
}
Console.WriteLine();

// ---- large document ----
var big = Path.Combine(Path.GetTempPath(), $"jqbench-{mb}mb.json");
if (!File.Exists(big) || new FileInfo(big).Length < mb * 1_000_000L * 0.95)
{
    using var w = new StreamWriter(big, false, new UTF8Encoding(false));
    w.Write('[');
    long written = 1;
    var rnd = new Random(42);
    for (int i = 0; written < mb * 1_000_000L; i++)
    {
        var item = $"{(i > 0 ? "," : "")}{{\"id\":{i},\"x\":{rnd.Next(0, 11)},\"name\":\"item-{i}\",\"price\":{rnd.Next(1, 100000) / 100.0},\"tags\":[\"t{i % 7}\",\"u{i % 3}\"],\"ok\":{(i % 2 == 0 ? "true" : "false")}}}";
        w.Write(item);
        written += item.Length;
    }
    w.Write(']');
}
const string bigFilter = "[.[] | select(.x > 5) | {id, x}]";
var bigCompiled = JqFilter.Parse(bigFilter);
double bestOurs = double.MaxValue;
int outLen = 0;
for (int rep = 0; rep < 3; rep++)
{
    var sw = Stopwatch.StartNew();
    var bytes = File.ReadAllBytes(big);
    foreach (var o in bigCompiled.EvaluateJson(bytes, new JqOptions { MaxSteps = null })) outLen = o.Length;
    bestOurs = Math.Min(bestOurs, sw.Elapsed.TotalSeconds);
}
double? bestJq = null;
if (jq != null)
{
    for (int rep = 0; rep < 2; rep++) bestJq = Math.Min(bestJq ?? double.MaxValue, RunJq(jq, bigFilter, big));
}
Console.WriteLine("| large document | ConductorTools.Jq | jq 1.6 | speed vs jq |");
Console.WriteLine("|---|---:|---:|---:|");
Console.WriteLine($"| `{bigFilter}` over {new FileInfo(big).Length / 1e6:0.0} MB (parse + filter + print, best of 3/2) | {bestOurs:0.00} s | {(bestJq is { } b ? b.ToString("0.00") + " s" : "n/a")} | {(bestJq is { } c ? (c / bestOurs).ToString("0.0") + "x" : "n/a")} |");
Console.WriteLine($"(output {outLen / 1e6:0.0} MB of JSON)");
return 0;

static string? FindJq()
{
    foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
    {
        var p = Path.Combine(dir, OperatingSystem.IsWindows() ? "jq.exe" : "jq");
        if (File.Exists(p)) return p;
    }
    return null;
}

static string JqVersion(string jq)
{
    var psi = new ProcessStartInfo(jq, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
    using var p = Process.Start(psi)!;
    var v = p.StandardOutput.ReadToEnd().Trim();
    p.WaitForExit();
    return v;
}

static double RunJq(string jq, string filter, string file)
{
    var psi = new ProcessStartInfo(jq) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    psi.ArgumentList.Add("-c");
    psi.ArgumentList.Add(filter);
    psi.ArgumentList.Add(file);
    var sw = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    var buf = new char[1 << 16];
    while (p.StandardOutput.Read(buf, 0, buf.Length) > 0) { }
    p.WaitForExit();
    var t = sw.Elapsed.TotalSeconds;
    if (p.ExitCode != 0) throw new InvalidOperationException("jq failed: " + p.StandardError.ReadToEnd());
    return t;
}
