namespace ConductorTools.Workers.Scripting;

/// <summary>
/// Where things are in a script block's text, as the PowerShell parser reports it (offsets into <see cref="Text"/>).
/// The module fills this from the AST; the text edits are decided here so they can be tested without PowerShell.
/// </summary>
public sealed class ScriptShape
{
    public string Text { get; init; } = "";
    /// <summary>Declared parameter names, in order (without <c>$</c>).</summary>
    public IReadOnlyList<string> ParameterNames { get; init; } = Array.Empty<string>();
    /// <summary>Those declared <c>[Parameter(Mandatory)]</c>.</summary>
    public IReadOnlyList<string> MandatoryParameterNames { get; init; } = Array.Empty<string>();
    /// <summary>Start offset of the <c>param(...)</c> block (including its attributes), or null when there is none.</summary>
    public int? ParamBlockStart { get; init; }
    /// <summary>End offset (exclusive) of the <c>param(...)</c> block.</summary>
    public int? ParamBlockEnd { get; init; }
    /// <summary>Start offset of the first declared parameter (including its attributes), when there is one.</summary>
    public int? FirstParameterStart { get; init; }
    /// <summary>Offset just after the last <c>using</c> statement (0 when there is none): a param block may not precede them.</summary>
    public int AfterUsingStatements { get; init; }
}

/// <summary>
/// The script text a worker runs: the user's script block text with a <c>$Task</c> parameter declared when the script
/// does not declare one, so the task can be passed as a named parameter in every mode (a script without a param block
/// still sees <c>$Task</c>, and an advanced script does not reject an unknown parameter).
/// </summary>
public static class ScriptText
{
    /// <summary>The text to run and the binding plan for it.</summary>
    public static (string Text, ScriptBindingPlan Plan) Prepare(ScriptShape shape)
    {
        if (shape is null) throw new ArgumentNullException(nameof(shape));
        var names = shape.ParameterNames.ToList();
        if (names.Exists(n => string.Equals(n, ScriptBindingPlan.TaskParameterName, StringComparison.OrdinalIgnoreCase)))
            return (shape.Text, ScriptBindingPlan.Create(names, shape.MandatoryParameterNames));

        var text = shape.Text;
        string prepared;
        if (shape.ParamBlockStart is null)
        {
            var at = Clamp(shape.AfterUsingStatements, text);
            // At the start of a line that already exists (the first, or the one after the using statements), so that line
            // numbers in the script's errors stay the user's.
            var lineEnd = text.IndexOf('\n', at);
            if (at == 0) prepared = "param($Task) " + text;
            else if (lineEnd >= 0 && text.Substring(at, lineEnd - at).Trim().Trim(';').Length == 0)
                prepared = text.Substring(0, lineEnd + 1) + "param($Task) " + text.Substring(lineEnd + 1);
            else prepared = text.Substring(0, at) + "\nparam($Task)\n" + text.Substring(at);
        }
        else if (shape.FirstParameterStart is { } first)
        {
            var at = Clamp(first, text);
            prepared = text.Substring(0, at) + "$Task, " + text.Substring(at);
        }
        else
        {
            // param() with no parameters: declare $Task inside the parentheses.
            var end = Clamp(shape.ParamBlockEnd ?? text.Length, text);
            var close = text.LastIndexOf(')', Math.Max(0, end - 1));
            if (close < (shape.ParamBlockStart ?? 0))
                throw new ArgumentException("The param block has no closing parenthesis where the parser reported it.", nameof(shape));
            prepared = text.Substring(0, close) + "$Task" + text.Substring(close);
        }
        names.Insert(0, ScriptBindingPlan.TaskParameterName);
        return (prepared, ScriptBindingPlan.Create(names, shape.MandatoryParameterNames));
    }

    private static int Clamp(int offset, string text) => Math.Max(0, Math.Min(offset, text.Length));
}
