namespace ConductorTools.Server.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root (the directory holding ConductorTools.slnx), found from the test binaries.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ConductorTools.slnx"))) return dir.FullName;
            }
            throw new InvalidOperationException("Cannot find ConductorTools.slnx above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? OnPath(string name)
    {
        var extensions = OperatingSystem.IsWindows() ? new[] { ".cmd", ".exe", "" } : new[] { "" };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, name + ext);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
