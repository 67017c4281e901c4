using ConductorTools.Model;

namespace ConductorTools.Workers.Scripting;

/// <summary>
/// How a script block's declared parameters are filled from a polled task: a parameter named <c>Task</c> receives
/// the whole task; every other parameter receives the task input value whose key matches its name, ignoring case.
/// Parameters without a matching key are left unbound so their defaults apply; input keys without a parameter are
/// ignored (they stay reachable through <c>$Task.inputData</c>).
/// </summary>
public sealed class ScriptBindingPlan
{
    /// <summary>The name of the parameter (and variable) that holds the whole task.</summary>
    public const string TaskParameterName = "Task";

    private ScriptBindingPlan(IReadOnlyList<string> parameters, bool bindsTask, IReadOnlyCollection<string> mandatory)
    {
        Parameters = parameters;
        BindsTask = bindsTask;
        Mandatory = mandatory;
    }

    /// <summary>Declared parameter names, in declaration order.</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>True when the script block declares a <c>$Task</c> parameter.</summary>
    public bool BindsTask { get; }

    /// <summary>Parameters declared <c>[Parameter(Mandatory)]</c>: a task without them fails instead of PowerShell prompting.</summary>
    public IReadOnlyCollection<string> Mandatory { get; }

    /// <summary>Builds the plan from the script block's declared parameter names (without the <c>$</c>).</summary>
    /// <param name="parameterNames">Declared parameters, in order.</param>
    /// <param name="mandatory">Those of them declared mandatory.</param>
    /// <exception cref="ArgumentException">A name is empty or declared twice (PowerShell itself rejects that).</exception>
    public static ScriptBindingPlan Create(IEnumerable<string> parameterNames, IEnumerable<string>? mandatory = null)
    {
        if (parameterNames is null) throw new ArgumentNullException(nameof(parameterNames));
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in parameterNames)
        {
            var name = (raw ?? "").TrimStart('$');
            if (name.Length == 0) throw new ArgumentException("A script block parameter name is empty.", nameof(parameterNames));
            if (!seen.Add(name)) throw new ArgumentException($"The script block declares the parameter '{name}' twice.", nameof(parameterNames));
            names.Add(name);
        }
        var bindsTask = names.Exists(n => string.Equals(n, TaskParameterName, StringComparison.OrdinalIgnoreCase));
        var required = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in mandatory ?? Array.Empty<string>())
        {
            var bare = (name ?? "").TrimStart('$');
            if (!seen.Contains(bare)) throw new ArgumentException($"The mandatory parameter '{bare}' is not a declared parameter.", nameof(mandatory));
            if (!string.Equals(bare, TaskParameterName, StringComparison.OrdinalIgnoreCase)) required.Add(bare);
        }
        return new ScriptBindingPlan(names, bindsTask, required);
    }

    /// <summary>
    /// The named arguments for one task. An input key that matches a parameter exactly wins over keys that differ only in
    /// case; two or more keys that match only case-insensitively are ambiguous and fail the binding.
    /// </summary>
    /// <exception cref="ScriptBindingException">The task input has several keys that differ only in case for one parameter.</exception>
    public Dictionary<string, object?> Bind(ConductorTask task)
    {
        if (task is null) throw new ArgumentNullException(nameof(task));
        var arguments = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var input = task.InputData;
        foreach (var name in Parameters)
        {
            if (string.Equals(name, TaskParameterName, StringComparison.OrdinalIgnoreCase))
            {
                arguments[name] = task;
                continue;
            }
            if (input is null) continue;
            if (input.TryGetValue(name, out var exact))
            {
                arguments[name] = exact;
                continue;
            }
            string? found = null;
            foreach (var key in input.Keys)
            {
                if (!string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) continue;
                if (found is not null)
                {
                    throw new ScriptBindingException(
                        $"Cannot bind parameter '{name}': the task input has both '{found}' and '{key}'. " +
                        $"Rename one of the input keys, or read them from $Task.inputData.");
                }
                found = key;
            }
            if (found is not null) arguments[name] = input[found];
        }
        var missing = Parameters.Where(p => Mandatory.Contains(p) && !arguments.ContainsKey(p)).ToList();
        if (missing.Count > 0)
        {
            throw new ScriptBindingException(
                $"The task input has no value for the mandatory parameter(s) {string.Join(", ", missing.Select(m => "'" + m + "'"))}. " +
                "Add them to the task's inputParameters, or give the parameters a default instead of Mandatory.");
        }
        return arguments;
    }
}

/// <summary>The task input cannot be bound to the script block's parameters; the task fails with this message.</summary>
public sealed class ScriptBindingException : Exception
{
    public ScriptBindingException(string message) : base(message) { }
    public ScriptBindingException() { }
    public ScriptBindingException(string message, Exception innerException) : base(message, innerException) { }
}
