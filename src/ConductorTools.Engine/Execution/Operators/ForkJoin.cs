using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>FORK_JOIN: a FORK task that completes at once, then the first task of every branch in <c>forkTasks</c> and
/// the JOIN that must follow it, all created before any starts (as Conductor's mapper does, so a TERMINATE in one
/// branch cancels the others). Never retried.</summary>
internal sealed class ForkJoin : Operator
{
    public override string Type => WorkflowTaskTypes.ForkJoin;

    public override bool Retryable => false;

    public override bool RetryResetsInPlace => true;

    public override string TaskTypeFor(WorkflowTask wt) => WorkflowTaskTypes.Fork;

    public override bool ContinuesAfter(ConductorTask task) => false;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        if (task.ForkTasks is null || task.ForkTasks.Count == 0)
        {
            errors.Add(DefinitionChecks.Required(path, "forkTasks", "at least one branch", task));
        }
    }

    public override void Schedule(OperatorContext context, WorkflowTask wt, int iteration)
    {
        var fork = context.NewTask(wt, WorkflowTaskTypes.Fork, iteration);
        fork.InputData = context.ResolveTaskInput(wt.InputParameters, null, fork.TaskId!);
        context.Add(fork);
        context.Finish(fork, ConductorTaskStatus.COMPLETED);
        var join = context.State.Navigator.NextOf(wt.TaskReferenceName);
        if (join is null || join.Type != WorkflowTaskTypes.Join)
        {
            context.EndWorkflow(WorkflowStatus.FAILED, $"FORK_JOIN {wt.TaskReferenceName} must be followed by a JOIN task.", fork);
            return;
        }
        var scheduling = context;
        context.MapThenStart(() =>
        {
            foreach (var branch in wt.ForkTasks ?? new List<List<WorkflowTask>>())
            {
                if (branch.Count > 0)
                {
                    scheduling.Schedule(branch[0], iteration);
                }
            }
            scheduling.Schedule(join, iteration);
        });
    }
}
