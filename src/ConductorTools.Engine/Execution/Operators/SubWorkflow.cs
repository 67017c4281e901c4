using System.Globalization;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>SUB_WORKFLOW: starts a child workflow (registered by <c>subWorkflowParam.name</c>/<c>version</c>, or the
/// inline <c>workflowDefinition</c>) and stays IN_PROGRESS until the child ends; the child's end sets its status and
/// output (the decider's parent notification). Output <c>subWorkflowId</c> plus the child's output.</summary>
internal sealed class SubWorkflow : Operator
{
    public override string Type => WorkflowTaskTypes.SubWorkflow;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        var param = task.SubWorkflowParam;
        if (param is null)
        {
            errors.Add(DefinitionChecks.Required(path, "subWorkflowParam", null, task));
            return;
        }
        switch (param.WorkflowDefinition)
        {
            case null:
                if (string.IsNullOrEmpty(param.Name))
                {
                    errors.Add(new ValidationError(path + ".subWorkflowParam.name",
                        $"subWorkflowParam of {task.Type} task {task.TaskReferenceName} needs a name (or an inline workflowDefinition)"));
                }
                break;
            case string text when !(text.StartsWith("${", StringComparison.Ordinal) && text.EndsWith("}", StringComparison.Ordinal)):
                errors.Add(new ValidationError(path + ".subWorkflowParam.workflowDefinition",
                    $"subWorkflowParam.workflowDefinition of task {task.TaskReferenceName} is a string but not a ${{...}} expression", text));
                break;
        }
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        var wt = task.WorkflowTask!;
        var param = wt.SubWorkflowParam;
        try
        {
            if (param is null)
            {
                throw ConductorException.BadRequest($"SUB_WORKFLOW {wt.TaskReferenceName} has no subWorkflowParam.");
            }
            WorkflowDef? inlineDef = null;
            // A ${...} string is resolved (it names a definition computed at run time); an inline object is used as it is,
            // so the expressions inside the child's definition are the child's own (conductor-oss adds it after resolution).
            var definition = param.WorkflowDefinition is string ? context.ResolveValue(param.WorkflowDefinition) : param.WorkflowDefinition;
            if (definition is IDictionary<string, object?>)
            {
                inlineDef = ConductorJson.Deserialize<WorkflowDef>(ConductorJson.Serialize(definition));
            }
            var name = inlineDef?.Name ?? context.ResolveValue(param.Name) as string ?? param.Name ?? "";
            var version = inlineDef?.Version ?? param.Version;
            var childInput = ConductorJson.CloneMap(task.InputData);
            var bookkeeping = task.InputData!;
            bookkeeping["subWorkflowName"] = name;
            bookkeeping["subWorkflowVersion"] = version;
            if (childInput.Count == 0)
            {
                childInput = ConductorJson.CloneMap(bookkeeping);
            }
            if (inlineDef is not null)
            {
                childInput["_systemMetadata"] = new Dictionary<string, object?> { ["dynamic"] = true };
            }
            var priorityValue = context.ResolveValue(param.Priority);
            int priority = 0;
            if (priorityValue is not null)
            {
                priority = Convert.ToInt32(priorityValue, CultureInfo.InvariantCulture);
            }
            task.Status = ConductorTaskStatus.IN_PROGRESS;
            task.StartTime = context.Now;
            var child = context.StartWorkflow(new StartWorkflowRequest
            {
                Name = name,
                Version = version,
                WorkflowDef = inlineDef,
                Input = childInput,
                CorrelationId = context.Workflow.CorrelationId,
                TaskToDomain = param.TaskToDomain ?? context.Workflow.TaskToDomain,
                Priority = priority,
            }, context.State.Id, task.TaskId);
            task.SubWorkflowId = child.Id;
            task.OutputData ??= new Dictionary<string, object?>();
            if (!task.OutputData.ContainsKey("subWorkflowId"))
            {
                task.OutputData["subWorkflowId"] = child.Id;
            }
        }
        catch (Exception e) when (e is ConductorException or System.Text.Json.JsonException or FormatException or InvalidCastException)
        {
            context.Finish(task, ConductorTaskStatus.FAILED, e.Message);
        }
    }
}
