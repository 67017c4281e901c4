using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>SIMPLE: a worker task. Its task type (the queue workers poll) is the task's name; the decider queues it in
/// its domain and workers complete it through the task update.</summary>
internal sealed class Simple : Operator
{
    public override string Type => WorkflowTaskTypes.Simple;

    public override bool IsWorker => true;

    public override string TaskTypeFor(WorkflowTask wt) => wt.Name;
}
