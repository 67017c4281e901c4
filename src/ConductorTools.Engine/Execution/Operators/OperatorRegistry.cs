using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>
/// The operators by task type. Every concrete <see cref="Operator"/> subclass of this assembly is registered, so a new
/// task type is one new file under <c>Execution/Operators/</c>. Types Conductor has but the engine does not run are
/// refused at registration (<see cref="IsRefused"/>); a type registered here is never refused, so adding its operator
/// is enough to enable it. Any other type string runs as a worker task (USER_DEFINED), as in conductor-oss.
/// </summary>
internal static class OperatorRegistry
{
    private static readonly Dictionary<string, Operator> ByType = Discover();

    /// <summary>System task types of conductor-oss (and Orkes) that the embedded engine does not run.</summary>
    private static readonly HashSet<string> Refused = new(StringComparer.Ordinal)
    {
        WorkflowTaskTypes.Event, WorkflowTaskTypes.KafkaPublish, WorkflowTaskTypes.Lambda,
        WorkflowTaskTypes.ExclusiveJoin,
        "JDBC", "LLM_TEXT_COMPLETE", "LLM_CHAT_COMPLETE", "LLM_GENERATE_EMBEDDINGS", "LLM_GET_EMBEDDINGS", "LLM_INDEX_TEXT",
        "LLM_INDEX_DOCUMENT", "LLM_SEARCH_INDEX", "LLM_STORE_EMBEDDINGS", "LIST_MCP_TOOLS", "CALL_MCP_TOOL",
        "PULL_WORKFLOW_MESSAGES", "AGENT", "GET_AGENT_CARD", "CANCEL_AGENT",
    };

    private static readonly Operator Fallback = new UserDefined();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Operator> NotRun = new(StringComparer.Ordinal);

    private static Dictionary<string, Operator> Discover()
    {
        var found = new Dictionary<string, Operator>(StringComparer.Ordinal);
        foreach (var type in typeof(Operator).Assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(Operator).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
            {
                continue;
            }
            var op = (Operator)Activator.CreateInstance(type)!;
            if (found.TryGetValue(op.Type, out var other))
            {
                throw new InvalidOperationException($"Operators {other.GetType().Name} and {type.Name} both claim task type {op.Type}.");
            }
            found[op.Type] = op;
        }
        return found;
    }

    /// <summary>Every registered task type.</summary>
    public static IEnumerable<string> Types => ByType.Keys;

    /// <summary>Whether workflows may use this type (an operator runs it).</summary>
    public static bool IsRegistered(string type) => ByType.ContainsKey(type);

    /// <summary>A Conductor system task type the engine does not run: refused at registration.</summary>
    public static bool IsRefused(string type) => !ByType.ContainsKey(type) && Refused.Contains(type);

    /// <summary>The operator of a workflow task type. A refused type (from a definition stored by an older build) gets an
    /// operator that fails its task; any other unknown string runs as a worker task, as USER_DEFINED.</summary>
    public static Operator For(string? type)
    {
        if (type is null)
        {
            return ByType[WorkflowTaskTypes.Simple];
        }
        if (ByType.TryGetValue(type, out var op))
        {
            return op;
        }
        if (Refused.Contains(type) || type == WorkflowTaskTypes.Fork)
        {
            return NotRun.GetOrAdd(type, t => new NotRunByEngine(t));
        }
        return Fallback;
    }

    /// <summary>The operator of a task: its workflow task's type (SIMPLE when the task has none).</summary>
    public static Operator Of(ConductorTask task) => For(task.WorkflowTask?.Type ?? WorkflowTaskTypes.Simple);

    /// <summary>A system type Conductor has and the engine does not run; its tasks fail when they start.</summary>
    private sealed class NotRunByEngine(string type) : Operator
    {
        public override string Type { get; } = type;
    }
}

/// <summary>What registration-time checks may look up besides the task itself.</summary>
internal sealed class RegistrationContext(WorkflowDef def, Func<string, TaskDef?>? registeredTaskDef)
{
    private readonly Dictionary<string, TaskDef?> _registered = new(StringComparer.Ordinal);

    public WorkflowDef Def { get; } = def;

    /// <summary>The registered TaskDef of a task name, or null.</summary>
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
