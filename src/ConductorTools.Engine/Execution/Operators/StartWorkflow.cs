using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>START_WORKFLOW: starts the workflow described by its <c>startWorkflow</c> input (a start request; the
/// parent's correlation id and domains by default) without waiting for it; output <c>workflowId</c>.</summary>
internal sealed class StartWorkflow : Operator
{
    public override string Type => WorkflowTaskTypes.StartWorkflow;

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        try
        {
            if (task.InputData is null || !task.InputData.TryGetValue("startWorkflow", out var value) || value is not IDictionary<string, object?>)
            {
                throw ConductorException.BadRequest("START_WORKFLOW needs an input 'startWorkflow' holding a start workflow request.");
            }
            var request = ConductorJson.Deserialize<StartWorkflowRequest>(ConductorJson.Serialize(value))!;
            request.CorrelationId ??= context.Workflow.CorrelationId;
            request.TaskToDomain ??= context.Workflow.TaskToDomain;
            request.Input ??= new Dictionary<string, object?>();
            var started = context.StartWorkflow(request);
            task.OutputData = new Dictionary<string, object?> { ["workflowId"] = started.Id };
            context.Finish(task, ConductorTaskStatus.COMPLETED);
        }
        catch (Exception e) when (e is ConductorException or System.Text.Json.JsonException)
        {
            context.Finish(task, ConductorTaskStatus.FAILED, e.Message);
        }
    }
}
