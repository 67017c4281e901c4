// The quick start on the embedded default: register a task definition and a workflow, start it, run a worker
// until the workflow completes, print the result. The same calls work against a Conductor server: replace the
// embedded engine with new HttpConductorApi(ConductorClientOptions.FromEnvironment()).
using ConductorTools.Api;
using ConductorTools.Engine;
using ConductorTools.Model;
using ConductorTools.Workers;

var databasePath = args.Length > 0 ? args[0] : EmbeddedConductorOptions.InMemory;
await using var conductor = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = databasePath });

await conductor.RegisterTaskDefsAsync([new TaskDef("greet") { RetryCount = 1, TimeoutSeconds = 60, ResponseTimeoutSeconds = 60 }]);
await conductor.RegisterWorkflowDefAsync(new WorkflowDef
{
    Name = "hello",
    Version = 1,
    Tasks = [new WorkflowTask { Name = "greet", TaskReferenceName = "greet", InputParameters = new() { ["name"] = "${workflow.input.name}" } }],
    OutputParameters = new() { ["greeting"] = "${greet.output.greeting}" },
}, overwrite: true);

var workflowId = await conductor.StartWorkflowAsync("hello", new Dictionary<string, object?> { ["name"] = "Conductor" });
Console.WriteLine($"Started workflow hello: {workflowId}");

var worker = new WorkerDefinition("greet", (task, _) =>
    Task.FromResult(TaskResults.Complete(task, new Dictionary<string, object?> { ["greeting"] = $"Hello, {task.InputData?["name"]}!" })));
var runner = new WorkerRunner(conductor, [worker]);
var summary = await runner.RunAsync(CancellationToken.None, new WorkerRunLimits { StopWhenIdle = true });
Console.WriteLine($"Worker: {summary}");

var workflow = await WorkflowWaiter.WaitAsync(conductor, workflowId, TimeSpan.FromSeconds(30));
Console.WriteLine($"Workflow {workflow.WorkflowId} is {workflow.Status}: {ConductorJson.Serialize(workflow.Output)}");
return workflow.Status == WorkflowStatus.COMPLETED ? 0 : 1;
