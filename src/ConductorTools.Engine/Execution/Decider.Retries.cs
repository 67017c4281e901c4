using System.Globalization;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>Failed tasks: retry with the TaskDef's delay and backoff, optional and permissive tasks, else the workflow fails
/// (conductor-oss core/.../execution/DeciderService.java, retry).</summary>
internal sealed partial class Decider
{
    // ---- failures and retries ------------------------------------------------------------------------------------

    private void HandleUnsuccessful(Tx tx, WorkflowState state, ConductorTask task)
    {
        var wt = task.WorkflowTask ?? new WorkflowTask { Name = task.TaskDefName ?? "", TaskReferenceName = task.ReferenceTaskName ?? "" };
        var def = EffectiveDef(task);
        var status = task.Status ?? ConductorTaskStatus.FAILED;
        var expected = wt.RetryCount ?? def.RetryCount;
        var retriable = status is ConductorTaskStatus.FAILED or ConductorTaskStatus.TIMED_OUT
            && OperatorRegistry.For(task.WorkflowTask?.Type ?? task.TaskType).Retryable
            && task.RetryCount < expected
            && !TotalTimeoutExhausted(state, task, def, tx.Now);
        if (retriable)
        {
            Retry(tx, state, task, def);
            return;
        }
        if (wt.Optional)
        {
            task.Status = ConductorTaskStatus.COMPLETED_WITH_ERRORS;
            return;
        }
        if (wt.Permissive)
        {
            return;
        }
        var workflowStatus = status switch
        {
            ConductorTaskStatus.CANCELED => WorkflowStatus.TERMINATED,
            ConductorTaskStatus.TIMED_OUT => WorkflowStatus.TIMED_OUT,
            _ => WorkflowStatus.FAILED,
        };
        EndWorkflow(tx, state, workflowStatus,
            $"Task {task.TaskId} failed with status: {workflowStatus} and reason: '{task.ReasonForIncompletion}'", task);
    }

    private static bool TotalTimeoutExhausted(WorkflowState state, ConductorTask task, TaskDef def, long now)
    {
        if (def.TotalTimeoutSeconds is not > 0)
        {
            return false;
        }
        var first = state.Tasks.Where(t => t.ReferenceTaskName == task.ReferenceTaskName).Min(t => t.ScheduledTime);
        return now - first >= def.TotalTimeoutSeconds.Value * 1000;
    }

    /// <summary>Delay in milliseconds before retry number <paramref name="retryCount"/>+1 (retryLogic FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF).</summary>
    internal long RetryDelayMs(TaskDef def, int retryCount)
    {
        long seconds = def.RetryLogic switch
        {
            RetryLogic.LINEAR_BACKOFF => (long)def.RetryDelaySeconds * def.BackoffScaleFactor * (retryCount + 1),
            RetryLogic.EXPONENTIAL_BACKOFF => retryCount >= 31 ? int.MaxValue : (long)def.RetryDelaySeconds * (1L << retryCount),
            _ => def.RetryDelaySeconds,
        };
        if (seconds > int.MaxValue)
        {
            seconds = int.MaxValue;
        }
        if (def.MaxRetryDelaySeconds is > 0 && seconds > def.MaxRetryDelaySeconds.Value)
        {
            seconds = def.MaxRetryDelaySeconds.Value;
        }
        var jitter = def.BackoffJitterMs is > 0 ? _jitter.Next(def.BackoffJitterMs.Value + 1) : 0;
        return Math.Max(0, seconds) * 1000 + jitter;
    }

    private void Retry(Tx tx, WorkflowState state, ConductorTask failed, TaskDef def)
    {
        var delayMs = RetryDelayMs(def, failed.RetryCount);
        var retry = TaskAttempts.Next(failed, tx.Now, delayMs);
        var input = ConductorJson.CloneMap(failed.InputData);
        if (retry.WorkflowTask is { } wt)
        {
            foreach (var pair in Inputs.ResolveTaskInput(state, wt.InputParameters, def, retry.TaskId!))
            {
                input[pair.Key] = pair.Value;
            }
        }
        retry.InputData = input;
        Add(state, retry);
        _logger.LogDebug("Retrying task {Ref} of {WorkflowId} (attempt {Attempt}) in {Delay} ms", failed.ReferenceTaskName,
            state.Id, retry.RetryCount, delayMs);
        StartTask(tx, state, retry, tx.Now + delayMs);
    }
}
