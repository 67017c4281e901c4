using ConductorTools.Engine.Expressions;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// The engine's one door to the expression language (docs/embedded-engine.md; conductor-oss core/.../utils/ParametersUtils.java): task inputs, workflow outputs and single values are resolved
/// here against the workflow's current state.
/// </summary>
internal static class Inputs
{
    public static Dictionary<string, object?> ResolveTaskInput(WorkflowState state, Dictionary<string, object?>? inputParameters,
        TaskDef? taskDef, string taskId) =>
        ParameterResolver.Resolve(inputParameters, ExpressionContext.Build(state.Workflow), taskId, taskDef?.InputTemplate);

    public static object? ResolveValue(WorkflowState state, object? value) =>
        ParameterResolver.ResolveValue(value, ExpressionContext.Build(state.Workflow));

    public static Dictionary<string, object?> ResolveMap(WorkflowState state, Dictionary<string, object?>? map) =>
        ParameterResolver.Resolve(map, ExpressionContext.Build(state.Workflow));
}
