using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

public sealed class DefinitionTests : EngineTestBase
{
    [Fact]
    public async Task Sqlite_native_library_loads_and_engine_reports_healthy()
    {
        var health = await Engine.GetHealthAsync(Ct);
        Assert.True(health.Healthy);
        Assert.False(string.IsNullOrEmpty(SQLitePCL.raw.sqlite3_libversion().utf8_to_string()));
    }

    [Fact]
    public async Task Task_defs_register_get_update_list_delete()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("a") { RetryCount = 1 }, new TaskDef("b") }, Ct);
        var a = await Engine.GetTaskDefAsync("a", Ct);
        Assert.Equal(1, a.RetryCount);
        Assert.NotNull(a.CreateTime);

        a.RetryCount = 5;
        await Engine.UpdateTaskDefAsync(a, Ct);
        Assert.Equal(5, (await Engine.GetTaskDefAsync("a", Ct)).RetryCount);
        Assert.Equal(new[] { "a", "b" }, (await Engine.GetTaskDefsAsync(Ct)).Select(d => d.Name));

        await Engine.DeleteTaskDefAsync("a", Ct);
        var missing = await Assert.ThrowsAsync<ConductorException>(() => Engine.GetTaskDefAsync("a", Ct));
        Assert.Equal(ConductorErrorKind.NotFound, missing.Kind);
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal("No such taskType found by name: a", missing.ServerMessage);

        var update = await Assert.ThrowsAsync<ConductorException>(() => Engine.UpdateTaskDefAsync(new TaskDef("nope"), Ct));
        Assert.Equal(ConductorErrorKind.NotFound, update.Kind);
        Assert.Equal("No such task by name nope", update.ServerMessage);
        Assert.Equal(ConductorErrorKind.NotFound, (await Assert.ThrowsAsync<ConductorException>(() => Engine.DeleteTaskDefAsync("nope", Ct))).Kind);
    }

    [Fact]
    public async Task Workflow_defs_versions_latest_conflict_and_delete()
    {
        var v1 = Def("wf", Simple("t1"));
        await Engine.RegisterWorkflowDefAsync(v1, cancellationToken: Ct);
        var conflict = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(v1, cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.Conflict, conflict.Kind);
        Assert.Equal(409, conflict.StatusCode);
        Assert.Equal("Workflow with wf.1 already exists!", conflict.ServerMessage);
        await Engine.RegisterWorkflowDefAsync(v1, overwrite: true, Ct);

        var v2 = Def("wf", Simple("t1"), Simple("t2"));
        v2.Version = 2;
        await Engine.RegisterWorkflowDefAsync(v2, cancellationToken: Ct);

        Assert.Equal(2, (await Engine.GetWorkflowDefAsync("wf", null, Ct)).Version);
        Assert.Single((await Engine.GetWorkflowDefAsync("wf", 1, Ct)).Tasks);
        Assert.Equal(new[] { 1, 2 }, (await Engine.GetWorkflowDefsAsync(Ct)).Select(d => d.Version));

        // A start without a version runs the latest.
        var id = await Engine.StartWorkflowAsync("wf", new Dictionary<string, object?>(), cancellationToken: Ct);
        Assert.Equal(2, (await GetAsync(id)).WorkflowVersion);

        await Engine.DeleteWorkflowDefAsync("wf", 2, Ct);
        Assert.Equal(1, (await Engine.GetWorkflowDefAsync("wf", null, Ct)).Version);
        var gone = await Assert.ThrowsAsync<ConductorException>(() => Engine.DeleteWorkflowDefAsync("wf", 2, Ct));
        Assert.Equal("No such workflow definition: wf version: 2", gone.ServerMessage);
        var unknown = await Assert.ThrowsAsync<ConductorException>(() => Engine.GetWorkflowDefAsync("zzz", null, Ct));
        Assert.Equal(ConductorErrorKind.NotFound, unknown.Kind);
    }

    [Fact]
    public async Task Bulk_update_upserts_every_definition()
    {
        var response = await Engine.UpdateWorkflowDefsAsync(new[] { Def("x", Simple("t")), Def("y", Simple("t")) }, Ct);
        Assert.Equal(new[] { "x", "y" }, response.BulkSuccessfulResults);
        Assert.Empty(response.BulkErrorResults);
        Assert.NotNull(await Engine.GetWorkflowDefAsync("y", 1, Ct));
    }

    [Fact]
    public async Task Invalid_definitions_are_rejected_with_validation_errors()
    {
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(new WorkflowDef { Name = "" }, cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.Validation, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.True(error.ValidationErrors.Count >= 2);

        var unsupported = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(
            Def("kafka", new WorkflowTask { Name = "k", TaskReferenceName = "k", Type = WorkflowTaskTypes.KafkaPublish }), cancellationToken: Ct));
        Assert.Equal(ConductorErrorKind.Validation, unsupported.Kind);
        Assert.Contains(unsupported.ValidationErrors, e => e.Message!.Contains("KAFKA_PUBLISH", StringComparison.Ordinal));
    }
}
