using System.Diagnostics;
using System.Reflection;

namespace ConductorTools.Module.Tests;

/// <summary>
/// Runs the Pester suite (tests/Pester) in a child pwsh: pwsh from the repository's tool manifest
/// (.config/dotnet-tools.json, restored here), Pester from this project's PackageDownload, the module staged by
/// module/ConductorTools.Module.csproj and the local server built beside it. Never skipped: the suite is the module's contract.
/// </summary>
public class PesterSuiteTests
{
    private static string Metadata(string key) =>
        typeof(PesterSuiteTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    [Fact]
    public void Pester_suite_passes()
    {
        var root = RepositoryPaths.Root;
        var restore = Run("dotnet", "tool restore", root, TimeSpan.FromMinutes(5));
        Assert.True(restore.ExitCode == 0, "dotnet tool restore failed:\n" + restore.Output);

        var resultDirectory = Path.Combine(root, "TestResults", "Pester");
        Directory.CreateDirectory(resultDirectory);
        var summaryFile = Path.Combine(resultDirectory, "summary.txt");
        File.Delete(summaryFile);
        var script = Path.Combine(root, "tests", "Pester", "Invoke-PesterSuite.ps1");
        var run = Run("dotnet", $"tool run pwsh -NoProfile -NonInteractive -File \"{script}\" -ResultDirectory \"{resultDirectory}\"",
            root, TimeSpan.FromMinutes(8), new Dictionary<string, string>
            {
                ["CONDUCTORTOOLS_MODULE"] = Path.GetFullPath(Metadata("StagedModulePath")),
                ["CONDUCTORTOOLS_SERVER_DLL"] = Path.GetFullPath(Metadata("LocalServerPath")),
                ["CONDUCTORTOOLS_PESTER"] = Metadata("PesterModulePath"),
                ["CONDUCTORTOOLS_CONFLICT_ASSEMBLIES"] = string.Join(Path.PathSeparator, Metadata("ConflictingAssemblies").Split(';')),
            });
        var summary = File.Exists(summaryFile) ? File.ReadAllText(summaryFile).Trim() : "(no summary written)";
        TestContext.Current.SendDiagnosticMessage("Pester: " + summary);
        Assert.True(run.ExitCode == 0, $"Pester: {summary}\n{run.Output}");
        Assert.Contains(" 0 failed, 0 skipped", summary);
    }


    private static (int ExitCode, string Output) Run(string file, string arguments, string directory, TimeSpan limit,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"Timed out after {limit}:\n{output.Result}{error.Result}");
        }
        return (process.ExitCode, output.Result + error.Result);
    }
}
