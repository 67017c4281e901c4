using ConductorTools.Api;
using ConductorTools.Engine.Execution.Operators;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>The operator registry and the poll working through the transaction.</summary>
public class StructureTests : EngineTestBase
{
    [Fact]
    public void Every_conductor_type_the_engine_runs_has_one_operator()
    {
        var expected = new[]
        {
            WorkflowTaskTypes.Simple, WorkflowTaskTypes.Dynamic, WorkflowTaskTypes.ForkJoin, WorkflowTaskTypes.ForkJoinDynamic,
            WorkflowTaskTypes.Decision, WorkflowTaskTypes.Switch, WorkflowTaskTypes.Join, WorkflowTaskTypes.DoWhile,
            WorkflowTaskTypes.SubWorkflow, WorkflowTaskTypes.StartWorkflow, WorkflowTaskTypes.Wait, WorkflowTaskTypes.Human,
            WorkflowTaskTypes.UserDefined, WorkflowTaskTypes.Http, WorkflowTaskTypes.Inline, WorkflowTaskTypes.Terminate,
            WorkflowTaskTypes.SetVariable, WorkflowTaskTypes.Noop,
        };
        // A subset: adding an operator (JSON_JQ_TRANSFORM next) is one new file, with no test to change.
        Assert.Subset(OperatorRegistry.Types.ToHashSet(), expected.ToHashSet());
        foreach (var type in expected)
        {
            Assert.Equal(type, OperatorRegistry.For(type).Type);
            Assert.False(OperatorRegistry.IsRefused(type));
        }
        Assert.True(OperatorRegistry.For(WorkflowTaskTypes.Simple).IsWorker);
        Assert.True(OperatorRegistry.For(WorkflowTaskTypes.Dynamic).IsWorker);
        Assert.False(OperatorRegistry.For(WorkflowTaskTypes.Inline).IsWorker);
        Assert.False(OperatorRegistry.For(WorkflowTaskTypes.Join).Retryable);
        Assert.True(OperatorRegistry.For(WorkflowTaskTypes.Http).Retryable);
    }

    [Fact]
    public void Types_conductor_has_and_the_engine_does_not_run_are_refused_and_other_strings_are_unknown()
    {
        Assert.True(OperatorRegistry.IsRefused(WorkflowTaskTypes.KafkaPublish));
        Assert.False(OperatorRegistry.IsRegistered(WorkflowTaskTypes.KafkaPublish));
        // Refused while no operator runs it; an operator file makes it registered and no longer refused.
        Assert.NotEqual(OperatorRegistry.IsRegistered(WorkflowTaskTypes.JsonJqTransform), OperatorRegistry.IsRefused(WorkflowTaskTypes.JsonJqTransform));
        Assert.False(OperatorRegistry.IsRefused("MY_TYPE"));
        Assert.False(OperatorRegistry.IsRegistered("MY_TYPE"));
        // A refused type met at run time (a definition stored by an older build) is a system task that fails.
        Assert.False(OperatorRegistry.For(WorkflowTaskTypes.KafkaPublish).IsWorker);
        // Any other string runs as a worker task polled under that string, as USER_DEFINED does.
        Assert.True(OperatorRegistry.For("MY_TYPE").IsWorker);
    }

    [Fact]
    public async Task Update_v2_hands_out_the_next_task_when_the_finished_one_frees_the_concurrency_slot()
    {
        await Engine.RegisterTaskDefsAsync(new[] { new TaskDef("limited") { ConcurrentExecLimit = 1 } }, Ct);
        var def = Def("limited_wf", Simple("limited"));
        var first = await StartAsync(def);
        var second = await StartAsync(def);
        var task = await PollOneAsync("limited");
        Assert.Equal(first, task.WorkflowInstanceId);
        // The limit holds the second back while the first is IN_PROGRESS ...
        Assert.Null(await Engine.PollAsync("limited", "w2", null, Ct));
        // ... and the update that completes the first counts as freeing the slot inside the same transaction.
        var next = await Engine.UpdateTaskV2Async(new TaskResult(first, task.TaskId!, TaskResultStatus.COMPLETED), Ct);
        Assert.NotNull(next);
        Assert.Equal(second, next!.WorkflowInstanceId);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, (await Engine.GetTaskAsync(next.TaskId!, Ct)).Status);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(first)).Status);
    }

    [Fact]
    public async Task Update_v2_hands_out_the_task_it_just_scheduled_in_the_same_workflow_and_both_are_stored()
    {
        var id = await StartAsync(Def("chain_wf", Simple("step", "a"), Simple("step", "b")));
        var a = await PollOneAsync("step");
        var b = await Engine.UpdateTaskV2Async(new TaskResult(id, a.TaskId!, TaskResultStatus.COMPLETED) { WorkerId = "w1" }, Ct);
        Assert.NotNull(b);
        Assert.Equal("b", b!.ReferenceTaskName);
        Assert.Equal(ConductorTaskStatus.IN_PROGRESS, b.Status);
        Assert.Equal(1, b.PollCount);
        var workflow = await GetAsync(id);
        Assert.Equal(new[] { ConductorTaskStatus.COMPLETED, ConductorTaskStatus.IN_PROGRESS }, workflow.Tasks.Select(t => t.Status!.Value));
        Assert.Equal("w1", workflow.Tasks[1].WorkerId);
        Assert.Equal(0, await Engine.GetQueueSizeAsync("step", null, Ct));
        await CompleteAsync(b);
        Assert.Equal(WorkflowStatus.COMPLETED, (await GetAsync(id)).Status);
    }
}
