using System.Diagnostics;

namespace ConductorTools.Module.Tests;

/// <summary>Runs the Pester suite (tests/Pester) when pwsh and Pester 5 are on PATH; reports it skipped otherwise.</summary>
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
        var check = Run(pwsh, "-NoProfile -NonInteractive -Command \"if (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0.0') { exit 0 } else { exit 3 }\"", root.FullName, TimeSpan.FromMinutes(1));
        if (check.ExitCode == 3) Assert.Skip("Pester 5 is not installed for pwsh (Install-Module Pester -MinimumVersion 5.0.0).");
        var run = Run(pwsh, "-NoProfile -NonInteractive -Command \"$r = Invoke-Pester -Path ./tests/Pester -Output Detailed -PassThru; exit $r.FailedCount\"",
            root.FullName, TimeSpan.FromMinutes(8));
        Assert.True(run.ExitCode == 0, run.Output);
    }

    private static string? FindOnPath(string file) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, file)).FirstOrDefault(File.Exists);

    private static (int ExitCode, string Output) Run(string file, string arguments, string directory, TimeSpan limit)
    {
        var info = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
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
