using System.Globalization;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>Timeouts: workflow, task, poll and response timeouts, and when the sweeper must next look at a workflow
/// (conductor-oss core/.../execution/DeciderService.java: checkWorkflowTimeout, checkTaskTimeout, checkTaskPollTimeout,
/// isResponseTimedOut).</summary>
internal sealed partial class Decider
{
    // ---- timeouts ------------------------------------------------------------------------------------------

    private bool CheckWorkflowTimeout(Tx tx, WorkflowState state)
    {
        var def = state.Definition;
        if (def.TimeoutSeconds <= 0 || def.TimeoutPolicy != WorkflowTimeoutPolicy.TIME_OUT_WF || state.Workflow.Status != WorkflowStatus.RUNNING)
        {
            return false;
        }
        var since = state.Workflow.LastRetriedTime > 0 ? state.Workflow.LastRetriedTime : state.Workflow.CreateTime ?? 0;
        var elapsed = tx.Now - since;
        if (elapsed < def.TimeoutSeconds * 1000)
        {
            return false;
        }
        EndWorkflow(tx, state, WorkflowStatus.TIMED_OUT,
            $"Workflow timed out after {elapsed / 1000} seconds. Timeout configured as {def.TimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy}",
            null);
        return true;
    }

    private bool CheckTimeouts(Tx tx, WorkflowState state, ConductorTask task)
    {
        if (!IsWorkerTask(task))
        {
            return false;
        }
        var def = EffectiveDef(task);
        var now = tx.Now;
        if (def.TimeoutSeconds > 0 && task.StartTime > 0)
        {
            var elapsed = now - (task.StartTime + task.StartDelayInSeconds * 1000L);
            if (elapsed >= def.TimeoutSeconds * 1000)
            {
                var reason = $"Task timed out after {elapsed / 1000} seconds. Timeout configured as {def.TimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy}";
                if (ApplyTimeoutPolicy(tx, state, task, def, reason))
                {
                    return true;
                }
            }
        }
        if (task.Status == ConductorTaskStatus.SCHEDULED && def.PollTimeoutSeconds is > 0)
        {
            var elapsed = now - (task.ScheduledTime + task.StartDelayInSeconds * 1000L);
            if (elapsed >= (def.PollTimeoutSeconds.Value + task.CallbackAfterSeconds) * 1000)
            {
                var reason = $"Task poll timed out after {elapsed / 1000} seconds. Poll timeout configured as {def.PollTimeoutSeconds} seconds. Timeout policy configured to {def.TimeoutPolicy}";
                if (ApplyTimeoutPolicy(tx, state, task, def, reason))
                {
                    return true;
                }
            }
        }
        if (task.Status == ConductorTaskStatus.IN_PROGRESS && task.ResponseTimeoutSeconds != 0
            && now - task.UpdateTime >= (task.ResponseTimeoutSeconds + task.CallbackAfterSeconds) * 1000)
        {
            // Response timeout ignores the policy: the task is timed out and the retry rules decide (DeciderService.decide).
            MarkTimedOut(tx, task, $"responseTimeout: {task.ResponseTimeoutSeconds} exceeded for taskId: {task.TaskId} with Task Definition: {task.TaskDefName}");
            return true;
        }
        return false;
    }

    private bool ApplyTimeoutPolicy(Tx tx, WorkflowState state, ConductorTask task, TaskDef def, string reason)
    {
        switch (def.TimeoutPolicy)
        {
            case TaskTimeoutPolicy.ALERT_ONLY:
                _logger.LogWarning("{Reason} (task {TaskId} of workflow {WorkflowId})", reason, task.TaskId, state.Id);
                return false;
            case TaskTimeoutPolicy.RETRY:
                MarkTimedOut(tx, task, reason);
                return true;
            default:
                MarkTimedOut(tx, task, reason);
                task.Executed = true;
                EndWorkflow(tx, state, WorkflowStatus.TIMED_OUT, reason, task);
                return true;
        }
    }

    private static void MarkTimedOut(Tx tx, ConductorTask task, string reason)
    {
        task.Status = ConductorTaskStatus.TIMED_OUT;
        task.ReasonForIncompletion = reason;
        task.EndTime = tx.Now;
        task.UpdateTime = tx.Now;
        tx.Store.Dequeue(task.TaskId!);
    }

    /// <summary>When the sweeper must next look at this workflow (a timeout or a WAIT deadline), or null.</summary>
    public static long? WakeAt(WorkflowState state)
    {
        var workflow = state.Workflow;
        if (workflow.Status != WorkflowStatus.RUNNING)
        {
            return null;
        }
        long? wake = null;
        void Consider(long at) => wake = wake is null || at < wake ? at : wake;

        var def = workflow.WorkflowDefinition;
        if (def is { TimeoutSeconds: > 0, TimeoutPolicy: WorkflowTimeoutPolicy.TIME_OUT_WF })
        {
            var since = workflow.LastRetriedTime > 0 ? workflow.LastRetriedTime : workflow.CreateTime ?? 0;
            Consider(since + def.TimeoutSeconds * 1000);
        }
        foreach (var task in state.Tasks)
        {
            var status = task.Status ?? ConductorTaskStatus.SCHEDULED;
            if (task.Retried || status.IsTerminal())
            {
                continue;
            }
            var op = OperatorRegistry.Of(task);
            if (!op.IsWorker)
            {
                if (op.WakeAt(task) is { } at)
                {
                    Consider(at);
                }
                continue;
            }
            var taskDef = EffectiveDef(task);
            var policyActs = taskDef.TimeoutPolicy != TaskTimeoutPolicy.ALERT_ONLY;
            if (taskDef.TimeoutSeconds > 0 && task.StartTime > 0 && policyActs)
            {
                Consider(task.StartTime + task.StartDelayInSeconds * 1000L + taskDef.TimeoutSeconds * 1000);
            }
            if (status == ConductorTaskStatus.SCHEDULED && taskDef.PollTimeoutSeconds is > 0 && policyActs)
            {
                Consider(task.ScheduledTime + task.StartDelayInSeconds * 1000L + (taskDef.PollTimeoutSeconds.Value + task.CallbackAfterSeconds) * 1000);
            }
            if (status == ConductorTaskStatus.IN_PROGRESS && task.ResponseTimeoutSeconds != 0)
            {
                Consider(task.UpdateTime + (task.ResponseTimeoutSeconds + task.CallbackAfterSeconds) * 1000);
            }
        }
        return wake;
    }
}
