using System.Globalization;
using ConductorTools.Api;
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
        var name = def.Name;
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new ValidationError(path + ".name", "TaskDef name cannot be null or empty"));
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
        if (string.IsNullOrEmpty(def.Name))
        {
            errors.Add(new ValidationError(path + ".name", "WorkflowDef name cannot be null or empty"));
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

        var context = new TaskContext(def, registeredTaskDef);
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

    public static void ThrowIfInvalid(WorkflowDef? def, string path, Func<string, TaskDef?>? registeredTaskDef = null) =>
        Throw(Validate(def, path, registeredTaskDef));

    public static void Throw(List<ValidationError> errors)
    {
        if (errors.Count > 0)
        {
            throw ConductorException.BadRequest(Message, errors);
        }
    }

    private sealed class TaskContext(WorkflowDef def, Func<string, TaskDef?>? registeredTaskDef)
    {
        public WorkflowDef Def { get; } = def;

        private readonly Dictionary<string, TaskDef?> _registered = new(StringComparer.Ordinal);

        public TaskDef? Registered(string name)
        {
            if (registeredTaskDef is null || string.IsNullOrEmpty(name))
            {
                return null;
            }
            if (!_registered.TryGetValue(name, out var found))
            {
                found = registeredTaskDef(name);
                _registered[name] = found;
            }
            return found;
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

    private static void CheckTask(WorkflowTask task, string path, TaskContext context, List<ValidationError> errors)
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
        if (Unsupported.Contains(type))
        {
            errors.Add(new ValidationError(path + ".type",
                $"Task type {type} (taskReferenceName: {reference}) is not supported by the embedded engine; run this workflow on a Conductor server or use another task type.",
                type));
            return;
        }
        if (!Known.Contains(type))
        {
            errors.Add(new ValidationError(path + ".type",
                $"Task type {type} (taskReferenceName: {reference}) is not a Conductor task type. For a task run by workers use type SIMPLE "
                + "(workers poll the task's name). The embedded engine does not run unknown types as USER_DEFINED worker tasks, "
                + "since it cannot tell them from system tasks of Conductor server modules it does not have.",
                type));
            return;
        }

        switch (type)
        {
            case WorkflowTaskTypes.Switch:
                CheckSwitch(task, path, errors);
                break;
            case WorkflowTaskTypes.Decision:
                CheckDecision(task, path, errors);
                break;
            case WorkflowTaskTypes.ForkJoin:
                if (task.ForkTasks is null || task.ForkTasks.Count == 0)
                {
                    errors.Add(Required(path, "forkTasks", "at least one branch", task));
                }
                break;
            case WorkflowTaskTypes.ForkJoinDynamic:
                CheckDynamicFork(task, path, errors);
                break;
            case WorkflowTaskTypes.DoWhile:
                // Conductor's validator still asks for loopCondition, but list mode (items, or Orkes' _items input;
                // added in 2026) documents it as optional and its executor runs without one; the engine follows that.
                if (task.LoopCondition is null && !IsListLoop(task))
                {
                    errors.Add(Required(path, "loopCondition", null, task));
                }
                if (task.LoopOver is null || task.LoopOver.Count == 0)
                {
                    errors.Add(Required(path, "loopOver", "at least one task", task));
                }
                break;
            case WorkflowTaskTypes.Dynamic:
                if (task.DynamicTaskNameParam is null)
                {
                    errors.Add(Required(path, "dynamicTaskNameParam", null, task));
                }
                break;
            case WorkflowTaskTypes.SubWorkflow:
                CheckSubWorkflow(task, path, errors);
                break;
            case WorkflowTaskTypes.Terminate:
                CheckTerminate(task, path, errors);
                break;
            case WorkflowTaskTypes.Wait:
                CheckWait(task, path, errors);
                break;
            case WorkflowTaskTypes.Http:
                CheckHttp(task, path, context, errors);
                break;
        }

        foreach (var (field, script) in ScriptsOf(task))
        {
            if (Scripting.JavaScript.SyntaxError(script) is { } problem)
            {
                errors.Add(new ValidationError($"{path}.{field}",
                    $"{field} of {type} task {reference} is not valid JavaScript (ES5.1): {problem}", script));
            }
        }
    }

    /// <summary>A DO_WHILE in list mode: a non-blank <c>items</c>, or an <c>_items</c> input holding text or a list.</summary>
    private static bool IsListLoop(WorkflowTask task)
    {
        if (!string.IsNullOrWhiteSpace(task.Items))
        {
            return true;
        }
        object? items = null;
        task.InputParameters?.TryGetValue("_items", out items);
        return items switch
        {
            string text => text.Trim().Length > 0,
            null => false,
            _ => items is System.Collections.IEnumerable,
        };
    }

    private static void CheckSwitch(WorkflowTask task, string path, List<ValidationError> errors)
    {
        if (task.EvaluatorType is null)
        {
            errors.Add(Required(path, "evaluatorType", null, task));
        }
        if (task.Expression is null)
        {
            errors.Add(Required(path, "expression", null, task));
        }
        CheckDecisionCases(task, path, errors);
    }

    private static void CheckDecision(WorkflowTask task, string path, List<ValidationError> errors)
    {
        if (task.CaseValueParam is null && task.CaseExpression is null)
        {
            errors.Add(new ValidationError(path,
                $"caseValueParam or caseExpression is required for a {task.Type} task (taskName: {task.Name}, taskReferenceName: {task.TaskReferenceName})"));
        }
        CheckDecisionCases(task, path, errors);
    }

    private static void CheckDecisionCases(WorkflowTask task, string path, List<ValidationError> errors)
    {
        // Conductor's default is an empty map, which it rejects: at least one case, even if a default case is given.
        if (task.DecisionCases is null || task.DecisionCases.Count == 0)
        {
            errors.Add(Required(path, "decisionCases", "at least one case", task));
        }
    }

    private static void CheckDynamicFork(WorkflowTask task, string path, List<ValidationError> errors)
    {
        // Three ways to describe the branches: forkTaskInputs (+ forkTaskName/forkTaskType/forkTaskWorkflow) in the input,
        // the deprecated dynamicForkJoinTasksParam, or dynamicForkTasksParam with dynamicForkTasksInputParamName.
        if (task.InputParameters is { } input && input.ContainsKey("forkTaskInputs"))
        {
            return;
        }
        var legacy = task.DynamicForkJoinTasksParam is not null;
        if (legacy && (task.DynamicForkTasksParam is not null || task.DynamicForkTasksInputParamName is not null))
        {
            errors.Add(new ValidationError(path,
                $"{task.Type} task {task.TaskReferenceName} mixes dynamicForkJoinTasksParam with dynamicForkTasksParam/dynamicForkTasksInputParamName; use one or the other"));
            return;
        }
        if (legacy)
        {
            return;
        }
        if (task.DynamicForkTasksParam is null)
        {
            errors.Add(Required(path, "dynamicForkTasksParam", null, task));
        }
        if (task.DynamicForkTasksInputParamName is null)
        {
            errors.Add(Required(path, "dynamicForkTasksInputParamName", null, task));
        }
    }

    private static void CheckSubWorkflow(WorkflowTask task, string path, List<ValidationError> errors)
    {
        var param = task.SubWorkflowParam;
        if (param is null)
        {
            errors.Add(Required(path, "subWorkflowParam", null, task));
            return;
        }
        switch (param.WorkflowDefinition)
        {
            case null:
                if (string.IsNullOrEmpty(param.Name))
                {
                    errors.Add(new ValidationError(path + ".subWorkflowParam.name",
                        $"subWorkflowParam of {task.Type} task {task.TaskReferenceName} needs a name (or an inline workflowDefinition)"));
                }
                break;
            case string text when !(text.StartsWith("${", StringComparison.Ordinal) && text.EndsWith("}", StringComparison.Ordinal)):
                errors.Add(new ValidationError(path + ".subWorkflowParam.workflowDefinition",
                    $"subWorkflowParam.workflowDefinition of task {task.TaskReferenceName} is a string but not a ${{...}} expression", text));
                break;
        }
    }

    private static void CheckTerminate(WorkflowTask task, string path, List<ValidationError> errors)
    {
        if (task.Optional)
        {
            errors.Add(new ValidationError(path + ".optional", $"A TERMINATE task cannot be optional (taskReferenceName: {task.TaskReferenceName})"));
        }
        object? status = null;
        task.InputParameters?.TryGetValue("terminationStatus", out status);
        if (status is not ("COMPLETED" or "FAILED" or "TERMINATED"))
        {
            errors.Add(new ValidationError(path + ".inputParameters.terminationStatus",
                $"A TERMINATE task needs inputParameters.terminationStatus set to COMPLETED, FAILED or TERMINATED (taskReferenceName: {task.TaskReferenceName})",
                status is null ? null : Text(status)));
        }
    }

    private static void CheckWait(WorkflowTask task, string path, List<ValidationError> errors)
    {
        object? durationValue = null, untilValue = null;
        task.InputParameters?.TryGetValue("duration", out durationValue);
        task.InputParameters?.TryGetValue("until", out untilValue);
        var duration = durationValue is null ? "" : Text(durationValue);
        var until = untilValue is null ? "" : Text(untilValue);
        var hasDuration = duration.Trim().Length > 0;
        var hasUntil = until.Trim().Length > 0;
        if (hasDuration && hasUntil)
        {
            errors.Add(new ValidationError(path + ".inputParameters",
                $"WAIT task {task.TaskReferenceName} has both 'duration' and 'until'; give only one"));
        }
        // Literal values must parse; expressions are checked when the task runs.
        try
        {
            if (hasDuration && !duration.StartsWith("${", StringComparison.Ordinal))
            {
                Scripts.ParseDuration(duration);
            }
            else if (hasUntil && !until.StartsWith("${", StringComparison.Ordinal))
            {
                Scripts.ParseUntil(until);
            }
        }
        catch (FormatException e)
        {
            errors.Add(new ValidationError(path + ".inputParameters." + (hasDuration ? "duration" : "until"),
                $"WAIT task {task.TaskReferenceName}: {e.Message}", hasDuration ? duration : until));
        }
    }

    private static void CheckHttp(WorkflowTask task, string path, TaskContext context, List<ValidationError> errors)
    {
        var input = task.InputParameters;
        if (input is not null && (input.ContainsKey("http_request") || input.ContainsKey("uri") || input.ContainsKey("method")))
        {
            return;
        }
        // The request may come from the task definition's input template: the inline one, else the registered one.
        var def = task.TaskDefinition ?? context.Registered(task.Name);
        if (def?.InputTemplate is { } template && template.ContainsKey("http_request"))
        {
            return;
        }
        errors.Add(new ValidationError(path + ".inputParameters",
            $"HTTP task {task.TaskReferenceName} (taskName: {task.Name}) needs inputParameters.http_request, or uri and method in inputParameters, "
            + "or an http_request in its task definition's inputTemplate"));
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

    private static IEnumerable<(string Field, string Script)> ScriptsOf(WorkflowTask task)
    {
        if (task.Type == WorkflowTaskTypes.Switch && task.EvaluatorType is "javascript" or "graaljs" && !string.IsNullOrWhiteSpace(task.Expression))
        {
            yield return ("expression", task.Expression!);
        }
        if (task.Type == WorkflowTaskTypes.Decision && !string.IsNullOrWhiteSpace(task.CaseExpression))
        {
            yield return ("caseExpression", task.CaseExpression!);
        }
        if (task.Type == WorkflowTaskTypes.DoWhile && !string.IsNullOrWhiteSpace(task.LoopCondition))
        {
            yield return ("loopCondition", task.LoopCondition!);
        }
        if (task.Type == WorkflowTaskTypes.Inline && task.InputParameters is { } input
            && (!input.TryGetValue("evaluatorType", out var e) || e is null or "javascript" or "graaljs")
            && input.TryGetValue("expression", out var expression) && expression is string text && !text.Contains("${"))
        {
            yield return ("inputParameters.expression", text);
        }
    }

    private static ValidationError Required(string path, string field, string? what, WorkflowTask task) =>
        new(path + "." + field, what is null
            ? $"{field} is required for a {task.Type} task (taskName: {task.Name}, taskReferenceName: {task.TaskReferenceName})"
            : $"{field} must have {what} for a {task.Type} task (taskName: {task.Name}, taskReferenceName: {task.TaskReferenceName})");

    private static ValidationError Field(string path, string field, string message, object? value) =>
        new(path + "." + field, message, value is null ? null : Text(value));

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    /// <summary>The type strings of conductor-oss's <c>TaskType</c> that a workflow task may carry.</summary>
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        WorkflowTaskTypes.Simple, WorkflowTaskTypes.Dynamic, WorkflowTaskTypes.ForkJoin, WorkflowTaskTypes.ForkJoinDynamic,
        WorkflowTaskTypes.Decision, WorkflowTaskTypes.Switch, WorkflowTaskTypes.Join, WorkflowTaskTypes.DoWhile,
        WorkflowTaskTypes.SubWorkflow, WorkflowTaskTypes.StartWorkflow, WorkflowTaskTypes.Wait, WorkflowTaskTypes.Human,
        WorkflowTaskTypes.UserDefined, WorkflowTaskTypes.Http, WorkflowTaskTypes.Inline, WorkflowTaskTypes.Terminate,
        WorkflowTaskTypes.SetVariable, WorkflowTaskTypes.Noop,
    };

    /// <summary>System task types Conductor has but the embedded engine does not run.</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        WorkflowTaskTypes.Event, WorkflowTaskTypes.KafkaPublish, WorkflowTaskTypes.JsonJqTransform, WorkflowTaskTypes.Lambda, WorkflowTaskTypes.ExclusiveJoin,
        "JDBC", "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE", "LLM_GENERATE_EMBEDDINGS", "LLM_GET_EMBEDDINGS", "LLM_INDEX_TEXT",
        "LLM_INDEX_DOCUMENT", "LLM_SEARCH_INDEX", "LLM_STORE_EMBEDDINGS", "LIST_MCP_TOOLS", "CALL_MCP_TOOL",
        "PULL_WORKFLOW_MESSAGES", "AGENT", "GET_AGENT_CARD", "CANCEL_AGENT",
    };
}
