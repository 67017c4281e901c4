using ConductorTools.Api;
using ConductorTools.Workers.Scripting;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Workers;

/// <summary>Runs Invoke-WorkerLoop's script workers on the <see cref="WorkerRunner"/>.</summary>
public sealed class WorkerLoopRuntime : IWorkerLoopRuntime
{
    private readonly IConductorApi _api;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider? _time;

    public WorkerLoopRuntime(IConductorApi api, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _loggerFactory = loggerFactory;
        _time = timeProvider;
    }

    /// <summary>Raised for every runner event (hosts render verbose output from it).</summary>
    public event EventHandler<WorkerEvent>? Event;

    public async Task RunAsync(IReadOnlyList<WorkerLoopWorker> workers, WorkerLoopSettings settings, int? maxTasks, bool stopWhenIdle,
        WorkerLoopTally tally, CancellationToken stopPolling)
    {
        var definitions = workers.Select(w =>
        {
            var options = new WorkerOptions { Concurrency = w.Concurrency, Domain = settings.Domain };
            if (!string.IsNullOrEmpty(settings.WorkerId)) options.WorkerId = settings.WorkerId!;
            if (settings.PollInterval is { } interval) options.PollInterval = interval;
            return new WorkerDefinition(w.TaskType, (task, ct) => w.Handler(task, ct), options);
        });
        var runner = new WorkerRunner(_api, definitions, new WorkerRunnerOptions { DrainTimeout = settings.DrainTimeout }, _loggerFactory, _time);
        runner.Event += (sender, e) =>
        {
            switch (e.Kind)
            {
                case WorkerEventKind.Polled: tally.AddPolled(e.Count); break;
                case WorkerEventKind.UpdateRetried: tally.AddUpdateRetry(); break;
                // Handlers cancelled by the drain are counted by the script worker itself.
                case WorkerEventKind.HandedBack when e.Count != (int)WorkerRunner.HandBackReason.Cancelled: tally.AddHandedBack(); break;
            }
            Event?.Invoke(this, e);
        };
        await runner.RunAsync(stopPolling, new WorkerRunLimits { MaxTasks = maxTasks, StopWhenIdle = stopWhenIdle }).ConfigureAwait(false);
    }
}
