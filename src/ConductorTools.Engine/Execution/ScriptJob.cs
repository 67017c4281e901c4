using ConductorTools.Engine.Scripting;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// One script evaluation taken out of the writer lock: the script and its input, captured (as JSON text) inside the
/// transaction that needs the value; evaluated after that transaction has committed and the lock is free; the outcome
/// applied by the task's operator in a later transaction. While it is pending the task waits (INLINE, SWITCH and
/// DECISION IN_PROGRESS; DO_WHILE between iterations) and the task's id sits in the reserved script queue, which makes
/// the wait durable: an evaluation interrupted by a crash is claimed again by the sweeper.
/// </summary>
internal sealed class ScriptJob
{
    /// <summary>Reserved queue of tasks waiting for a script (no task type or domain produces the name).</summary>
    internal const string Queue = "_system:SCRIPT";

    /// <summary>How long a pending evaluation belongs to whoever took it before the sweeper may take it again.</summary>
    internal const long LeaseMs = 30_000;

    public ScriptJob(ConductorTask task, string script, IDictionary<string, object?> input, int iteration = 0)
    {
        WorkflowId = task.WorkflowInstanceId!;
        TaskId = task.TaskId!;
        Script = script;
        InputJson = ConductorJson.Serialize(input);
        Iteration = iteration;
    }

    public string WorkflowId { get; }

    public string TaskId { get; }

    public string Script { get; }

    /// <summary>The input as it was when the job was created.</summary>
    public string InputJson { get; }

    /// <summary>The DO_WHILE iteration whose condition this is (0 otherwise).</summary>
    public int Iteration { get; }

    public object? Result { get; private set; }

    public ScriptEvaluationException? Error { get; private set; }

    /// <summary>Evaluates the script (never under the writer lock); the outcome is kept in <see cref="Result"/> or
    /// <see cref="Error"/>.</summary>
    public void Run()
    {
        try
        {
            Result = Scripts.EvaluateJson(Script, InputJson);
        }
        catch (ScriptEvaluationException e)
        {
            Error = e;
        }
    }
}
