using ConductorTools.Engine;
using ConductorTools.Model;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class TaskDefRegistrationTests
{
    [Fact]
    public async Task Registers_only_the_missing_task_defs_against_the_embedded_engine()
    {
        var ct = TestContext.Current.CancellationToken;
        using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions { DatabasePath = EmbeddedConductorOptions.InMemory, StartSweeper = false });
        await engine.RegisterTaskDefsAsync([new TaskDef("existing") { RetryCount = 7 }], ct);

        var registered = await TaskDefRegistration.RegisterMissingAsync(engine, ["existing", "fresh", "fresh"], ct);

        Assert.Equal(["fresh"], registered);
        Assert.Equal(7, (await engine.GetTaskDefAsync("existing", ct)).RetryCount);
        Assert.Equal("fresh", (await engine.GetTaskDefAsync("fresh", ct)).Name);
        Assert.Empty(await TaskDefRegistration.RegisterMissingAsync(engine, ["existing", "fresh"], ct));
    }
}
