using ConductorTools.Model;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class ScriptBindingPlanTests
{
    private static ConductorTask TaskWith(Dictionary<string, object?>? input) =>
        new() { TaskId = "t1", WorkflowInstanceId = "w1", TaskType = "greet", InputData = input };

    [Fact]
    public void Binds_input_keys_to_parameters_ignoring_case()
    {
        var plan = ScriptBindingPlan.Create(["Name", "count"]);
        var args = plan.Bind(TaskWith(new() { ["name"] = "Ada", ["COUNT"] = 3L, ["extra"] = true }));

        Assert.Equal("Ada", args["Name"]);
        Assert.Equal(3L, args["count"]);
        Assert.False(args.ContainsKey("extra"));
    }

    [Fact]
    public void Task_parameter_receives_the_whole_task_even_when_input_has_a_task_key()
    {
        var plan = ScriptBindingPlan.Create(["$task", "x"]);
        var task = TaskWith(new() { ["task"] = "input value", ["x"] = 1L });

        var args = plan.Bind(task);

        Assert.True(plan.BindsTask);
        Assert.Same(task, args["task"]);
        Assert.Equal(1L, args["x"]);
    }

    [Fact]
    public void Missing_keys_leave_parameters_unbound_so_defaults_apply()
    {
        var plan = ScriptBindingPlan.Create(["a", "b"]);
        var args = plan.Bind(TaskWith(new() { ["a"] = null }));

        Assert.True(args.ContainsKey("a"));
        Assert.Null(args["a"]);
        Assert.False(args.ContainsKey("b"));
        Assert.Empty(ScriptBindingPlan.Create(["a"]).Bind(TaskWith(null)));
    }

    [Fact]
    public void Exact_case_wins_and_case_only_duplicates_are_a_clear_error()
    {
        var plan = ScriptBindingPlan.Create(["id"]);
        Assert.Equal(1L, plan.Bind(TaskWith(new() { ["ID"] = 2L, ["id"] = 1L }))["id"]);

        var ambiguous = ScriptBindingPlan.Create(["Id"]);
        var e = Assert.Throws<ScriptBindingException>(() => ambiguous.Bind(TaskWith(new() { ["ID"] = 2L, ["id"] = 1L })));
        Assert.Contains("'Id'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'ID'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'id'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_mandatory_input_is_a_clear_error_instead_of_a_prompt()
    {
        var plan = ScriptBindingPlan.Create(["Task", "Name", "Size", "Opt"], ["name", "Size", "Task"]);
        var e = Assert.Throws<ScriptBindingException>(() => plan.Bind(TaskWith(new() { ["size"] = 1L })));
        Assert.Contains("'Name'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'Size'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'Task'", e.Message, StringComparison.Ordinal);
        Assert.Equal("x", plan.Bind(TaskWith(new() { ["NAME"] = "x", ["size"] = 1L }))["Name"]);
        Assert.Throws<ArgumentException>(() => ScriptBindingPlan.Create(["a"], ["b"]));
    }

    [Fact]
    public void Rejects_empty_and_duplicate_parameter_names()
    {
        Assert.Throws<ArgumentException>(() => ScriptBindingPlan.Create(["a", "A"]));
        Assert.Throws<ArgumentException>(() => ScriptBindingPlan.Create(["$"]));
        Assert.False(ScriptBindingPlan.Create([]).BindsTask);
    }

    [Fact]
    public void Using_keys_follow_the_powershell_scheme()
    {
        // Base64 of the UTF-16LE text "$using:limit": the key ForEach-Object -Parallel and ThreadJob look up.
        Assert.Equal("JAB1AHMAaQBuAGcAOgBsAGkAbQBpAHQA", UsingVariableKey.For("$using:Limit", isPlainVariable: true));
        Assert.Equal(UsingVariableKey.For("$using:LIMIT", true), UsingVariableKey.For("$using:limit", true));
        Assert.NotEqual(UsingVariableKey.For("$using:h['A']", false), UsingVariableKey.For("$using:h['a']", false));
    }
}
