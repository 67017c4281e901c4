using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>SET_VARIABLE: copies its input into the workflow's variables (Conductor's 256 KB cap, rolled back when
/// exceeded) and completes.</summary>
internal sealed class SetVariable : Operator
{
    private const int MaxVariablesBytes = 256 * 1024;

    public override string Type => WorkflowTaskTypes.SetVariable;

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        var variables = context.Workflow.Variables ??= new Dictionary<string, object?>();
        var previous = ConductorJson.CloneMap(variables);
        foreach (var pair in task.InputData ?? new())
        {
            variables[pair.Key] = ConductorJson.DeepClone(pair.Value);
        }
        if (System.Text.Encoding.UTF8.GetByteCount(ConductorJson.Serialize(variables)) > MaxVariablesBytes)
        {
            context.Workflow.Variables = previous;
            context.Finish(task, ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR,
                "The variables payload size exceeds the permissible limit of 256KB");
            return;
        }
        context.Finish(task, ConductorTaskStatus.COMPLETED);
    }
}
