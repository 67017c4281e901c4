using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// Registration-time validation of definitions, with the rules conductor-oss applies (bean validation of
/// <c>TaskDef</c>, <c>WorkflowDef</c>, <c>WorkflowTask</c> and its per-type constraint) plus the engine's own refusals
/// (task types it does not run). Every problem is collected, each with the path of the offending field, and thrown as
/// one 400, the way Conductor's <c>ConstraintViolationException</c> answers.
/// </summary>
/// <remarks>
/// Paths follow Conductor's shape: the operation and parameter (<c>registerWorkflowDef.workflowDef</c>,
/// <c>registerTaskDef.taskDefinitions[0]</c>), then the field, with nested tasks as
/// <c>tasks[2].decisionCases[yes][0]</c>, <c>forkTasks[1][0]</c>, <c>defaultCase[0]</c> or <c>loopOver[0]</c>.
/// </remarks>
internal static class DefinitionChecks
{
    /// <summary>Conductor's message for a bean-validation failure (the 400 body's <c>message</c>).</summary>
    public const string Message = "Validation failed, check below errors for detail.";

    // ---- task definitions ---------------------------------------------------------------------------------------

    /// <summary>Problems of one task definition (TaskDef field constraints and Conductor's TaskTimeoutConstraint).</summary>
    public static List<ValidationError> Validate(TaskDef? def, string path)
    {
        var errors = new List<ValidationError>();
        if (def is null)
        {
            errors.Add(new ValidationError(path, "TaskDef cannot be null"));
            return errors;
        }
        if (PayloadLimits.CheckDefinition(def, path, "The task definition") is { } tooDeep)
        {
            errors.Add(tooDeep);
            return errors;
        }
        var name = def.Name;
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new ValidationError(path + ".name", "TaskDef name cannot be null or empty"));
        }
        else if (NameProblem(name!) is { } problem)
        {
            errors.Add(new ValidationError(path + ".name", $"TaskDef name '{Printable(name!)}' {problem}"));
        }
        if (def.RetryCount < 0)
        {
            errors.Add(Field(path, "retryCount", $"TaskDef {name} retryCount: {def.RetryCount} must be >= 0", def.RetryCount));
        }
        if (def.ResponseTimeoutSeconds < 1)
        {
            errors.Add(Field(path, "responseTimeoutSeconds",
                $"TaskDef {name} responseTimeoutSeconds: {def.ResponseTimeoutSeconds} must be at least 1 second", def.ResponseTimeoutSeconds));
        }
        if (def.PollTimeoutSeconds is < 0)
        {
            errors.Add(Field(path, "pollTimeoutSeconds", $"TaskDef {name} pollTimeoutSeconds: {def.PollTimeoutSeconds} must be >= 0", def.PollTimeoutSeconds));
        }
        if (def.BackoffScaleFactor < 1)
        {
            errors.Add(Field(path, "backoffScaleFactor",
                $"TaskDef {name} backoffScaleFactor: {def.BackoffScaleFactor} must be >= 1 (the LINEAR_BACKOFF multiplier)", def.BackoffScaleFactor));
        }
        if (def.MaxRetryDelaySeconds is < 0)
        {
            errors.Add(Field(path, "maxRetryDelaySeconds", $"TaskDef {name} maxRetryDelaySeconds: {def.MaxRetryDelaySeconds} must be >= 0", def.MaxRetryDelaySeconds));
        }
        if (def.BackoffJitterMs is < 0)
        {
            errors.Add(Field(path, "backoffJitterMs", $"TaskDef {name} backoffJitterMs: {def.BackoffJitterMs} must be >= 0", def.BackoffJitterMs));
        }
        var total = def.TotalTimeoutSeconds ?? 0;
        if (total < 0)
        {
            errors.Add(Field(path, "totalTimeoutSeconds", $"TaskDef {name} totalTimeoutSeconds: {total} must be >= 0", total));
        }
        // TaskTimeoutConstraint: only checked when there is a per-attempt timeout.
        if (def.TimeoutSeconds > 0 && def.ResponseTimeoutSeconds > def.TimeoutSeconds)
        {
            errors.Add(new ValidationError(path,
                $"TaskDef: {name} responseTimeoutSeconds: {def.ResponseTimeoutSeconds} must be less than timeoutSeconds: {def.TimeoutSeconds}"));
        }
        if (def.TimeoutSeconds > 0 && total > 0 && def.TimeoutSeconds > total)
        {
            errors.Add(new ValidationError(path,
                $"TaskDef: {name} timeoutSeconds: {def.TimeoutSeconds} must not be more than totalTimeoutSeconds: {total}"));
        }
        return errors;
    }

    /// <summary>Checks a whole registration batch (Conductor validates every element before storing any).</summary>
    public static void ThrowIfInvalid(IReadOnlyList<TaskDef> defs, string path)
    {
        var errors = new List<ValidationError>();
        for (var i = 0; i < defs.Count; i++)
        {
            errors.AddRange(Validate(defs[i], $"{path}[{i}]"));
        }
        Throw(errors);
    }

    public static void ThrowIfInvalid(TaskDef? def, string path) => Throw(Validate(def, path));

    // ---- workflow definitions -----------------------------------------------------------------------------------

    /// <summary>Problems of a workflow definition. <paramref name="registeredTaskDef"/> looks up the stored TaskDef of a
    /// task name (HTTP tasks may take their request from its input template), or null when there is none.</summary>
    public static List<ValidationError> Validate(WorkflowDef? def, string path, Func<string, TaskDef?>? registeredTaskDef = null)
    {
        var errors = new List<ValidationError>();
        if (def is null)
        {
            errors.Add(new ValidationError(path, "WorkflowDef cannot be null"));
            return errors;
        }
        if (PayloadLimits.CheckDefinition(def, path, "The workflow definition") is { } tooDeep)
        {
            errors.Add(tooDeep);
            return errors;
        }
        if (string.IsNullOrEmpty(def.Name))
        {
            errors.Add(new ValidationError(path + ".name", "WorkflowDef name cannot be null or empty"));
        }
        else if (def.Name.Contains(':'))
        {
            errors.Add(new ValidationError(path + ".name", "Workflow name cannot contain the following set of characters: ':'"));
        }
        else if (NameProblem(def.Name) is { } problem)
        {
            errors.Add(new ValidationError(path + ".name", $"Workflow name '{Printable(def.Name)}' {problem}"));
        }
        if (def.SchemaVersion != 2)
        {
            errors.Add(Field(path, "schemaVersion", $"workflowDef schemaVersion: {def.SchemaVersion} is not supported; the only supported schemaVersion is 2",
                def.SchemaVersion));
        }
        if (def.Tasks is null || def.Tasks.Count == 0)
        {
            errors.Add(new ValidationError(path + ".tasks", "WorkflowTask list cannot be empty"));
            return errors;
        }

        var walk = new List<(WorkflowTask Task, string Path)>();
        for (var i = 0; i < def.Tasks.Count; i++)
        {
            Collect(def.Tasks[i], $"{path}.tasks[{i}]", walk);
        }

        var context = new RegistrationContext(def, registeredTaskDef);
        foreach (var (task, taskPath) in walk)
        {
            CheckTask(task, taskPath, context, errors);
        }
        CheckUniqueReferences(def, walk, errors);
        for (var i = 0; i < def.Tasks.Count; i++)
        {
            if (def.Tasks[i] is { } top)
            {
                CheckInputReferences(top, $"{path}.tasks[{i}]", walk, errors);
            }
        }
        return errors;
    }

    /// <summary>Why a workflow or task definition name could never be used in a REST path (fetched, deleted, polled), or
    /// null: <c>.</c> and <c>..</c> (URL normalisation removes them), <c>/</c> and <c>\</c> (path separators) and control
    /// characters such as NUL.</summary>
    internal static string? NameProblem(string name) =>
        name is "." or ".."
            ? "cannot be '.' or '..' (such a name cannot be used in a URL path)"
            : name.IndexOfAny(['/', '\\']) >= 0
                ? "cannot contain '/' or '\\' (such a name cannot be used in a URL path)"
                : name.Any(char.IsControl)
                    ? "cannot contain control characters (such as NUL)"
                    : null;

    private static string Printable(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public static void ThrowIfInvalid(WorkflowDef? def, string path, Func<string, TaskDef?>? registeredTaskDef = null) =>
        Throw(Validate(def, path, registeredTaskDef));

    public static void Throw(List<ValidationError> errors)
    {
        if (errors.Count > 0)
        {
            throw ConductorException.BadRequest(Message, errors);
        }
    }

    /// <summary>Every task with its path, depth first: switch/decision cases, default case, fork branches, loop bodies.</summary>
    private static void Collect(WorkflowTask? task, string path, List<(WorkflowTask, string)> into)
    {
        if (task is null)
        {
            return;
        }
        into.Add((task, path));
        if (task.DecisionCases is not null)
        {
            foreach (var pair in task.DecisionCases)
            {
                CollectList(pair.Value, $"{path}.decisionCases[{pair.Key}]", into);
            }
        }
        CollectList(task.DefaultCase, path + ".defaultCase", into);
        if (task.ForkTasks is not null)
        {
            for (var b = 0; b < task.ForkTasks.Count; b++)
            {
                CollectList(task.ForkTasks[b], $"{path}.forkTasks[{b}]", into);
            }
        }
        CollectList(task.LoopOver, path + ".loopOver", into);
    }

    private static void CollectList(List<WorkflowTask>? tasks, string path, List<(WorkflowTask, string)> into)
    {
        if (tasks is null)
        {
            return;
        }
        for (var i = 0; i < tasks.Count; i++)
        {
            Collect(tasks[i], $"{path}[{i}]", into);
        }
    }

    private static void CheckTask(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        var name = task.Name;
        var reference = task.TaskReferenceName;
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new ValidationError(path + ".name", "WorkflowTask name cannot be null or empty"));
        }
        if (string.IsNullOrEmpty(reference))
        {
            errors.Add(new ValidationError(path + ".taskReferenceName", "WorkflowTask taskReferenceName cannot be null or empty"));
        }
        else if (reference.IndexOf("__", StringComparison.Ordinal) >= 0)
        {
            errors.Add(new ValidationError(path + ".taskReferenceName",
                $"taskReferenceName: {reference} must not contain '__': Conductor separates a reference name from its DO_WHILE iteration with it",
                reference));
        }
        if (task.StartDelay < 0)
        {
            errors.Add(Field(path, "startDelay", $"startDelay: {task.StartDelay} of task {reference} must be >= 0", task.StartDelay));
        }
        CheckStateChangeEvents(task, path, errors);

        var type = task.Type;
        if (string.IsNullOrEmpty(type))
        {
            errors.Add(new ValidationError(path + ".type", $"WorkflowTask type cannot be null or empty (taskReferenceName: {reference})"));
            return;
        }
        if (!OperatorRegistry.IsRegistered(type))
        {
            errors.Add(OperatorRegistry.IsRefused(type)
                ? new ValidationError(path + ".type",
                    $"Task type {type} (taskReferenceName: {reference}) is not supported by the embedded engine; run this workflow on a Conductor server or use another task type.",
                    type)
                : new ValidationError(path + ".type",
                    $"Task type {type} (taskReferenceName: {reference}) is not a Conductor task type. For a task run by workers use type SIMPLE "
                    + "(workers poll the task's name). The embedded engine does not run unknown types as USER_DEFINED worker tasks, "
                    + "since it cannot tell them from system tasks of Conductor server modules it does not have.",
                    type));
            return;
        }

        var op = OperatorRegistry.For(type);
        op.Validate(task, path, context, errors);
        foreach (var (field, script) in op.ScriptsToCheck(task))
        {
            if (Scripting.JavaScript.SyntaxError(script) is { } problem)
            {
                errors.Add(new ValidationError($"{path}.{field}",
                    $"{field} of {type} task {reference} is not valid JavaScript: {problem}", script));
            }
        }
    }

    private static void CheckStateChangeEvents(WorkflowTask task, string path, List<ValidationError> errors)
    {
        if (task.OnStateChange is null)
        {
            return;
        }
        foreach (var pair in task.OnStateChange)
        {
            if (pair.Value is not IEnumerable<object?> events || pair.Value is string)
            {
                continue;
            }
            var i = 0;
            foreach (var item in events)
            {
                if (item is IDictionary<string, object?> map && (!map.TryGetValue("type", out var eventType) || eventType is null))
                {
                    errors.Add(new ValidationError($"{path}.onStateChange[{pair.Key}][{i}].type",
                        $"onStateChange event {i} of {pair.Key} (taskReferenceName: {task.TaskReferenceName}) needs a type"));
                }
                i++;
            }
        }
    }

    /// <summary>Reference names are unique across the whole definition, nested tasks included; every repeat is listed.</summary>
    private static void CheckUniqueReferences(WorkflowDef def, List<(WorkflowTask Task, string Path)> walk, List<ValidationError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (task, path) in walk)
        {
            var reference = task.TaskReferenceName;
            if (!string.IsNullOrEmpty(reference) && !seen.Add(reference))
            {
                errors.Add(new ValidationError(path + ".taskReferenceName",
                    $"taskReferenceName: {reference} is used by more than one task of workflow {def.Name}; reference names must be unique across all tasks, nested ones included",
                    reference));
            }
        }
    }

    /// <summary>
    /// As Conductor checks top-level tasks' <c>inputParameters</c>: each <c>${...}</c> token must start with
    /// <c>workflow</c>, a reference name of this definition, or a variable of the environment (such as CPEWF_TASK_ID).
    /// </summary>
    private static void CheckInputReferences(WorkflowTask task, string path, List<(WorkflowTask Task, string Path)> walk, List<ValidationError> errors)
    {
        if (task.InputParameters is null)
        {
            return;
        }
        HashSet<string>? references = null;
        foreach (var pair in task.InputParameters)
        {
            foreach (var token in Tokens(pair.Value))
            {
                var first = token.Split('.')[0];
                if (first == "workflow" || IsEnvironmentName(token))
                {
                    continue;
                }
                references ??= new HashSet<string>(walk.Select(w => w.Task.TaskReferenceName ?? ""), StringComparer.Ordinal);
                if (!references.Contains(first))
                {
                    errors.Add(new ValidationError($"{path}.inputParameters.{pair.Key}",
                        $"input parameter {pair.Key} of task {task.TaskReferenceName} refers to '{first}' in ${{{token}}}, which is neither 'workflow' nor a taskReferenceName of this workflow definition",
                        "${" + token + "}"));
                }
            }
        }
    }

    private static bool IsEnvironmentName(string path) =>
        path is "CPEWF_TASK_ID" or "NETFLIX_ENV" or "NETFLIX_STACK" || Environment.GetEnvironmentVariable(path) is not null;

    /// <summary>The <c>${...}</c> paths in a value, found the way Conductor splits strings: a token starts at each
    /// <c>${</c> not escaped as <c>$${</c> and ends at the next <c>}</c>; a token containing another one is not a path.</summary>
    private static IEnumerable<string> Tokens(object? value)
    {
        switch (value)
        {
            case string text:
                foreach (var piece in Pieces(text))
                {
                    if (piece.Length >= 3 && piece.StartsWith("${", StringComparison.Ordinal) && piece.EndsWith("}", StringComparison.Ordinal))
                    {
                        yield return piece.Substring(2, piece.Length - 3);
                    }
                }
                break;
            case IDictionary<string, object?> map:
                foreach (var item in map.Values.SelectMany(Tokens))
                {
                    yield return item;
                }
                break;
            case IEnumerable<object?> list:
                foreach (var item in list.SelectMany(Tokens))
                {
                    yield return item;
                }
                break;
        }
    }

    private static IEnumerable<string> Pieces(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (i > start && text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{' && text[i - 1] != '$')
            {
                yield return text.Substring(start, i - start);
                start = i;
            }
            if (text[i] == '}')
            {
                yield return text.Substring(start, i + 1 - start);
                start = i + 1;
            }
        }
        if (start < text.Length)
        {
            yield return text.Substring(start);
        }
    }

    internal static ValidationError Required(string path, string field, string? what, WorkflowTask task) =>
        new(path + "." + field, what is null
            ? $"{field} is required for a {task.Type} task (taskName: {task.Name}, taskReferenceName: {task.TaskReferenceName})"
            : $"{field} must have {what} for a {task.Type} task (taskName: {task.Name}, taskReferenceName: {task.TaskReferenceName})");

    internal static ValidationError Field(string path, string field, string message, object? value) =>
        new(path + "." + field, message, value is null ? null : Text(value));

    internal static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
