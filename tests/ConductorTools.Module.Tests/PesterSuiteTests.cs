using System.Diagnostics;

namespace ConductorTools.Module.Tests;

/// <summary>Runs the Pester suite (tests/Pester) when pwsh and Pester 5.1+ are on PATH (building the local server it runs
/// against first); reports it skipped otherwise.</summary>
public class PesterSuiteTests
{
    [Fact]
    public void Pester_suite_passes()
    {
        var pwsh = FindOnPath(OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh");
        if (pwsh is null) Assert.Skip("pwsh is not on PATH, so the Pester suite cannot run here (build.ps1 and GitHub Actions run it).");
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ConductorTools.slnx"))) root = root.Parent;
        Assert.NotNull(root);
        var check = Run(pwsh, "-NoProfile -NonInteractive -Command \"if (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.1.0') { exit 0 } else { exit 3 }\"", root.FullName, TimeSpan.FromMinutes(1));
        if (check.ExitCode == 3) Assert.Skip("Pester 5.1 or later is not installed for pwsh (Install-Module Pester -MinimumVersion 5.1.0).");
        // The suites run every cmdlet against the local server too; this project does not reference it, so build it here
        // (only when the suite can run) in this test's configuration, and tell the suites where it is.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var build = Run("dotnet", $"build src/ConductorTools.Server -c {configuration} --nologo -v q", root.FullName, TimeSpan.FromMinutes(5));
        Assert.True(build.ExitCode == 0, build.Output);
        var server = Path.Combine(root.FullName, "src", "ConductorTools.Server", "bin", configuration, "net10.0", "conductortools-server.dll");
        var run = Run(pwsh, "-NoProfile -NonInteractive -Command \"Import-Module Pester -MinimumVersion 5.1.0; $r = Invoke-Pester -Path ./tests/Pester -Output Detailed -PassThru; exit $r.FailedCount\"",
            root.FullName, TimeSpan.FromMinutes(8), new Dictionary<string, string>
            {
                ["CONDUCTORTOOLS_SERVER_DLL"] = server,
                // The module this run built, not a staged copy under out/ that may be older.
                ["CONDUCTORTOOLS_MODULE"] = Path.Combine(root.FullName, "src", "ConductorTools", "bin", configuration, "netstandard2.0", "ConductorTools.dll"),
            });
        Assert.True(run.ExitCode == 0, run.Output);
    }

    private static string? FindOnPath(string file) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, file)).FirstOrDefault(File.Exists);

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
            return (-1, "Timed out after " + limit);
        }
        return (process.ExitCode, output.Result + error.Result);
    }
}
