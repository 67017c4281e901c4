using System.Runtime.InteropServices;

namespace ConductorTools.PowerShell.Loading;

/// <summary>Which SQLite native library (SQLitePCLRaw's e_sqlite3) the module ships for which platform, and where.</summary>
internal static class NativeLibraries
{
    /// <summary>The runtime identifiers the staged module carries a native library for (every platform PowerShell 7 and 5.1 run on).</summary>
    internal static readonly string[] RuntimeIdentifiers =
    {
        "win-x64", "win-x86", "win-arm64", "linux-x64", "linux-arm64", "linux-musl-x64", "linux-musl-arm64", "osx-x64", "osx-arm64",
    };

    /// <summary>True for the names Microsoft.Data.Sqlite's provider asks the loader for.</summary>
    internal static bool IsSqlite(string name)
    {
        var file = Path.GetFileName(name);
        foreach (var suffix in new[] { ".dll", ".so", ".dylib" })
        {
            if (file.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) file = file.Substring(0, file.Length - suffix.Length);
        }
        return file is "e_sqlite3" or "libe_sqlite3";
    }

    /// <summary>The library's path below dependencies/ for a runtime identifier, as the SQLitePCLRaw.lib.e_sqlite3 package lays it out.</summary>
    internal static string RelativePath(string rid)
    {
        var file = rid.StartsWith("win-", StringComparison.Ordinal) ? "e_sqlite3.dll"
            : rid.StartsWith("osx-", StringComparison.Ordinal) ? "libe_sqlite3.dylib"
            : "libe_sqlite3.so";
        return Path.Combine("runtimes", rid, "native", file);
    }

    /// <summary>The runtime identifier of this process, or null on a platform the module has no library for.</summary>
    internal static string? CurrentRuntimeIdentifier() =>
        RuntimeIdentifierFor(
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
                : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
                : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux" : null,
            RuntimeInformation.ProcessArchitecture,
            IsMusl());

    internal static string? RuntimeIdentifierFor(string? os, Architecture architecture, bool musl)
    {
        var arch = architecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            _ => null,
        };
        if (os is null || arch is null) return null;
        var rid = os == "linux" && musl ? $"linux-musl-{arch}" : $"{os}-{arch}";
        return Array.IndexOf(RuntimeIdentifiers, rid) >= 0 ? rid : null;
    }

    // Alpine and other musl distributions have the musl dynamic loader in /lib (ld-musl-<arch>.so.1) instead of glibc's.
    private static bool IsMusl() =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && Directory.Exists("/lib") &&
        Directory.GetFiles("/lib", "ld-musl-*").Length > 0;
}
