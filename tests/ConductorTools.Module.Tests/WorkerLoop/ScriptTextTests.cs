using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class ScriptTextTests
{
    [Fact]
    public void Script_without_param_block_gets_one()
    {
        var (text, plan) = ScriptText.Prepare(new ScriptShape { Text = " \"hi $($Task.taskId)\" " });
        Assert.Equal("param($Task)  \"hi $($Task.taskId)\" ", text);
        Assert.Equal(["Task"], plan.Parameters);
    }

    [Fact]
    public void Param_block_is_placed_after_using_statements()
    {
        const string source = "using namespace System.Text\n[StringBuilder]::new()";
        var (text, _) = ScriptText.Prepare(new ScriptShape { Text = source, AfterUsingStatements = source.IndexOf('\n', StringComparison.Ordinal) });
        Assert.Equal("using namespace System.Text\nparam($Task) [StringBuilder]::new()", text);
    }

    [Fact]
    public void Task_is_declared_first_in_an_existing_param_block()
    {
        const string source = "[CmdletBinding()] param([Parameter(Mandatory)] $Name, $Count = 1) \"$Name\"";
        var (text, plan) = ScriptText.Prepare(new ScriptShape
        {
            Text = source,
            ParameterNames = ["Name", "Count"],
            ParamBlockStart = 0,
            ParamBlockEnd = source.IndexOf(')', source.IndexOf("= 1", StringComparison.Ordinal)) + 1,
            FirstParameterStart = source.IndexOf("[Parameter", StringComparison.Ordinal),
        });
        Assert.Equal("[CmdletBinding()] param($Task, [Parameter(Mandatory)] $Name, $Count = 1) \"$Name\"", text);
        Assert.Equal(["Task", "Name", "Count"], plan.Parameters);
        Assert.True(plan.BindsTask);
    }

    [Fact]
    public void Empty_param_block_gets_task_inside_the_parentheses()
    {
        const string source = "param( ) 42";
        var (text, _) = ScriptText.Prepare(new ScriptShape { Text = source, ParamBlockStart = 0, ParamBlockEnd = 8 });
        Assert.Equal("param( $Task) 42", text);
    }

    [Fact]
    public void Declared_task_parameter_is_left_alone()
    {
        const string source = "param($task, $x) $x";
        var (text, plan) = ScriptText.Prepare(new ScriptShape { Text = source, ParameterNames = ["task", "x"], ParamBlockStart = 0, ParamBlockEnd = 16, FirstParameterStart = 6 });
        Assert.Equal(source, text);
        Assert.Equal(["task", "x"], plan.Parameters);
    }
}
