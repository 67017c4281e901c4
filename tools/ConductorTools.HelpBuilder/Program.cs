using ConductorTools.HelpBuilder;

// dotnet run --project tools/ConductorTools.HelpBuilder -- <module.dll> <docs/en-US> <out/ConductorTools/en-US/ConductorTools.dll-Help.xml>
//     [--powershell-reference <System.Management.Automation.dll>]
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: ConductorTools.HelpBuilder <module.dll> <markdown help folder> <output .dll-Help.xml> [--powershell-reference <System.Management.Automation.dll>]");
    return 2;
}
string? reference = null;
var index = Array.IndexOf(args, "--powershell-reference");
if (index >= 0 && index + 1 < args.Length) reference = args[index + 1];

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
