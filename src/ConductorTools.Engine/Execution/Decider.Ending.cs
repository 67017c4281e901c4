using System.Globalization;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Engine.Execution;

/// <summary>Completing and ending workflows: output, cancelling what is pending, the failure workflow, telling a parent.</summary>
internal sealed partial class Decider
{
    // ---- completion and ending ----------------------------------------------------------------------------------

    private void Complete(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        var permissiveFailure = state.Tasks.FirstOrDefault(t => !t.Retried && t.WorkflowTask?.Permissive == true
            && t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR
                or ConductorTaskStatus.TIMED_OUT or ConductorTaskStatus.CANCELED);
        if (permissiveFailure is not null)
        {
            EndWorkflow(tx, state, WorkflowStatus.FAILED,
                $"Task {permissiveFailure.TaskId} failed with status: {permissiveFailure.Status} and reason: '{permissiveFailure.ReasonForIncompletion}'",
                permissiveFailure);
            return;
        }
        workflow.Status = WorkflowStatus.COMPLETED;
        workflow.EndTime = tx.Now;
        workflow.Output = ComputeOutput(state);
        var failed = state.Tasks.Where(t => t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR).ToList();
        workflow.FailedReferenceTaskNames = failed.Select(t => t.ReferenceTaskName!).Distinct().ToList();
        workflow.FailedTaskNames = failed.Select(t => t.TaskDefName!).Distinct().ToList();
        _logger.LogDebug("Workflow {WorkflowId} ({Name}) completed", workflow.WorkflowId, workflow.WorkflowName);
        NotifyParent(tx, state);
    }

    private static Dictionary<string, object?> ComputeOutput(WorkflowState state)
    {
        var terminate = state.Tasks.LastOrDefault(t => t.TaskType == WorkflowTaskTypes.Terminate && t.Status == ConductorTaskStatus.COMPLETED);
        if (terminate is not null)
        {
            return ConductorJson.CloneMap(terminate.OutputData);
        }
        if (state.Definition.OutputParameters is { Count: > 0 } outputParameters)
        {
            return Inputs.ResolveMap(state, outputParameters);
        }
        return ConductorJson.CloneMap(state.Tasks.LastOrDefault()?.OutputData);
    }

    /// <summary>
    /// Ends a running workflow with a non-success status: cancels what is still pending (children too), computes the
    /// output, starts the failure workflow when the engine (not the API) ended it, and tells a parent.
    /// </summary>
    public void EndWorkflow(Tx tx, WorkflowState state, WorkflowStatus status, string? reason, ConductorTask? failedTask,
        bool triggerFailureWorkflow = true)
    {
        var workflow = state.Workflow;
        if (workflow.Status.IsTerminal())
        {
            return;
        }
        workflow.Status = status;
        workflow.ReasonForIncompletion = reason;
        workflow.EndTime = tx.Now;
        CancelPendingTasks(tx, state);
        workflow.Output = ComputeOutput(state);
        var failed = state.Tasks.Where(t => t.Status is ConductorTaskStatus.FAILED or ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR
            or ConductorTaskStatus.TIMED_OUT).ToList();
        workflow.FailedReferenceTaskNames = failed.Select(t => t.ReferenceTaskName!).Distinct().ToList();
        workflow.FailedTaskNames = failed.Select(t => t.TaskDefName!).Distinct().ToList();
        _logger.LogDebug("Workflow {WorkflowId} ({Name}) ended {Status}: {Reason}", workflow.WorkflowId, workflow.WorkflowName, status, reason);
        if (triggerFailureWorkflow && status != WorkflowStatus.COMPLETED)
        {
            StartFailureWorkflow(tx, state, failedTask);
        }
        NotifyParent(tx, state);
    }

    /// <summary>Completes a workflow because a TERMINATE task said COMPLETED.</summary>
    internal void CompleteByTerminate(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        workflow.Status = WorkflowStatus.COMPLETED;
        workflow.EndTime = tx.Now;
        CancelPendingTasks(tx, state);
        workflow.Output = ComputeOutput(state);
        NotifyParent(tx, state);
    }

