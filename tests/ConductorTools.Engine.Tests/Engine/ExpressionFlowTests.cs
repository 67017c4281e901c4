using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Expressions as the decider uses them: task inputs, workflow output, DO_WHILE items, DYNAMIC names.</summary>
public sealed class ExpressionFlowTests : EngineTestBase
{
    [Fact]
    public async Task Inputs_flow_from_the_workflow_and_earlier_tasks_and_output_parameters_shape_the_result()
    {
        var first = Simple("ex_first", input: new() { ["orderId"] = "${workflow.input.orderId}", ["note"] = "order ${workflow.input.orderId}" });
        var second = Simple("ex_second", input: new() { ["charge"] = "${ex_first.output.amount}", ["items"] = "${ex_first.output.items[*].sku}" });
        var def = Def("expressions", first, second);
        def.OutputParameters = new() { ["charged"] = "${ex_second.output.ok}", ["order"] = "${workflow.input.orderId}" };
        var id = await StartAsync(def, new() { ["orderId"] = 42L });

        var a = await PollOneAsync("ex_first");
        Assert.Equal(42L, a.InputData!["orderId"]);
        Assert.Equal("order 42", a.InputData["note"]);
        await CompleteAsync(a, new()
        {
            ["amount"] = 9.5,
            ["items"] = new List<object?> { new Dictionary<string, object?> { ["sku"] = "x" }, new Dictionary<string, object?> { ["sku"] = "y" } },
        });
        var b = await PollOneAsync("ex_second");
        Assert.Equal(9.5, b.InputData!["charge"]);
        Assert.Equal(new List<object?> { "x", "y" }, b.InputData["items"]);
        await CompleteAsync(b, new() { ["ok"] = true });

        var workflow = await GetAsync(id);
        Assert.Equal(WorkflowStatus.COMPLETED, workflow.Status);
        Assert.Equal(new Dictionary<string, object?> { ["charged"] = true, ["order"] = 42L }, workflow.Output);
    }

    [Fact]
    public async Task Do_while_items_and_dynamic_names_come_from_expressions()
    {
        var loop = new WorkflowTask { Name = "each", TaskReferenceName = "each", Type = WorkflowTaskTypes.DoWhile, Items = "${workflow.input.skus}" };
        loop.LoopOver = new() { Simple("per_item", input: new() { ["sku"] = "${each.output.loopItem}" }) };
        var dynamic = new WorkflowTask
        {
            Name = "pick", TaskReferenceName = "pick", Type = WorkflowTaskTypes.Dynamic, DynamicTaskNameParam = "taskName",
            InputParameters = new() { ["taskName"] = "${workflow.input.worker}" },
        };
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("chosen_worker") }, Ct); // DYNAMIC names a registered task
        var id = await StartAsync(Def("expr_loop", loop, dynamic), new() { ["skus"] = new List<object?> { "a", "b" }, ["worker"] = "chosen_worker" });
        Assert.Equal("a", (await PollOneAsync("per_item")).InputData!["sku"]);
        var workflow = await GetAsync(id);
        await CompleteAsync(workflow.Tasks[1]);
        var secondItem = await PollOneAsync("per_item");
        Assert.Equal("b", secondItem.InputData!["sku"]);
        await CompleteAsync(secondItem);
        await CompleteAsync(await PollOneAsync("chosen_worker"));
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task Variables_set_by_a_task_are_visible_to_later_tasks()
    {
        var set = new WorkflowTask { Name = "set", TaskReferenceName = "set", Type = WorkflowTaskTypes.SetVariable, InputParameters = new() { ["region"] = "${workflow.input.region}" } };
        var id = await StartAsync(Def("expr_vars", set, Simple("uses_var", input: new() { ["where"] = "${workflow.variables.region}" })), new() { ["region"] = "eu" });
        Assert.Equal("eu", (await PollOneAsync("uses_var")).InputData!["where"]);
        Assert.Equal("eu", (await GetAsync(id)).Variables!["region"]);
    }
}
