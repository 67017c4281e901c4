using System.Globalization;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>JOIN: IN_PROGRESS until every task in <c>joinOn</c> (kept in its input, with the loop iteration's suffix)
/// has finished and been handled; output maps each reference name to that task's output. Fails when a joined task
/// failed (a permissive one), CANCELED when all failures were cancellations. Never retried.</summary>
internal sealed class Join : Operator
{
    public override string Type => WorkflowTaskTypes.Join;

    public override bool Retryable => false;

    public override bool RetryResetsInPlace => true;

    protected override void PrepareInput(ConductorTask task, WorkflowTask wt, int iteration) =>
        task.InputData!["joinOn"] = (wt.JoinOn ?? new List<string>())
            .Select(r => (object?)(iteration > 0 ? r + "__" + iteration.ToString(CultureInfo.InvariantCulture) : r)).ToList();

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.StartTime = context.Now;
    }

    public override bool Evaluate(OperatorContext context, ConductorTask join)
    {
        var joinOn = join.InputData is { } input && input.TryGetValue("joinOn", out var refs) && refs is IList<object?> list
            ? list.Select(r => r?.ToString() ?? "").ToList()
            : new List<string>();
        var output = new Dictionary<string, object?>(StringComparer.Ordinal);
        var failures = new List<ConductorTask>();
        var withErrors = false;
        foreach (var reference in joinOn)
        {
            var task = context.State.LatestByRef(reference);
            var status = task?.Status ?? ConductorTaskStatus.SCHEDULED;
            // Not there yet, still running, or failed but not yet handled by the decider (it may be retried): wait.
            // A handled failure here is a permissive task's; the JOIN then waits for every branch before failing.
            if (task is null || !status.IsTerminal() || (!status.IsSuccessful() && !task.Executed))
            {
                return false;
            }
            if (!status.IsSuccessful())
            {
                failures.Add(task);
            }
            withErrors |= status == ConductorTaskStatus.COMPLETED_WITH_ERRORS;
            if (task.OutputData is { Count: > 0 })
            {
                output[reference] = ConductorJson.CloneMap(task.OutputData);
            }
        }
        join.OutputData = output;
        if (failures.Count > 0)
        {
            var allCanceled = failures.All(f => f.Status == ConductorTaskStatus.CANCELED);
            context.Finish(join, allCanceled ? ConductorTaskStatus.CANCELED : ConductorTaskStatus.FAILED,
                string.Join(" ", failures.Select(f => f.ReasonForIncompletion).Where(r => !string.IsNullOrEmpty(r))));
            return true;
        }
        context.Finish(join, withErrors ? ConductorTaskStatus.COMPLETED_WITH_ERRORS : ConductorTaskStatus.COMPLETED);
        return true;
    }
}
