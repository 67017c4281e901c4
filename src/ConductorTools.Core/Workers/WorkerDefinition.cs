using ConductorTools.Model;

namespace ConductorTools.Workers;

/// <summary>Executes one polled task. Return a result (see <see cref="TaskResults"/>), or throw: an exception fails the
/// task (FAILED, message and stack in its log), <see cref="NonRetryableException"/> fails it without retries.</summary>
public delegate Task<TaskResult> TaskHandler(ConductorTask task, CancellationToken cancellationToken);

/// <summary>A task type and the handler that executes it, with its polling options.</summary>
public sealed class WorkerDefinition
{
    public WorkerDefinition(string taskType, TaskHandler handler, WorkerOptions? options = null)
    {
        if (string.IsNullOrWhiteSpace(taskType))
        {
            throw new ArgumentException("A worker needs a task type: the name of the task definition it polls for.", nameof(taskType));
        }
        TaskType = taskType;
        Handler = handler ?? throw new ArgumentNullException(nameof(handler));
        Options = options ?? new WorkerOptions();
    }

    public string TaskType { get; }

    public TaskHandler Handler { get; }

    public WorkerOptions Options { get; }

    public override string ToString() => TaskType;
}

/// <summary>Per-worker polling options. Environment variables override them (see <see cref="WorkerEnvironment"/>).</summary>
public sealed class WorkerOptions
{
    /// <summary>Tasks of this type executed at once; a poll asks for exactly the free slots.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>Longest pause between polls while the queue stays empty (the adaptive backoff grows up to this).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the server holds a poll open waiting for work (Conductor caps it at 5 s).</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Domain to poll in; null or empty polls the default queue.</summary>
    public string? Domain { get; set; }

    /// <summary>Identifies this worker to Conductor; the host name by default.</summary>
    public string WorkerId { get; set; } = DefaultWorkerId();

    /// <summary>Send <c>extendLease</c> at 80 % of the task's responseTimeoutSeconds while a handler runs.</summary>
    public bool LeaseExtendEnabled { get; set; } = true;

    /// <summary>
    /// Handler time limit. Null: the task definition's <c>timeoutSeconds</c> when set; else, without lease extension,
    /// its <c>responseTimeoutSeconds</c> (after which Conductor times the task out anyway); else none.
    /// </summary>
    public TimeSpan? HandlerTimeout { get; set; }

    /// <summary>In a bounded cycle, how long a task may take: polling stops this long before the deadline.</summary>
    public TimeSpan ExpectedExecutionTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Start paused (no polling until <see cref="WorkerRunner.Resume"/>).</summary>
    public bool Paused { get; set; }

    /// <summary>
    /// A copy with the same values that can be changed without affecting this instance (every option is a value), e.g. for
    /// a host that adjusts concurrency or expected execution time per group of workers. <see cref="WorkerRunner"/> itself
    /// works on a copy, so options changed after it was constructed only apply through <see cref="WorkerRunner.GetOptions"/>.
    /// </summary>
    public WorkerOptions Clone() => (WorkerOptions)MemberwiseClone();

    private static string DefaultWorkerId()
    {
        try
        {
            return System.Net.Dns.GetHostName();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return Environment.MachineName;
        }
    }
}

/// <summary>Options of the runner as a whole.</summary>
public sealed class WorkerRunnerOptions
{
    /// <summary>
    /// After a stop, how long in-flight handlers may finish before they are cancelled and their tasks handed back. In a
    /// bounded cycle the drain ends at deadline − <see cref="HandBackMargin"/>, or this long after the cycle's token is
    /// cancelled if that comes first.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>callbackAfterSeconds of a handed-back task: 0 makes it pollable again at once.</summary>
    public int HandBackCallbackSeconds { get; set; }

    /// <summary>Use <c>update-v2</c> (result + next task in one round trip) where the server has it.</summary>
    public bool UseUpdateV2 { get; set; } = true;

    /// <summary>Delay before the first retry of a result update; doubles (with jitter) up to <see cref="MaxUpdateRetryDelay"/>.</summary>
    public TimeSpan UpdateRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxUpdateRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First backoff after a failed poll; doubles with jitter up to the maximum.</summary>
    public TimeSpan PollErrorDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxPollErrorDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Backoff after an auth failure (401/403) while polling; doubles up to the maximum.</summary>
    public TimeSpan AuthErrorDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxAuthErrorDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Directory where results that could not be delivered are kept (one JSON file each) until a later delivery succeeds,
    /// in this run or the next. Null keeps them in memory only, and a result still undelivered at exit is logged in full.
    /// </summary>
    public string? OutboxDirectory { get; set; }

    /// <summary>In a bounded cycle, time kept before the deadline for handing back unfinished tasks.</summary>
    public TimeSpan HandBackMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Apply <c>CONDUCTOR_WORKER_*</c> environment overrides to every worker's options.</summary>
    public bool ApplyEnvironment { get; set; } = true;
}
