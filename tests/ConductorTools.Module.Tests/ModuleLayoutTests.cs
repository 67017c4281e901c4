using System.Reflection;
using System.Text.Json;

namespace ConductorTools.Module.Tests;

/// <summary>
/// The folder module/ConductorTools.Module.csproj stages (what users import, and what -Task Package publishes): the
/// manifest and our assemblies at the root, third-party assemblies under dependencies/, SQLite's native library for every
/// platform PowerShell runs on, and nothing that belongs to PowerShell itself.
/// </summary>
public class ModuleLayoutTests
{
    private static readonly string Staged = Path.GetFullPath(Metadata("StagedModulePath"));

    // Windows PowerShell 5.1 and PowerShell 7 run on these (PowerShell's own release RIDs, plus Alpine on Arm64).
    public static readonly TheoryData<string, string> NativeLibraries = new()
    {
        { "win-x64", "e_sqlite3.dll" }, { "win-x86", "e_sqlite3.dll" }, { "win-arm64", "e_sqlite3.dll" },
        { "linux-x64", "libe_sqlite3.so" }, { "linux-arm64", "libe_sqlite3.so" }, { "linux-musl-x64", "libe_sqlite3.so" },
        { "linux-musl-arm64", "libe_sqlite3.so" }, { "osx-x64", "libe_sqlite3.dylib" }, { "osx-arm64", "libe_sqlite3.dylib" },
    };

    private static string Metadata(string key) =>
        typeof(ModuleLayoutTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    [Theory]
    [MemberData(nameof(NativeLibraries))]
    public void Ships_the_SQLite_native_library_for(string rid, string file)
    {
        var path = Path.Combine(Staged, "dependencies", "runtimes", rid, "native", file);
        Assert.True(File.Exists(path), $"missing {path}");
        Assert.True(new FileInfo(path).Length > 100_000, $"{path} is too small to be SQLite");
    }

    [Fact]
    public void Root_holds_the_manifest_our_assemblies_views_help_and_licence_only()
    {
        var files = Directory.GetFiles(Staged).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            "ConductorTools.Core.dll", "ConductorTools.Engine.dll", "ConductorTools.Jq.dll", "ConductorTools.Storage.dll", "ConductorTools.WorkerLoop.format.ps1xml", "ConductorTools.dll",
            "ConductorTools.format.ps1xml", "ConductorTools.psd1", "ConductorTools.types.ps1xml", "LICENSE",
        }.Order(StringComparer.Ordinal), files);
        Assert.True(File.Exists(Path.Combine(Staged, "en-US", "ConductorTools.dll-Help.xml")));
        Assert.True(File.Exists(Path.Combine(Staged, "en-US", "about_ConductorTools.help.txt")));
    }

    [Fact]
    public void Ships_no_PowerShell_assemblies_and_every_third_party_assembly_under_dependencies()
    {
        var all = Directory.GetFiles(Staged, "*.dll", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(all, f => f!.StartsWith("System.Management.Automation", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(all, f => f!.StartsWith("Microsoft.PowerShell.", StringComparison.OrdinalIgnoreCase));
        var dependencies = Directory.GetFiles(Path.Combine(Staged, "dependencies"), "*.dll").Select(Path.GetFileName).ToList();
        foreach (var expected in new[] { "Azure.Core.dll", "Microsoft.Identity.Client.dll", "Polly.Core.dll", "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.core.dll" })
            Assert.Contains(expected, dependencies);
        Assert.DoesNotContain(dependencies, f => f!.StartsWith("ConductorTools", StringComparison.Ordinal));
    }

    [Fact]
    public void Native_build_matches_the_SQLitePCLRaw_version_the_engine_uses()
    {
        // This test project references the engine, so its deps.json says which SQLitePCLRaw the engine restored; the
        // staging project downloads the native build of SqliteNativeVersion.
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ConductorTools.Module.Tests.deps.json")));
        var library = deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Single(l => l.Name.StartsWith("SQLitePCLRaw.lib.e_sqlite3/", StringComparison.Ordinal)).Name;
        var staging = File.ReadAllText(RepositoryPaths.Combine("module", "ConductorTools.Module.csproj"));
        Assert.Contains($"<SqliteNativeVersion>{library.Split('/')[1]}</SqliteNativeVersion>", staging);
    }

    [Fact]
    public void Manifest_version_is_the_build_version()
    {
        // One version: Directory.Build.props sets the assemblies'; the manifest must say the same.
        var props = System.Xml.Linq.XDocument.Load(RepositoryPaths.Combine("Directory.Build.props"));
        var version = props.Descendants("Version").Single().Value;
        var manifest = File.ReadAllText(Path.Combine(Staged, "ConductorTools.psd1"));
        Assert.Contains($"ModuleVersion          = '{version}'", manifest);
    }

    [Fact]
    public void Manifest_names_the_root_module_and_files_that_exist()
    {
        var manifest = File.ReadAllText(Path.Combine(Staged, "ConductorTools.psd1"));
        Assert.Contains("RootModule             = 'ConductorTools.dll'", manifest);
        foreach (var format in new[] { "ConductorTools.format.ps1xml", "ConductorTools.WorkerLoop.format.ps1xml", "ConductorTools.types.ps1xml" })
        {
            Assert.Contains($"'{format}'", manifest);
            Assert.True(File.Exists(Path.Combine(Staged, format)));
        }
    }
}
