using ConductorTools.HelpBuilder;

// dotnet run --project tools/ConductorTools.HelpBuilder -- <module.dll> <docs/en-US> <out/ConductorTools/en-US/ConductorTools.dll-Help.xml>
//     [--powershell-reference <System.Management.Automation.dll>] [--update-syntax]
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: ConductorTools.HelpBuilder <module.dll> <markdown help folder> <output .dll-Help.xml> [--powershell-reference <System.Management.Automation.dll>]");
    return 2;
}
string? reference = null;
var index = Array.IndexOf(args, "--powershell-reference");
if (index >= 0 && index + 1 < args.Length) reference = args[index + 1];

if (args.Contains("--update-syntax"))
{
    // Rewrites the SYNTAX sections of the markdown pages from the compiled cmdlets, then builds as usual.
    foreach (var cmdlet in CmdletReader.Read(args[0], reference))
    {
        var page = Path.Combine(args[1], cmdlet.Name + ".md");
        if (!File.Exists(page)) continue;
        var text = File.ReadAllText(page);
        var updated = SyntaxText.Update(text, cmdlet);
        if (updated != text) File.WriteAllText(page, updated);
    }
}
var (help, problems) = MamlHelp.Build(args[0], args[1], reference);
if (problems.Count > 0)
{
    Console.Error.WriteLine($"The help in {args[1]} is incomplete ({problems.Count} problems):");
    foreach (var problem in problems) Console.Error.WriteLine("  " + problem);
    return 1;
}
MamlHelp.Save(help, args[2]);
Console.WriteLine($"Wrote {args[2]} ({help.Root!.Elements().Count()} commands).");
return 0;
