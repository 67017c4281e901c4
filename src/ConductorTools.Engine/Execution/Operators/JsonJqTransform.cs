using System.Collections.Concurrent;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Jq;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>
/// JSON_JQ_TRANSFORM: runs the jq filter <c>inputParameters.queryExpression</c> on the task's whole input (the
/// <c>queryExpression</c> included, as conductor-oss's JsonJqTransform does) with ConductorTools.Jq. Output
/// <c>result</c> is the first output (null when none) and <c>resultList</c> all of them; on an error the task is FAILED
/// with the message in <c>error</c> and <c>reasonForIncompletion</c>. A literal filter is syntax-checked at registration
/// (conductor-oss only finds out when the task runs). Filters are compiled once and cached by their text.
/// </summary>
/// <remarks>The filter runs inside the engine's transaction, so it gets a step and time budget far below a script's: a
/// transform is a small reshaping of a task input, and one that loops fails its own task, never the engine.</remarks>
internal sealed class JsonJqTransform : Operator
{
    private const string QueryExpression = "queryExpression";
    private const int CacheLimit = 1000;
    private static readonly ConcurrentDictionary<string, JqFilter> Compiled = new(StringComparer.Ordinal);

    internal static readonly JqOptions Budget = new()
    {
        MaxSteps = 2_000_000,
        Timeout = TimeSpan.FromSeconds(2),
        MaxCollectionLength = 1_000_000,
        RegexTimeout = TimeSpan.FromMilliseconds(500),
    };

    public override string Type => WorkflowTaskTypes.JsonJqTransform;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        if (task.InputParameters is null || !task.InputParameters.TryGetValue(QueryExpression, out var value) || value is null)
        {
            errors.Add(new ValidationError(path + ".inputParameters." + QueryExpression,
                $"JSON_JQ_TRANSFORM task {task.TaskReferenceName} needs inputParameters.{QueryExpression} (the jq filter).", null));
            return;
        }
        if (value is not string text || text.Contains("${")) return;   // resolved when the task runs
        try
        {
            Filter(text);
        }
        catch (JqParseException e)
        {
            errors.Add(new ValidationError(path + ".inputParameters." + QueryExpression,
                $"The {QueryExpression} of JSON_JQ_TRANSFORM task {task.TaskReferenceName} is not a valid jq filter: {e.Message}", text));
        }
    }

    public override void Start(OperatorContext context, ConductorTask task, long visibleAt)
    {
        var input = task.InputData ?? new();
        if (!input.TryGetValue(QueryExpression, out var value) || value is not string text || text.Length == 0)
        {
            // conductor-oss's own words, with no error output.
            context.Finish(task, ConductorTaskStatus.FAILED, "Missing 'queryExpression' in input parameters");
            return;
        }
        try
        {
            var document = JsonSerializer.SerializeToNode(input, ConductorJson.Options);
            var outputs = Filter(text).Evaluate(document, Budget)
                .Select(node => node is null ? null : ConductorJson.ToPlain(JsonSerializer.SerializeToElement(node)))
                .ToList();
            task.OutputData = new Dictionary<string, object?>
            {
                ["result"] = outputs.Count > 0 ? outputs[0] : null,
                ["resultList"] = outputs,
            };
            context.Finish(task, ConductorTaskStatus.COMPLETED);
        }
        catch (JqException e)
        {
            task.OutputData = new Dictionary<string, object?> { ["error"] = e.Message };
            context.Finish(task, ConductorTaskStatus.FAILED, e.Message);
        }
    }

    private static JqFilter Filter(string text)
    {
        if (Compiled.TryGetValue(text, out var filter)) return filter;
        filter = JqFilter.Parse(text);
        if (Compiled.Count >= CacheLimit) Compiled.Clear();   // a hot workflow refills it at once; a flood of one-off filters cannot grow it
        Compiled[text] = filter;
        return filter;
    }
}
