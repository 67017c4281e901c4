using ConductorTools.Engine.Execution;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: task outputs are bounded as conductor-oss bounds them (maxTaskOutputPayloadSizeThreshold, 10240 KB):
/// a bigger one is not stored and fails its task for good.</summary>
public sealed class TaskOutputSizeTests : EngineTestBase
{
    [Fact]
    public async Task An_output_over_the_limit_fails_the_task_for_good_and_is_not_stored()
    {
        var id = await StartAsync(Def("big_out", Simple("bigo")));
        var task = await PollOneAsync("bigo");

        await CompleteAsync(task, new() { ["blob"] = new string('x', (int)PayloadLimits.MaxTaskOutputBytes) });

        var workflow = await GetAsync(id);
        var stored = Assert.Single(workflow.Tasks);
        Assert.Equal(ConductorTaskStatus.FAILED_WITH_TERMINAL_ERROR, stored.Status);
        Assert.Contains("more than the permissible 10,240 KB", stored.ReasonForIncompletion);
        Assert.Empty(stored.OutputData!);
        Assert.Equal(WorkflowStatus.FAILED, workflow.Status);
    }

    [Fact]
    public async Task An_output_within_the_limit_is_kept()
    {
        var id = await StartAsync(Def("big_ok", Simple("bigk")));
        var task = await PollOneAsync("bigk");

        await CompleteAsync(task, new() { ["blob"] = new string('y', (int)PayloadLimits.MaxTaskOutputBytes - 100) });

        var stored = Assert.Single((await GetAsync(id)).Tasks);
        Assert.Equal(ConductorTaskStatus.COMPLETED, stored.Status);
        Assert.Equal((int)PayloadLimits.MaxTaskOutputBytes - 100, ((string)stored.OutputData!["blob"]!).Length);
    }
}
