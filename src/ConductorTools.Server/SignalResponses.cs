using System.Text.Json.Nodes;
using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.AspNetCore.Http;

namespace ConductorTools.Server;

/// <summary>
/// The synchronous answers of <c>POST /api/workflow/execute/{name}/{version}</c> and
/// <c>POST /api/tasks/{workflowId}/{status}/signal/sync</c> (conductor-oss's WorkflowSignalResponder): wait until the
/// workflow ends or blocks, then answer in the shape the <c>returnStrategy</c> asks for. A blocking task is a WAIT or
/// HUMAN task waiting for a signal, or a task named in <c>waitUntilTaskRef</c> that has finished, in the workflow or
/// (recursively) in a running sub-workflow.
/// </summary>
internal static class SignalResponses
{
    /// <summary>How often the wait looks at the workflow (short: the caller is waiting for the answer).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    public static readonly string[] Strategies = ["TARGET_WORKFLOW", "BLOCKING_WORKFLOW", "BLOCKING_TASK", "BLOCKING_TASK_INPUT"];

    /// <summary>The strategy named in the query (TARGET_WORKFLOW by default), or a 400 listing the valid ones.</summary>
    public static string Strategy(HttpContext c)
    {
        var strategy = c.Query("returnStrategy") ?? "TARGET_WORKFLOW";
        if (!Strategies.Contains(strategy, StringComparer.Ordinal))
        {
            throw new BadRequestException($"returnStrategy '{strategy}' is not one of {string.Join(", ", Strategies)}.");
        }
        return strategy;
    }

    public static async Task AnswerAsync(HttpContext c, IConductorApi api, string workflowId, IReadOnlySet<string> waitUntil, string strategy,
        TimeSpan timeout, string? requestId)
    {
        // The wait also ends when the server stops: the answer is the workflow as it is then (a shutdown does not wait
        // out, then abort, a long execute).
        var ((workflow, blocking), done) = await WorkflowWaiter.LookUntilAsync(
            async ct =>
            {
                var current = await api.GetWorkflowAsync(workflowId, includeTasks: true, ct);
                return (Workflow: current, Blocking: await FindBlockingAsync(api, current, waitUntil, ct));
            },
            look => look.Workflow.Status.IsTerminal() || look.Blocking.Tasks.Count > 0,
            timeout, PollInterval, PollInterval, stopWaiting: HttpExchange.ServerStopping(c), cancellationToken: c.RequestAborted);
        var timedOut = !done;
        if (timedOut)
        {
            blocking = (new List<ConductorTask>(), workflow);
        }
        requestId ??= Guid.NewGuid().ToString();
        if (blocking.Tasks.Count == 0 && strategy is "BLOCKING_TASK" or "BLOCKING_TASK_INPUT")
        {
            // conductor-oss answers nothing when no task blocks.
            return;
        }
        JsonObject body = strategy switch
        {
            "BLOCKING_WORKFLOW" => WorkflowRun(blocking.Workflow ?? workflow, workflow, strategy, requestId, timedOut),
            "BLOCKING_TASK" or "BLOCKING_TASK_INPUT" => TaskRun(blocking.Tasks[0], workflow, strategy, requestId, timedOut),
            _ => WorkflowRun(workflow, workflow, strategy, requestId, timedOut),
        };
        await c.WriteJsonAsync(body);
    }

    private static async Task<(List<ConductorTask> Tasks, Workflow? Workflow)> FindBlockingAsync(IConductorApi api, Workflow workflow,
        IReadOnlySet<string> waitUntil, CancellationToken cancellationToken)
    {
        var tasks = new List<ConductorTask>();
        Workflow? found = null;
        foreach (var task in workflow.Tasks)
        {
            var status = task.Status ?? ConductorTaskStatus.SCHEDULED;
            if ((task.TaskType is WorkflowTaskTypes.Wait or WorkflowTaskTypes.Human && status == ConductorTaskStatus.IN_PROGRESS)
                || (waitUntil.Contains(task.ReferenceTaskName ?? "") && status.IsTerminal()))
            {
                tasks.Add(task);
                found ??= workflow;
            }
            if (task.TaskType == WorkflowTaskTypes.SubWorkflow && !string.IsNullOrEmpty(task.SubWorkflowId) && !status.IsTerminal())
            {
                Workflow child;
                try
                {
                    child = await api.GetWorkflowAsync(task.SubWorkflowId!, includeTasks: true, cancellationToken);
                }
                catch (ConductorException)
                {
                    continue;
                }
                var inner = await FindBlockingAsync(api, child, waitUntil, cancellationToken);
                tasks.AddRange(inner.Tasks);
                found ??= inner.Workflow;
            }
        }
        return (tasks, found);
    }

    /// <summary>The WorkflowRun shape: the workflow's fields plus the signal fields.</summary>
    private static JsonObject WorkflowRun(Workflow shown, Workflow target, string strategy, string requestId, bool timedOut)
    {
        var body = System.Text.Json.JsonSerializer.SerializeToNode(shown, ConductorJson.Options)!.AsObject();
        body["responseType"] = strategy;
        body["targetWorkflowId"] = target.WorkflowId;
        body["targetWorkflowStatus"] = target.Status.ToString();
        body["requestId"] = requestId;
        body["signalTimeout"] = timedOut;
        return body;
    }

    /// <summary>The TaskRun shape of conductor-oss's NotificationResult.</summary>
    private static JsonObject TaskRun(ConductorTask task, Workflow target, string strategy, string requestId, bool timedOut)
    {
        JsonNode? Node<T>(T value) => System.Text.Json.JsonSerializer.SerializeToNode(value, ConductorJson.Options);
        return new JsonObject
        {
            ["targetWorkflowId"] = target.WorkflowId,
            ["targetWorkflowStatus"] = target.Status.ToString(),
            ["responseType"] = strategy,
            ["requestId"] = requestId,
            ["taskType"] = task.TaskType,
            ["taskId"] = task.TaskId,
            ["referenceTaskName"] = task.ReferenceTaskName,
            ["retryCount"] = task.RetryCount,
            ["taskDefName"] = task.TaskDefName,
            ["retriedTaskId"] = task.RetriedTaskId,
            ["workflowType"] = task.WorkflowType,
            ["reasonForIncompletion"] = task.ReasonForIncompletion,
            ["priority"] = task.WorkflowPriority,
            ["workflowId"] = task.WorkflowInstanceId,
            ["correlationId"] = task.CorrelationId,
            ["status"] = task.Status?.ToString(),
            ["input"] = Node(task.InputData ?? new Dictionary<string, object?>()),
            ["output"] = Node(task.OutputData ?? new Dictionary<string, object?>()),
            ["createdBy"] = task.WorkerId,
            ["createTime"] = task.StartTime,
            ["updateTime"] = task.UpdateTime,
            ["signalTimeout"] = timedOut,
        };
    }
}
