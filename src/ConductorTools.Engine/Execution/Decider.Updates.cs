using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>Task updates, after conductor-oss core/.../execution/WorkflowExecutorOps.java (updateTask): a worker's result,
/// IN_PROGRESS with a callback, logs.</summary>
internal sealed partial class Decider
{
    /// <summary>Maximum log lines stored per update (Conductor drops the rest).</summary>

    /// <summary>Applies a worker's result. Returns the task as updated, or null when the update was ignored
    /// (terminal task or workflow).</summary>
    public ConductorTask? UpdateTask(Tx tx, TaskResult result)
    {
        var workflowId = tx.Store.GetTaskWorkflowId(result.TaskId)
            ?? throw ConductorException.NotFound($"No such task found by id: {result.TaskId}");
        var state = tx.Load(workflowId) ?? throw ConductorException.NotFound($"No such workflow found by id: {workflowId}");
        var task = state.TaskById(result.TaskId) ?? throw ConductorException.NotFound($"No such task found by id: {result.TaskId}");
        var current = task.Status ?? ConductorTaskStatus.SCHEDULED;
        if (result.ExtendLease)
        {
            if (!current.IsTerminal())
            {
                task.UpdateTime = tx.Now;
            }
            return null;
        }
        if (current.IsTerminal() || state.Workflow.Status.IsTerminal())
        {
            tx.Store.Dequeue(task.TaskId!);
            return null;
        }
        var status = result.Status ?? throw ConductorException.BadRequest("Task status cannot be null: set status to IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or CANCELED.");
        task.OutputData = result.OutputData is null ? new Dictionary<string, object?>() : ConductorJson.CloneMap(result.OutputData);
        task.ReasonForIncompletion = Truncate(result.ReasonForIncompletion, 500);
        if (result.WorkerId is not null)
        {
            task.WorkerId = result.WorkerId;
        }
        if (result.SubWorkflowId is not null)
        {
            task.SubWorkflowId = result.SubWorkflowId;
        }
        if (result.ExecutionMetadata is not null)
        {
            task.ExecutionMetadata = ConductorJson.CloneMap(result.ExecutionMetadata);
        }
        task.CallbackAfterSeconds = result.CallbackAfterSeconds;
        task.UpdateTime = tx.Now;
        AppendLogs(tx, task.TaskId!, result.Logs);

        if (status == TaskResultStatus.IN_PROGRESS)
        {
            if (IsWorkerTask(task))
            {
                // Back to the queue, visible again after callbackAfterSeconds (WorkflowExecutorOps.updateTask).
                task.Status = ConductorTaskStatus.SCHEDULED;
                var queue = QueueName(task.TaskType!, task.Domain);
                tx.Store.Enqueue(task.TaskId!, queue, tx.Now + result.CallbackAfterSeconds * 1000, state.Workflow.Priority, tx.Now);
                tx.WokenQueues.Add(queue);
            }
            else
            {
                task.Status = ConductorTaskStatus.IN_PROGRESS;
            }
            return task;
        }
        task.Status = status.ToTaskStatus();
        task.EndTime = tx.Now;
        if (task.StartTime == 0)
        {
            task.StartTime = tx.Now;
        }
        tx.Store.Dequeue(task.TaskId!);
        if (IsWorkerTask(task))
        {
            // A finished task may free a concurrentExecLimit slot for waiting pollers.
            tx.WokenQueues.Add(QueueName(task.TaskType!, task.Domain));
        }
        Decide(tx, state);
        return task;
    }

    private static void AppendLogs(Tx tx, string taskId, List<TaskExecLog>? logs)
    {
        if (logs is null)
        {
            return;
        }
        // The shared budget (TaskLogLimits), newest lines kept: a worker's failure line comes last and must survive.
        foreach (var log in logs.Skip(Math.Max(0, logs.Count - TaskLogLimits.MaxLinesPerUpdate)))
        {
            if (log.Log is null)
            {
                continue;
            }
            tx.Store.AddLog(taskId, log.Log, log.CreatedTime > 0 ? log.CreatedTime : tx.Now);
        }
    }

    private static string? Truncate(string? text, int max) =>
        text is null || text.Length <= max ? text : text.Substring(0, max);
}
