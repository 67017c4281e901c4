using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: one depth limit where data enters; names that could never be used in a REST path are refused.</summary>
public sealed class IntakeLimitsTests : EngineTestBase
{
    internal static Dictionary<string, object?> Nested(int levels)
    {
        var root = new Dictionary<string, object?>();
        var current = root;
        for (var i = 1; i < levels; i++)
        {
            var next = new Dictionary<string, object?>();
            current["n"] = next;
            current = next;
        }
        current["leaf"] = 1L;
        return root;
    }

    [Fact]
    public async Task Input_nested_deeper_than_the_limit_is_refused_naming_it_and_nothing_starts()
    {
        var def = Def("deep", Simple("deep_task"));
        def.FailureWorkflow = "whatever";
        await Engine.RegisterWorkflowDefAsync(def, overwrite: true, Ct);
        var error = await Assert.ThrowsAsync<ConductorException>(() =>
            Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "deep", Input = new() { ["x"] = Nested(254) } }, Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("nested deeper than 64 levels", error.Message);
        Assert.Equal(0, (await Engine.SearchWorkflowsAsync(new SearchRequest { Query = "workflowType = 'deep'" }, Ct)).TotalHits);

        // At the limit it is accepted, stored, polled and answered.
        var id = await Engine.StartWorkflowAsync(new StartWorkflowRequest { Name = "deep", Input = Nested(64) }, Ct);
        var task = await PollOneAsync("deep_task");
        var tooDeep = await Assert.ThrowsAsync<ConductorException>(() => CompleteAsync(task, new() { ["o"] = Nested(64) }));
        Assert.Contains("The task output is nested deeper than 64 levels", tooDeep.Message);
        await CompleteAsync(task, Nested(64));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task A_definition_nested_deeper_than_the_limit_is_refused()
    {
        var def = Def("deep_def", Simple("t", input: Nested(200)));
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(def, overwrite: true, Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains(error.ValidationErrors!, e => e.Message!.Contains("nested deeper than 128 levels"));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a\0b")]
    public async Task Names_that_cannot_be_used_in_a_path_are_refused_at_registration(string name)
    {
        var workflow = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def(name, Simple("t")), overwrite: true, Ct));
        Assert.Equal(400, workflow.StatusCode);
        Assert.Contains(workflow.ValidationErrors!, e => e.Path!.EndsWith(".name", StringComparison.Ordinal));
        var task = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterTaskDefsAsync([new TaskDef(name)], Ct));
        Assert.Contains(task.ValidationErrors!, e => e.Path!.EndsWith(".name", StringComparison.Ordinal));
        Assert.DoesNotContain('\0', string.Join(" ", task.ValidationErrors!.Select(e => e.Message)));
    }

    [Fact]
    public async Task A_workflow_name_with_a_colon_is_refused_as_conductor_does()
    {
        var error = await Assert.ThrowsAsync<ConductorException>(() => Engine.RegisterWorkflowDefAsync(Def("a:b", Simple("t")), overwrite: true, Ct));
        Assert.Contains(error.ValidationErrors!, e => e.Message == "Workflow name cannot contain the following set of characters: ':'");
    }
}

public sealed class ScriptDepthTests : EngineTestBase
{
    [Fact]
    public async Task A_script_result_nested_deeper_than_the_limit_fails_its_task_with_the_limit_named()
    {
        var inline = new WorkflowTask
        {
            Name = "deep_js", TaskReferenceName = "deep_js", Type = WorkflowTaskTypes.Inline,
            InputParameters = new()
            {
                ["evaluatorType"] = "javascript",
                ["expression"] = "(function(){ var o = {}; for (var i = 0; i < 300; i++) { o = {n: o}; } return o; })()",
            },
        };
        var id = await StartAsync(Def("deep_js_wf", inline));
        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
        Assert.Contains("nested more than 64 levels", workflow.Tasks[0].ReasonForIncompletion);
    }
}
