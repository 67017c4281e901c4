using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>NOOP: completes as soon as it starts, with empty output.</summary>
internal sealed class Noop : Operator
{
    public override string Type => WorkflowTaskTypes.Noop;

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt) =>
        context.Finish(task, ConductorTaskStatus.COMPLETED);
}
