using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>HTTP: queued on a reserved queue that the sweeper drains; <see cref="HttpTaskRunner"/> calls the endpoint
/// outside the writer lock and reports the outcome through the ordinary task update (output <c>response</c>: body,
/// headers, statusCode, reasonPhrase).</summary>
internal sealed class Http : Operator
{
    /// <summary>Reserved queue for HTTP tasks, run by the sweeper (workers never poll it: the underscore prefix is not a
    /// Conductor type and no domain produces it).</summary>
    internal const string Queue = "_system:HTTP";

    public override string Type => WorkflowTaskTypes.Http;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        var input = task.InputParameters;
        if (input is not null && (input.ContainsKey("http_request") || input.ContainsKey("uri") || input.ContainsKey("method")))
        {
            // A literal URI is checked now (one built from ${...} when the task runs, failing that task alone).
            var request = input.TryGetValue("http_request", out var nested) && nested is IDictionary<string, object?> map ? map : input;
            if (request.TryGetValue("uri", out var uri) && uri is string text && !text.Contains("${") && HttpTaskRunner.UriProblem(text) is { } problem)
            {
                errors.Add(new ValidationError(path + ".inputParameters.http_request.uri", $"HTTP task {task.TaskReferenceName}: {problem}"));
            }
            return;
        }
        // The request may come from the task definition's input template: the inline one, else the registered one.
        var def = task.TaskDefinition ?? context.Registered(task.Name);
        if (def?.InputTemplate is { } template && template.ContainsKey("http_request"))
        {
            return;
        }
        errors.Add(new ValidationError(path + ".inputParameters",
            $"HTTP task {task.TaskReferenceName} (taskName: {task.Name}) needs inputParameters.http_request, or uri and method in inputParameters, "
            + "or an http_request in its task definition's inputTemplate"));
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        context.Tx.Store.Enqueue(task.TaskId!, Queue, visibleAt, context.Workflow.Priority, context.Now);
        context.Tx.SystemTaskQueued = true;
    }
}
