using System.Globalization;

namespace ConductorTools.Bench.Workers;

internal sealed class BenchArgs
{
    private readonly string[] _args;

    public BenchArgs(string[] args) => _args = args;

    public bool Has(string name) => _args.Contains(name);

    public string? Value(string name)
    {
        var i = Array.IndexOf(_args, name);
        return i >= 0 && i + 1 < _args.Length ? _args[i + 1] : null;
    }

    public int Int(string name, int fallback)
    {
        var text = Value(name);
        if (text is null) return fallback;
        return int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} needs a positive whole number, not '{text}'.");
    }
}
