using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>HUMAN: IN_PROGRESS until someone updates it (task update, update by reference name, or signal).</summary>
internal sealed class Human : Operator
{
    public override string Type => WorkflowTaskTypes.Human;

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = context.Now;
    }
}
