using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>Workflow operations: retry, restart, rerun, skip (conductor-oss core/.../execution/WorkflowExecutorOps.java:
/// retry, restart, rerun, skipTaskFromWorkflow).</summary>
internal sealed partial class Decider
{
    public void RetryWorkflow(Tx tx, WorkflowState state, bool resumeSubworkflowTasks)
    {
        var workflow = state.Workflow;
        if (!workflow.Status.IsTerminal())
        {
            throw ConductorException.NotFound($"Workflow is still running.  status={workflow.Status}");
        }
        if (state.Tasks.Count == 0)
        {
            throw ConductorException.Conflict($"Workflow {state.Id} has not started yet.");
        }
        if (resumeSubworkflowTasks)
        {
            // Retry inside the deepest failed sub-workflow, then revive the chain of parents.
            var failedChild = state.Tasks.LastOrDefault(t => !t.Retried && t.TaskType == WorkflowTaskTypes.SubWorkflow
                && t.SubWorkflowId is not null && t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.TIMED_OUT or ConductorTaskStatus.CANCELED);
            if (failedChild is not null && tx.Load(failedChild.SubWorkflowId!) is { } child && child.Workflow.Status.IsTerminal())
            {
                RetryWorkflow(tx, child, true);
                return;
            }
        }
        var latest = state.Tasks.Where(t => !t.Retried).GroupBy(t => t.ReferenceTaskName).Select(g => g.Last()).ToList();
        var toRetry = latest.Where(t => t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR
            or ConductorTaskStatus.TIMED_OUT or ConductorTaskStatus.CANCELED).ToList();
        if (toRetry.Count == 0 && workflow.Status != WorkflowStatus.TIMED_OUT)
        {
            throw ConductorException.Conflict("There are no retryable tasks! Use restart if you want to attempt entire workflow execution again.");
        }
        state.FullSave = true;
        workflow.Status = WorkflowStatus.RUNNING;
        workflow.LastRetriedTime = tx.Now;
        workflow.ReasonForIncompletion = null;
        workflow.EndTime = 0;
        workflow.FailedReferenceTaskNames = null;
        workflow.FailedTaskNames = null;
        foreach (var task in toRetry.OrderBy(t => t.Seq))
        {
            if (OperatorRegistry.Of(task).RetryResetsInPlace)
            {
                task.Status = ConductorTaskStatus.IN_PROGRESS;
                task.Executed = false;
                task.EndTime = 0;
                task.ReasonForIncompletion = null;
                continue;
            }
            var retry = TaskAttempts.Next(task, tx.Now, delayMs: 0);
            Add(state, retry);
            StartTask(tx, state, retry, tx.Now);
        }
        ReviveParent(tx, state);
        Decide(tx, state);
    }

    /// <summary>A retried child makes its parent's SUB_WORKFLOW task (and the parent) run again.</summary>
    private static void ReviveParent(Tx tx, WorkflowState child)
    {
        var workflow = child.Workflow;
        if (workflow.ParentWorkflowId is null || tx.Load(workflow.ParentWorkflowId) is not { } parent)
        {
            return;
        }
        var task = parent.TaskById(workflow.ParentWorkflowTaskId ?? "");
        if (task is null)
        {
            return;
        }
        parent.FullSave = true;
        task.Status = ConductorTaskStatus.IN_PROGRESS;
        task.Executed = false;
        task.EndTime = 0;
        task.ReasonForIncompletion = null;
        if (parent.Workflow.Status.IsTerminal())
        {
            parent.Workflow.Status = WorkflowStatus.RUNNING;
            parent.Workflow.ReasonForIncompletion = null;
            parent.Workflow.EndTime = 0;
            parent.Workflow.LastRetriedTime = tx.Now;
            foreach (var other in parent.Tasks.Where(t => t.Status == ConductorTaskStatus.CANCELED && !t.Retried && t.TaskType is WorkflowTaskTypes.Join or WorkflowTaskTypes.DoWhile))
            {
                other.Status = ConductorTaskStatus.IN_PROGRESS;
                other.Executed = false;
                other.EndTime = 0;
            }
            ReviveParent(tx, parent);
        }
    }

    public void RestartWorkflow(Tx tx, WorkflowState state, bool useLatestDefinitions)
    {
        var workflow = state.Workflow;
        if (!workflow.Status.IsTerminal())
        {
            throw ConductorException.Conflict($"Workflow is still running.  status={workflow.Status}");
        }
        if (!state.Definition.Restartable && workflow.Status == WorkflowStatus.COMPLETED)
        {
            throw ConductorException.NotFound(
                $"WorkflowId: {state.Id} is an instance of WorkflowDef: {workflow.WorkflowName} and version: {workflow.WorkflowVersion} and is non restartable");
        }
        if (useLatestDefinitions)
        {
            var latest = tx.Store.GetWorkflowDef(workflow.WorkflowName ?? "", null)
                ?? throw ConductorException.NotFound($"No such workflow found by name: {workflow.WorkflowName}, version: null");
            PopulateTaskDefinitions(tx, latest);
            workflow.WorkflowDefinition = latest;
            workflow.WorkflowVersion = latest.Version;
        }
        ResetForRun(tx, state);
        Decide(tx, state);
    }

    private static void ResetForRun(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        foreach (var task in state.Tasks)
        {
            tx.Store.DeleteTask(task.TaskId!);
            state.Unstored(task.TaskId!);
        }
        state.Tasks.Clear();
        workflow.Status = WorkflowStatus.RUNNING;
        workflow.ReasonForIncompletion = null;
        workflow.Output = new Dictionary<string, object?>();
        workflow.EndTime = 0;
        workflow.CreateTime = tx.Now;
        workflow.StartTime = tx.Now;
        workflow.LastRetriedTime = 0;
        workflow.FailedReferenceTaskNames = null;
        workflow.FailedTaskNames = null;
        workflow.Variables = ConductorJson.CloneMap(state.Definition.Variables);
    }

    public void RerunWorkflow(Tx tx, WorkflowState state, RerunWorkflowRequest request)
    {
        var workflow = state.Workflow;
        if (!workflow.Status.IsTerminal())
        {
            throw ConductorException.Conflict($"Workflow is still running.  status={workflow.Status}");
        }
        if (string.IsNullOrEmpty(request.ReRunFromTaskId))
        {
            if (request.WorkflowInput is not null)
            {
                workflow.Input = ConductorJson.CloneMap(request.WorkflowInput);
            }
            if (request.CorrelationId is not null)
            {
                workflow.CorrelationId = request.CorrelationId;
            }
            ResetForRun(tx, state);
            Decide(tx, state);
            return;
        }
        var from = state.TaskById(request.ReRunFromTaskId!)
            ?? throw ConductorException.BadRequest($"Task {request.ReRunFromTaskId} not found in workflow {state.Id}: cannot rerun from it.");
        state.FullSave = true;
        foreach (var later in state.Tasks.Where(t => t.Seq > from.Seq).ToList())
        {
            tx.Store.DeleteTask(later.TaskId!);
            state.Unstored(later.TaskId!);
            state.Tasks.Remove(later);
        }
        if (request.WorkflowInput is not null)
        {
            workflow.Input = ConductorJson.CloneMap(request.WorkflowInput);
        }
        if (request.CorrelationId is not null)
        {
            workflow.CorrelationId = request.CorrelationId;
        }
        workflow.Status = WorkflowStatus.RUNNING;
        workflow.ReasonForIncompletion = null;
        workflow.EndTime = 0;
        workflow.LastRetriedTime = tx.Now;
        from.Status = ConductorTaskStatus.SCHEDULED;
        from.Executed = false;
        from.Retried = false;
        from.OutputData = new Dictionary<string, object?>();
        from.ReasonForIncompletion = null;
        from.StartTime = 0;
        from.EndTime = 0;
        from.PollCount = 0;
        from.ScheduledTime = tx.Now;
        from.UpdateTime = tx.Now;
        if (request.TaskInput is not null)
        {
            from.InputData = ConductorJson.CloneMap(request.TaskInput);
        }
        StartTask(tx, state, from, tx.Now);
        Decide(tx, state);
    }

    public void SkipTask(Tx tx, WorkflowState state, string taskReferenceName, SkipTaskRequest? request)
    {
        var workflow = state.Workflow;
        if (workflow.Status != WorkflowStatus.RUNNING)
        {
            throw ConductorException.InvalidState(
                $"The workflow {state.Id} is not running so the task referenced by {taskReferenceName} cannot be skipped");
        }
        var wt = state.Navigator.Find(taskReferenceName)
            ?? throw ConductorException.InvalidState(
                $"The task referenced by {taskReferenceName} does not exist in the WorkflowDefinition {workflow.WorkflowName}");
        if (state.LatestByRef(taskReferenceName) is not null)
        {
            throw ConductorException.InvalidState(
                $"The task referenced by {taskReferenceName} has already been processed, cannot be skipped");
        }
        var task = TaskAttempts.First(state, wt, OperatorRegistry.For(wt.Type).TaskTypeFor(wt), 0, tx.Now);
        task.Status = ConductorTaskStatus.SKIPPED;
        task.InputData = ConductorJson.CloneMap(request?.TaskInput);
        task.OutputData = ConductorJson.CloneMap(request?.TaskOutput);
        task.StartTime = tx.Now;
        task.EndTime = tx.Now;
        Add(state, task);
    }
}
