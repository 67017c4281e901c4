namespace ConductorTools.Testing;

/// <summary>Where the repository and the tools the tests start are, found from the test binaries.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> FoundRoot = new(FindRoot);

    /// <summary>The repository root: the directory holding ConductorTools.slnx.</summary>
    public static string Root => FoundRoot.Value;

    /// <summary>A path below the repository root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The full path of an executable on PATH (with .cmd/.exe on Windows), or null.</summary>
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

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConductorTools.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("ConductorTools.slnx not found above " + AppContext.BaseDirectory);
    }
}
