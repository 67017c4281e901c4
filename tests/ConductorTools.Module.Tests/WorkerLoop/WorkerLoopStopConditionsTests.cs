using ConductorTools.Model;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class WorkerLoopStopConditionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void No_condition_runs_until_stopped()
    {
        var c = WorkerLoopStopConditions.Create(null, null, null, false, Now);
        Assert.True(c.RunsUntilStopped);
        Assert.Null(c.RemainingBudget(1000));
        Assert.Null(c.Check(1000, Now.AddDays(1), idle: true));
    }

    [Fact]
    public void Max_tasks_is_a_budget()
    {
        var c = WorkerLoopStopConditions.Create(3, null, null, false, Now);
        Assert.Equal(3, c.RemainingBudget(0));
        Assert.Equal(1, c.RemainingBudget(2));
        Assert.Equal(0, c.RemainingBudget(5));
        Assert.Null(c.Check(2, Now, idle: false));
        Assert.Equal(WorkerLoopStopReason.MaxTasks, c.Check(3, Now, idle: false));
    }

    [Fact]
    public void Deadline_is_the_earlier_of_duration_and_until()
    {
        var c = WorkerLoopStopConditions.Create(null, TimeSpan.FromMinutes(10), Now.AddMinutes(5), false, Now);
        Assert.Equal(Now.AddMinutes(5), c.Deadline);
        Assert.Equal(Now.AddMinutes(10), WorkerLoopStopConditions.Create(null, TimeSpan.FromMinutes(10), Now.AddHours(1), false, Now).Deadline);
        Assert.Null(c.Check(0, Now.AddMinutes(4), idle: true));
        Assert.Equal(WorkerLoopStopReason.Deadline, c.Check(0, Now.AddMinutes(5), idle: false));
    }

    [Fact]
    public void Once_stops_when_idle()
    {
        var c = WorkerLoopStopConditions.Create(null, null, null, true, Now);
        Assert.False(c.RunsUntilStopped);
        Assert.Null(c.Check(7, Now, idle: false));
        Assert.Equal(WorkerLoopStopReason.QueuesEmpty, c.Check(7, Now, idle: true));
    }

    [Fact]
    public void Bad_values_say_which_parameter_and_why()
    {
        Assert.Contains("-MaxTasks", Assert.Throws<ArgumentException>(() => WorkerLoopStopConditions.Create(0, null, null, false, Now)).Message, StringComparison.Ordinal);
        Assert.Contains("-Duration", Assert.Throws<ArgumentException>(() => WorkerLoopStopConditions.Create(null, TimeSpan.Zero, null, false, Now)).Message, StringComparison.Ordinal);
        Assert.Contains("-Until", Assert.Throws<ArgumentException>(() => WorkerLoopStopConditions.Create(null, null, Now, false, Now)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tally_counts_by_status_and_renders_progress_and_summary()
    {
        var tally = new WorkerLoopTally();
        tally.AddPolled(4);
        foreach (var s in new[] { TaskResultStatus.COMPLETED, TaskResultStatus.FAILED, TaskResultStatus.FAILED_WITH_TERMINAL_ERROR })
        {
            tally.Started();
            tally.Finished(s);
        }
        tally.Started();
        tally.AddUpdateRetry();

        Assert.Equal("Polled 4, completed 1, failed 2, running 1", tally.ProgressStatus());
        Assert.Equal(30, tally.PercentComplete(10));
        Assert.Equal(-1, tally.PercentComplete(null));

        tally.Abandoned();
        var summary = tally.ToSummary(["a"], Now, Now.AddSeconds(2), WorkerLoopStopReason.Stopped);
        Assert.Equal((4, 1, 2, 1, 1), (summary.Polled, summary.Completed, summary.Failed, summary.UpdateRetries, summary.HandedBack));
        Assert.Equal(TimeSpan.FromSeconds(2), summary.Duration);
        Assert.Equal(0, tally.Running);
    }
}
