using ConductorTools.Model;

namespace ConductorTools.Functions;

/// <summary>The sample .NET worker registered in Program.cs: task type <c>greet</c>, input <c>name</c>, output <c>greeting</c>.</summary>
public static class SampleWorkers
{
    public const string GreetTaskType = "greet";

    public static Task<TaskResult> GreetAsync(ConductorTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        cancellationToken.ThrowIfCancellationRequested();
        if (task.InputData is null || !task.InputData.TryGetValue("name", out var name) || name is null || string.IsNullOrWhiteSpace(name.ToString()))
        {
            // A terminal failure: retrying the same input cannot succeed.
            return Task.FromResult(new TaskResult
            {
                WorkflowInstanceId = task.WorkflowInstanceId ?? "",
                TaskId = task.TaskId ?? "",
                Status = TaskResultStatus.FAILED_WITH_TERMINAL_ERROR,
                ReasonForIncompletion = "Input 'name' is required.",
            });
        }
        var result = TaskResult.For(task, TaskResultStatus.COMPLETED);
        result.OutputData = new Dictionary<string, object?> { ["greeting"] = $"Hello, {name}!" };
        return Task.FromResult(result);
    }
}
