using System.Collections.Concurrent;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// Work for the cmdlet's pipeline thread. Background threads (the worker runtime, pooled runspaces) never call Write*
/// or run caller-runspace script themselves: they post here, and the pipeline thread runs the items in order
/// (the pattern of ForEach-Object -Parallel's PSTaskDataStreamWriter and OpenAuthenticode's AsyncPSCmdlet).
/// </summary>
internal sealed class PipelinePump : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new();
    private readonly int _pipelineThreadId = Environment.CurrentManagedThreadId;

    public bool IsPipelineThread => Environment.CurrentManagedThreadId == _pipelineThreadId;

    /// <summary>
    /// Queues an action for the pipeline thread; dropped once the pump has finished. Always queued, even from the
    /// pipeline thread, so that nothing is written while a nested (sequential-mode) script pipeline is running.
    /// </summary>
    public void Post(Action action)
    {
        try
        {
            _queue.Add(action);
        }
        catch (InvalidOperationException)
        {
            // Completed: the cmdlet is returning; nothing can be written any more.
        }
    }

    /// <summary>Runs <paramref name="func"/> on the pipeline thread and completes with its result.</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try
            {
                done.TrySetResult(func());
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }
        try
        {
            _queue.Add(Run);
        }
        catch (InvalidOperationException)
        {
            done.TrySetCanceled();
        }
        return done.Task;
    }

    /// <summary>
    /// Called on the pipeline thread: runs posted items until <paramref name="until"/> completes, calling
    /// <paramref name="onTick"/> about every <paramref name="tick"/> (busy or not); then runs what is left and stops
    /// accepting work.
    /// </summary>
    public void Run(Task until, TimeSpan tick, Action onTick)
    {
        var next = DateTime.UtcNow + tick;
        while (!until.IsCompleted)
        {
            var wait = next - DateTime.UtcNow;
            if (_queue.TryTake(out var action, wait > TimeSpan.Zero ? wait : TimeSpan.Zero)) action();
            if (DateTime.UtcNow >= next)
            {
                onTick();
                next = DateTime.UtcNow + tick;
            }
        }
        _queue.CompleteAdding();
        while (_queue.TryTake(out var action)) action();
    }

    public void Dispose() => _queue.Dispose();
}