    private void CancelPendingTasks(Tx tx, WorkflowState state)
    {
        foreach (var task in state.Tasks)
        {
            if ((task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
            {
                continue;
            }
            task.Status = ConductorTaskStatus.CANCELED;
            task.EndTime = tx.Now;
            task.UpdateTime = tx.Now;
            tx.Store.Dequeue(task.TaskId!);
            if (task.TaskType == WorkflowTaskTypes.SubWorkflow && task.SubWorkflowId is { } childId && tx.Load(childId) is { } child)
            {
                EndWorkflow(tx, child, WorkflowStatus.TERMINATED, "Parent workflow has been terminated with status " + state.Workflow.Status,
                    null, triggerFailureWorkflow: false);
            }
        }
    }

    private void StartFailureWorkflow(Tx tx, WorkflowState state, ConductorTask? failedTask)
    {
        var workflow = state.Workflow;
        var name = state.Definition.FailureWorkflow;
        if (string.IsNullOrWhiteSpace(name))
        {
            return;
        }
        // "${workflow.input.key}": the third dot-segment names the input key (Conductor's special case).
        if (name!.StartsWith("${", StringComparison.Ordinal))
        {
            var segments = name.Trim('$', '{', '}').Split('.');
            name = segments.Length >= 3 && workflow.Input is not null && workflow.Input.TryGetValue(segments[2], out var value)
                ? value as string
                : null;
            if (string.IsNullOrWhiteSpace(name))
            {
                return;
            }
        }
        var input = ConductorJson.CloneMap(workflow.Input);
        input["workflowId"] = workflow.WorkflowId;
        input["reason"] = workflow.ReasonForIncompletion;
        input["failureStatus"] = workflow.Status.ToString();
        if (failedTask is not null)
        {
            input["failureTaskId"] = failedTask.TaskId;
        }
        input["failedWorkflow"] = ToPlain(workflow);
        try
        {
            var failureState = StartWorkflow(tx, new StartWorkflowRequest
            {
                Name = name!,
                Version = state.Definition.FailureWorkflowVersion,
                Input = input,
                CorrelationId = workflow.CorrelationId,
                TaskToDomain = workflow.TaskToDomain,
            });
            (workflow.Output ??= new())["conductor.failure_workflow"] = failureState.Id;
        }
        catch (ConductorException e)
        {
            (workflow.Output ??= new())["conductor.failure_workflow"] = "Error starting failure workflow " + name + ": " + e.Message;
            _logger.LogWarning("Could not start failure workflow {Name} for {WorkflowId}: {Message}", name, workflow.WorkflowId, e.Message);
        }
    }

    private void NotifyParent(Tx tx, WorkflowState state)
    {
        var workflow = state.Workflow;
        if (workflow.ParentWorkflowId is null || workflow.ParentWorkflowTaskId is null || tx.Load(workflow.ParentWorkflowId) is not { } parent)
        {
            return;
        }
        var task = parent.TaskById(workflow.ParentWorkflowTaskId);
        if (task is null || (task.Status ?? ConductorTaskStatus.SCHEDULED).IsTerminal())
        {
            return;
        }
        task.Status = workflow.Status switch
        {
            WorkflowStatus.COMPLETED => ConductorTaskStatus.COMPLETED,
            WorkflowStatus.TERMINATED => ConductorTaskStatus.CANCELED,
            WorkflowStatus.TIMED_OUT => ConductorTaskStatus.TIMED_OUT,
            _ => ConductorTaskStatus.FAILED,
        };
        var output = new Dictionary<string, object?>(StringComparer.Ordinal) { ["subWorkflowId"] = workflow.WorkflowId };
        foreach (var pair in workflow.Output ?? new())
        {
            output[pair.Key] = ConductorJson.DeepClone(pair.Value);
        }
        task.OutputData = output;
        // conductor-oss's SubWorkflow task: "Sub workflow <name>.<version>/<id> failure reason: <the child's reason>".
        task.ReasonForIncompletion = workflow.Status == WorkflowStatus.COMPLETED
            ? workflow.ReasonForIncompletion
            : $"Sub workflow {workflow.WorkflowName}.{workflow.WorkflowVersion}/{workflow.WorkflowId} failure reason: {workflow.ReasonForIncompletion}";
        task.EndTime = tx.Now;
        task.UpdateTime = tx.Now;
        Decide(tx, parent);
    }
}
