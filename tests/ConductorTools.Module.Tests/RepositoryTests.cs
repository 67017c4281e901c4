using System.Xml.Linq;

namespace ConductorTools.Module.Tests;

/// <summary>Facts about the repository as a whole that keep it tidy.</summary>
public sealed class RepositoryTests
{
    [Fact]
    public void Every_pinned_package_is_referenced_by_a_project()
    {
        var pins = XDocument.Load(RepositoryPaths.Combine("Directory.Packages.props"))
            .Descendants("PackageVersion").Select(e => (string)e.Attribute("Include")!).ToList();
        Assert.NotEmpty(pins);
        var referenced = BuildFiles(RepositoryPaths.Root)
            .SelectMany(f => XDocument.Load(f).Descendants().Where(e => e.Name.LocalName is "PackageReference" or "PackageDownload"))
            .Select(e => (string?)e.Attribute("Include"))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unreferenced = pins.Where(p => !referenced.Contains(p)).ToList();
        Assert.True(unreferenced.Count == 0, "Pinned in Directory.Packages.props but referenced by no project: " + string.Join(", ", unreferenced));
    }

    /// <summary>Project, .props and .targets files of the repository (not build output, not npm packages).</summary>
    private static IEnumerable<string> BuildFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (name == "Directory.Packages.props") continue;
            if (name.EndsWith("proj", StringComparison.Ordinal) || name.EndsWith(".props", StringComparison.Ordinal) || name.EndsWith(".targets", StringComparison.Ordinal))
                yield return file;
        }
        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            if (Path.GetFileName(sub) is "bin" or "obj" or "node_modules" or ".git" or "TestResults" or "out") continue;
            foreach (var file in BuildFiles(sub)) yield return file;
        }
    }
}
