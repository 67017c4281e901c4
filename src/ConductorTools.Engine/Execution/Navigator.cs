using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>Where each task of a definition sits (which list, which operator owns the list), to answer Conductor's
/// "what comes after this task" (<c>WorkflowDef.getNextTask</c>).</summary>
internal sealed class Navigator
{
    internal enum ContainerKind { Top, Case, Fork, Loop }

    internal sealed record Location(List<WorkflowTask> List, int Index, WorkflowTask? Owner, ContainerKind Kind);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WorkflowDef, Navigator> Cache = new();

    private readonly Dictionary<string, Location> _locations = new(StringComparer.Ordinal);

    /// <summary>The navigator of a definition snapshot (built once per snapshot object; snapshots are not changed after start).</summary>
    public static Navigator For(WorkflowDef def) => Cache.GetValue(def, d => new Navigator(d));

    public Navigator(WorkflowDef def)
    {
        Index(def.Tasks, null, ContainerKind.Top);
    }

    private void Index(List<WorkflowTask> list, WorkflowTask? owner, ContainerKind kind)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var task = list[i];
            _locations[task.TaskReferenceName] = new Location(list, i, owner, kind);
            if (task.DecisionCases is not null)
            {
                foreach (var branch in task.DecisionCases.Values) Index(branch, task, ContainerKind.Case);
            }
            if (task.DefaultCase is not null) Index(task.DefaultCase, task, ContainerKind.Case);
            if (task.ForkTasks is not null)
            {
                foreach (var branch in task.ForkTasks) Index(branch, task, ContainerKind.Fork);
            }
            if (task.LoopOver is not null) Index(task.LoopOver, task, ContainerKind.Loop);
        }
    }

    public WorkflowTask? Find(string referenceName) =>
        _locations.TryGetValue(referenceName, out var location) ? location.List[location.Index] : null;

    public Location? LocationOf(string referenceName) =>
        _locations.TryGetValue(referenceName, out var location) ? location : null;

    /// <summary>The task that follows <paramref name="referenceName"/> in the definition, or null when the flow
    /// continues elsewhere (the end of a fork branch leads to its JOIN, which already exists; the end of a loop body
    /// leads back to the DO_WHILE, which decides itself).</summary>
    public WorkflowTask? NextOf(string referenceName)
    {
        if (!_locations.TryGetValue(referenceName, out var location))
        {
            return null;
        }
        if (location.Index + 1 < location.List.Count)
        {
            return location.List[location.Index + 1];
        }
        return location.Kind == ContainerKind.Case && location.Owner is not null ? NextOf(location.Owner.TaskReferenceName) : null;
    }

    /// <summary>The innermost DO_WHILE whose body contains the task, if any.</summary>
    public WorkflowTask? LoopOf(string referenceName)
    {
        var current = referenceName;
        while (_locations.TryGetValue(current, out var location) && location.Owner is not null)
        {
            if (location.Kind == ContainerKind.Loop)
            {
                return location.Owner;
            }
            current = location.Owner.TaskReferenceName;
        }
        return null;
    }

    /// <summary>Whether <paramref name="referenceName"/> is nested (at any depth) in the body of <paramref name="loopReferenceName"/>.</summary>
    public bool IsInside(string referenceName, string loopReferenceName)
    {
        var current = referenceName;
        while (_locations.TryGetValue(current, out var location) && location.Owner is not null)
        {
            if (location.Owner.TaskReferenceName == loopReferenceName)
            {
                return true;
            }
            current = location.Owner.TaskReferenceName;
        }
        return false;
    }
}
