namespace ConductorTools.Workers.Tests;

public class WorkerOptionsTests
{
    [Fact]
    public void Clone_copies_every_option_and_the_copy_is_independent()
    {
        var original = new WorkerOptions
        {
            Concurrency = 4,
            PollInterval = TimeSpan.FromMilliseconds(250),
            LongPollTimeout = TimeSpan.FromSeconds(2),
            Domain = "blue",
            WorkerId = "w-1",
            LeaseExtendEnabled = false,
            HandlerTimeout = TimeSpan.FromMinutes(3),
            ExpectedExecutionTime = TimeSpan.FromSeconds(45),
            Paused = true,
        };

        var copy = original.Clone();

        Assert.NotSame(original, copy);
        foreach (var property in typeof(WorkerOptions).GetProperties())
        {
            Assert.Equal(property.GetValue(original), property.GetValue(copy));
        }

        copy.Concurrency = 9;
        copy.Domain = "green";
        copy.ExpectedExecutionTime = TimeSpan.FromSeconds(5);
        copy.Paused = false;
        Assert.Equal(4, original.Concurrency);
        Assert.Equal("blue", original.Domain);
        Assert.Equal(TimeSpan.FromSeconds(45), original.ExpectedExecutionTime);
        Assert.True(original.Paused);

        original.WorkerId = "w-2";
        original.HandlerTimeout = null;
        Assert.Equal("w-1", copy.WorkerId);
        Assert.Equal(TimeSpan.FromMinutes(3), copy.HandlerTimeout);
    }

    [Fact]
    public void The_runner_works_on_its_own_copy_of_each_workers_options()
    {
        using var engine = Backend.Open();
        var options = TestWorkerOptions.Fast(concurrency: 2);
        var runner = new WorkerRunner(engine, [new WorkerDefinition("copied", Backend.Echo, options)], TestWorkerOptions.Runner());

        options.Concurrency = 7;
        Assert.Equal(2, runner.GetOptions("copied").Concurrency);
        runner.GetOptions("copied").Domain = "red";
        Assert.Null(options.Domain);
    }

    [Fact]
    public void The_worker_id_defaults_to_the_host_name()
    {
        Assert.Equal(System.Net.Dns.GetHostName(), new WorkerOptions().WorkerId);
    }
}
