using ConductorTools.Api;
using ConductorTools.Engine.Execution;
using ConductorTools.Model;

namespace ConductorTools.Engine;

/// <summary>Task and workflow definitions (conductor-oss rest/.../controllers/MetadataResource.java).</summary>
public sealed partial class EmbeddedConductor
{
    public Task RegisterTaskDefsAsync(IReadOnlyList<TaskDef> taskDefs, CancellationToken cancellationToken = default)
    {
        if (taskDefs is null || taskDefs.Count == 0)
        {
            throw ConductorException.BadRequest(DefinitionChecks.Message,
                new[] { new ValidationError("registerTaskDef.taskDefinitions", "TaskDefList cannot be empty or null") });
        }
        DefinitionChecks.ThrowIfInvalid(taskDefs, "registerTaskDef.taskDefinitions");
        return RunAsync(tx =>
        {
            foreach (var def in taskDefs)
            {
                var copy = Decider.Clone(def);
                var existing = tx.Store.GetTaskDef(def.Name);
                copy.CreateTime = existing?.CreateTime ?? tx.Now;
                copy.CreatedBy = existing?.CreatedBy ?? def.CreatedBy;
                if (existing is not null)
                {
                    copy.UpdateTime = tx.Now;
                }
                tx.Store.PutTaskDef(copy);
            }
        }, cancellationToken);
    }

    public Task UpdateTaskDefAsync(TaskDef taskDef, CancellationToken cancellationToken = default)
    {
        DefinitionChecks.ThrowIfInvalid(taskDef, "updateTaskDef.taskDefinition");
        return RunAsync(tx =>
        {
            var existing = tx.Store.GetTaskDef(taskDef.Name) ?? throw ConductorException.NotFound($"No such task by name {taskDef.Name}");
            var copy = Decider.Clone(taskDef);
            copy.CreateTime = existing.CreateTime;
            copy.CreatedBy = existing.CreatedBy;
            copy.UpdateTime = tx.Now;
            tx.Store.PutTaskDef(copy);
        }, cancellationToken);
    }

    public Task<TaskDef> GetTaskDefAsync(string name, CancellationToken cancellationToken = default) =>
        RunAsync(tx => tx.Store.GetTaskDef(name) ?? throw ConductorException.NotFound($"No such taskType found by name: {name}"), cancellationToken);

    public async Task<IReadOnlyList<TaskDef>> GetTaskDefsAsync(CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.GetTaskDefs(), cancellationToken).ConfigureAwait(false);

    public Task DeleteTaskDefAsync(string name, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            if (!tx.Store.DeleteTaskDef(name))
            {
                throw ConductorException.NotFound($"Cannot remove the task - no such task definition: {name}");
            }
        }, cancellationToken);

    public Task RegisterWorkflowDefAsync(WorkflowDef workflowDef, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        return RunAsync(tx =>
        {
            // Inside the transaction: HTTP tasks may take their request from a registered TaskDef's input template.
            DefinitionChecks.ThrowIfInvalid(workflowDef, "registerWorkflowDef.workflowDef", tx.Store.GetTaskDef);
            var existing = tx.Store.GetWorkflowDef(workflowDef.Name, workflowDef.Version);
            if (existing is not null && !overwrite)
            {
                throw ConductorException.Conflict($"Workflow with {workflowDef.Name}.{workflowDef.Version} already exists!");
            }
            PutWorkflowDef(tx, workflowDef, existing);
        }, cancellationToken);
    }

    private static void PutWorkflowDef(Tx tx, WorkflowDef workflowDef, WorkflowDef? existing)
    {
        var copy = Decider.Clone(workflowDef);
        copy.CreateTime = existing?.CreateTime ?? tx.Now;
        copy.CreatedBy = existing?.CreatedBy ?? workflowDef.CreatedBy;
        if (existing is not null)
        {
            copy.UpdateTime = tx.Now;
        }
        tx.Store.PutWorkflowDef(copy);
    }

    public async Task<BulkResponse> UpdateWorkflowDefsAsync(IReadOnlyList<WorkflowDef> workflowDefs, CancellationToken cancellationToken = default)
    {
        if (workflowDefs is null || workflowDefs.Count == 0)
        {
            throw ConductorException.BadRequest(DefinitionChecks.Message,
                new[] { new ValidationError("update.workflowDefs", "WorkflowDef list name cannot be null or empty") });
        }
        return await RunAsync(tx =>
        {
            // Bean validation rejects the whole request before anything is stored, as Conductor does.
            var problems = new List<ValidationError>();
            for (var i = 0; i < workflowDefs.Count; i++)
            {
                problems.AddRange(DefinitionChecks.Validate(workflowDefs[i], $"updateWorkflowDef.workflowDefList[{i}]", tx.Store.GetTaskDef));
            }
            DefinitionChecks.Throw(problems);
            var response = new BulkResponse { Message = "Bulk Request has been processed." };
            foreach (var def in workflowDefs)
            {
                PutWorkflowDef(tx, def, tx.Store.GetWorkflowDef(def.Name, def.Version));
                response.BulkSuccessfulResults.Add(def.Name);
            }
            return response;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task ValidateWorkflowDefAsync(WorkflowDef workflowDef, CancellationToken cancellationToken = default) =>
        RunAsync(tx => DefinitionChecks.ThrowIfInvalid(workflowDef, "validateWorkflowDef.workflowDef", tx.Store.GetTaskDef), cancellationToken);

    public Task<WorkflowDef> GetWorkflowDefAsync(string name, int? version = null, CancellationToken cancellationToken = default) =>
        RunAsync(tx => tx.Store.GetWorkflowDef(name, version)
            ?? throw ConductorException.NotFound(version is null
                ? $"No such workflow found by name: {name}, version: null"
                : $"No such workflow found by name: {name}, version: {version}"), cancellationToken);

    public async Task<IReadOnlyList<WorkflowDef>> GetWorkflowDefsAsync(CancellationToken cancellationToken = default) =>
        await RunAsync(tx => tx.Store.GetWorkflowDefs(), cancellationToken).ConfigureAwait(false);

    public Task DeleteWorkflowDefAsync(string name, int version, CancellationToken cancellationToken = default) =>
        RunAsync(tx =>
        {
            if (!tx.Store.DeleteWorkflowDef(name, version))
            {
                throw ConductorException.NotFound($"No such workflow definition: {name} version: {version}");
            }
        }, cancellationToken);
}
