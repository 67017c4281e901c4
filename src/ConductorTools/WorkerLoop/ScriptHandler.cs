using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// A worker's script block prepared on the pipeline thread before the loop starts: its text (re-parsed wherever it
/// runs, never the ScriptBlock object itself), the binding plan, and its <c>$using:</c> values read once from the caller's
/// scope (as ForEach-Object -Parallel and ThreadJob do).
/// </summary>
internal sealed class ScriptHandler
{
    private ScriptHandler(string taskType, string text, ScriptBindingPlan plan, Dictionary<string, object?> usingValues)
    {
        TaskType = taskType;
        Text = text;
        Plan = plan;
        UsingValues = usingValues;
    }

    public string TaskType { get; }
    public string Text { get; }
    public ScriptBindingPlan Plan { get; }

    /// <summary>Keyed as PowerShell expects in the <c>--%</c> parameter (see <see cref="UsingVariableKey"/>).</summary>
    public Dictionary<string, object?> UsingValues { get; }

    /// <exception cref="ArgumentException">The script does not parse, or a <c>$using:</c> expression cannot be resolved.</exception>
    public static ScriptHandler Create(string taskType, ScriptBlock scriptBlock, PSCmdlet cmdlet)
    {
        var text = scriptBlock.ToString();
        var ast = Parser.ParseInput(text, out _, out var errors);
        if (errors.Length > 0)
        {
            throw new ArgumentException($"The script block for task type '{taskType}' does not parse: " +
                string.Join("; ", errors.Select(e => $"{e.Message} (line {e.Extent.StartLineNumber})")));
        }

        var paramBlock = ast.ParamBlock;
        int? paramStart = null;
        if (paramBlock is not null)
        {
            paramStart = paramBlock.Extent.StartOffset;
            foreach (var attribute in paramBlock.Attributes) paramStart = Math.Min(paramStart.Value, attribute.Extent.StartOffset);
        }
        var parameters = paramBlock?.Parameters ?? (IReadOnlyList<ParameterAst>)Array.Empty<ParameterAst>();
        var shape = new ScriptShape
        {
            Text = text,
            ParameterNames = parameters.Select(p => p.Name.VariablePath.UserPath).ToList(),
            MandatoryParameterNames = parameters.Where(IsMandatory).Select(p => p.Name.VariablePath.UserPath).ToList(),
            ParamBlockStart = paramStart,
            ParamBlockEnd = paramBlock?.Extent.EndOffset,
            FirstParameterStart = parameters.Count > 0 ? parameters[0].Extent.StartOffset : null,
            AfterUsingStatements = ast.UsingStatements.Count > 0 ? ast.UsingStatements.Max(u => u.Extent.EndOffset) : 0,
        };
        var (prepared, plan) = ScriptText.Prepare(shape);
        return new ScriptHandler(taskType, prepared, plan, ReadUsingValues(taskType, ast, cmdlet));
    }

    // [Parameter(Mandatory)] or [Parameter(Mandatory = <anything but $false>)]: PowerShell would prompt for it when
    // the input lacks it, which would hang a worker in an interactive session; the binding plan fails the task instead.
    private static bool IsMandatory(ParameterAst parameter) =>
        parameter.Attributes.OfType<AttributeAst>()
            .Where(a => string.Equals(a.TypeName.Name, "Parameter", StringComparison.OrdinalIgnoreCase)
                || string.Equals(a.TypeName.Name, "System.Management.Automation.ParameterAttribute", StringComparison.OrdinalIgnoreCase))
            .SelectMany(a => a.NamedArguments)
            .Any(n => string.Equals(n.ArgumentName, "Mandatory", StringComparison.OrdinalIgnoreCase)
                && (n.ExpressionOmitted || !string.Equals(n.Argument.Extent.Text, "$false", StringComparison.OrdinalIgnoreCase)));

    // Only plain variables ($using:name), the rule ThreadJob applies; values never include script blocks, which carry
    // runspace affinity (ForEach-Object -Parallel refuses them too).
    private static Dictionary<string, object?> ReadUsingValues(string taskType, Ast ast, PSCmdlet cmdlet)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (UsingExpressionAst usingAst in ast.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true))
        {
            if (usingAst.SubExpression is not VariableExpressionAst variable)
            {
                throw new ArgumentException($"The script block for task type '{taskType}' uses '{usingAst.Extent.Text}': only plain " +
                    "variables are supported with $using: (assign the value to a variable first).");
            }
            var name = variable.VariablePath.UserPath;
            var psVariable = cmdlet.SessionState.PSVariable.Get(name)
                ?? throw new ArgumentException($"The script block for task type '{taskType}' uses '{usingAst.Extent.Text}', but " +
                    $"the variable '{name}' is not defined in the calling scope.");
            var value = psVariable.Value;
            if ((value as PSObject)?.BaseObject is ScriptBlock || value is ScriptBlock)
            {
                throw new ArgumentException($"'{usingAst.Extent.Text}' is a script block; script blocks cannot cross runspaces. " +
                    "Pass its text and create it inside the worker with [scriptblock]::Create(), or define a function in -InitializationScript.");
            }
            var key = UsingVariableKey.For(usingAst.ToString(), isPlainVariable: true);
            if (!values.ContainsKey(key)) values.Add(key, value);
        }
        return values;
    }

    /// <summary>Adds the script, the task's named arguments and the using values to <paramref name="ps"/>.</summary>
    public void AddTo(System.Management.Automation.PowerShell ps, ScriptCall call)
    {
        ps.AddScript(Text, useLocalScope: true);
        foreach (var argument in call.Arguments) ps.AddParameter(argument.Key, argument.Value);
        if (UsingValues.Count > 0) ps.AddParameter("--%", UsingValues);
    }

    /// <summary>Turns a terminating error of a run into a <see cref="ScriptFailure"/>.</summary>
    public static ScriptFailure ToFailure(Exception exception)
    {
        var record = (exception as IContainsErrorRecord)?.ErrorRecord;
        var names = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException) names.Add(e.GetType().FullName ?? e.GetType().Name);
        var inner = exception;
        // ActionPreferenceStopException (Write-Error under -ErrorAction Stop) carries the original record.
        if (record?.Exception is { } recordException && !ReferenceEquals(recordException, exception))
        {
            for (var e = recordException; e is not null; e = e.InnerException) names.Add(e.GetType().FullName ?? e.GetType().Name);
            inner = recordException;
        }
        var message = record?.ErrorDetails?.Message ?? inner.Message;
        return new ScriptFailure(message, record?.ScriptStackTrace ?? exception.StackTrace, record?.FullyQualifiedErrorId, names);
    }

    /// <summary>Plain values of a run's output objects.</summary>
    public static List<object?> ToOutputs(IEnumerable output)
    {
        var outputs = new List<object?>();
        foreach (var item in output) outputs.Add(PSValueConverter.ToPlain(item));
        return outputs;
    }
}
