using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>Creates task attempts: the first attempt of a workflow task, and the next attempt of a finished one (a
/// retry by the decider or by the workflow retry API). Neither is added to the workflow here.</summary>
internal static class TaskAttempts
{
    /// <summary>The first attempt of <paramref name="wt"/> in loop iteration <paramref name="iteration"/> (0 outside
    /// loops): SCHEDULED now, with the TaskDef's response timeout and rate limits, empty input and output.</summary>
    public static ConductorTask First(WorkflowState state, WorkflowTask wt, string taskType, int iteration, long now)
    {
        var def = wt.TaskDefinition;
        var task = new ConductorTask
        {
            TaskId = Ids.New(),
            TaskType = taskType,
            TaskDefName = string.IsNullOrEmpty(wt.Name) ? taskType : wt.Name,
            ReferenceTaskName = Decider.RefFor(wt, iteration),
            Status = ConductorTaskStatus.SCHEDULED,
            WorkflowInstanceId = state.Id,
            WorkflowType = state.Workflow.WorkflowName,
            CorrelationId = state.Workflow.CorrelationId,
            WorkflowPriority = state.Workflow.Priority,
            ScheduledTime = now,
            UpdateTime = now,
            StartDelayInSeconds = wt.StartDelay,
            WorkflowTask = wt,
            Iteration = iteration,
            LoopOverTask = iteration > 0,
            InputData = new Dictionary<string, object?>(),
            OutputData = new Dictionary<string, object?>(),
        };
        var effective = Decider.EffectiveDef(task);
        task.ResponseTimeoutSeconds = effective.ResponseTimeoutSeconds;
        task.RateLimitPerFrequency = def?.EffectiveRateLimitPerFrequency ?? 0;
        task.RateLimitFrequencyInSeconds = def?.EffectiveRateLimitFrequencyInSeconds ?? 1;
        task.IsolationGroupId = def?.IsolationGroupId;
        task.ExecutionNameSpace = def?.ExecutionNameSpace;
        return task;
    }

    /// <summary>The next attempt of <paramref name="previous"/>: a copy with a new id, the retry count one higher,
    /// <c>retriedTaskId</c> pointing back, SCHEDULED now, visible after <paramref name="delayMs"/>, and everything the
    /// previous attempt produced (output, reason, times, worker, sub-workflow) cleared. The input is the previous
    /// attempt's. The previous attempt is marked retried.</summary>
    public static ConductorTask Next(ConductorTask previous, long now, long delayMs)
    {
        var next = Decider.Clone(previous);
        next.WorkflowTask = previous.WorkflowTask; // keep the definition's own node (stored by reference)
        next.TaskId = Ids.New();
        next.RetryCount = previous.RetryCount + 1;
        next.RetriedTaskId = previous.TaskId;
        next.Status = ConductorTaskStatus.SCHEDULED;
        next.PollCount = 0;
        next.OutputData = new Dictionary<string, object?>();
        next.ReasonForIncompletion = null;
        next.StartTime = 0;
        next.EndTime = 0;
        next.WorkerId = null;
        next.Executed = false;
        next.Retried = false;
        next.SubWorkflowId = null;
        next.ScheduledTime = now;
        next.UpdateTime = now;
        next.StartDelayInSeconds = (int)(delayMs / 1000);
        next.CallbackAfterSeconds = delayMs / 1000;
        previous.Retried = true;
        return next;
    }
}
