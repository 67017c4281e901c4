using System.Collections;
using System.Collections.Specialized;
using ConductorTools.Model;
using ConductorTools.Workers.Scripting;

namespace ConductorTools.Module.Tests.WorkerLoop;

public class ScriptResultMapperTests
{
    private static readonly ConductorTask Task = new() { TaskId = "t1", WorkflowInstanceId = "w1", TaskType = "greet" };
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static TaskResult Map(params object?[] outputs) =>
        new ScriptResultMapper().Map(Task, new ScriptInvocation(outputs, []), "worker-1");

    [Fact]
    public void Hashtable_output_becomes_output_data()
    {
        var result = Map(new Hashtable { ["greeting"] = "hi", ["n"] = 2 });

        Assert.Equal(TaskResultStatus.COMPLETED, result.Status);
        Assert.Equal("t1", result.TaskId);
        Assert.Equal("w1", result.WorkflowInstanceId);
        Assert.Equal("worker-1", result.WorkerId);
        Assert.Equal("hi", result.OutputData!["greeting"]);
        Assert.Equal(2, result.OutputData["n"]);
        Assert.Equal(2, result.OutputData.Count);
    }

    [Fact]
    public void Object_converted_to_an_ordered_dictionary_becomes_output_data()
    {
        var obj = new OrderedDictionary { ["a"] = 1 };
        Assert.Equal(1, Map(obj).OutputData!["a"]);
    }

    [Fact]
    public void Scalar_output_becomes_result_and_several_outputs_an_array()
    {
        Assert.Equal("hello", Map("hello").OutputData!["result"]);

        var several = Map(1, null, new Hashtable { ["x"] = 1 }, "z");
        var list = Assert.IsType<List<object?>>(several.OutputData!["result"]);
        Assert.Equal(3, list.Count);
        Assert.Equal("z", list[2]);
    }

    [Fact]
    public void No_output_completes_with_empty_output_data()
    {
        var result = Map();
        Assert.Equal(TaskResultStatus.COMPLETED, result.Status);
        Assert.Empty(result.OutputData!);
        Assert.Null(result.Logs);
        Assert.Empty(Map((object?)null).OutputData!);
    }

    [Fact]
    public void Task_result_output_is_used_as_is_with_blank_ids_filled()
    {
        var given = new TaskResult { Status = TaskResultStatus.IN_PROGRESS, CallbackAfterSeconds = 30 };
        given.AddLog("own log");

        var result = Map(given, "ignored");

        Assert.Same(given, result);
        Assert.Equal(TaskResultStatus.IN_PROGRESS, result.Status);
        Assert.Equal(30, result.CallbackAfterSeconds);
        Assert.Equal("t1", result.TaskId);
        Assert.Equal("w1", result.WorkflowInstanceId);
        Assert.Equal("worker-1", result.WorkerId);
        Assert.Equal("own log", result.Logs![0].Log);
        Assert.Contains(result.Logs, l => l.Log!.Contains("1 other output(s) ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_task_results_or_a_foreign_task_id_fail_the_task_with_a_reason()
    {
        var two = Map(new TaskResult(), new TaskResult());
        Assert.Equal(TaskResultStatus.FAILED, two.Status);
        Assert.Contains("2 task results", two.ReasonForIncompletion, StringComparison.Ordinal);

        var foreign = Map(new TaskResult("w9", "t9", TaskResultStatus.COMPLETED));
        Assert.Equal(TaskResultStatus.FAILED, foreign.Status);
        Assert.Contains("'t9'", foreign.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Fact]
    public void Terminating_error_fails_with_message_and_script_stack_in_logs()
    {
        var failure = new ScriptFailure("boom", "at <ScriptBlock>, <No file>: line 3", "RuntimeException",
            ["System.Management.Automation.RuntimeException"]);
        var result = new ScriptResultMapper().Map(Task, new ScriptInvocation([], [], failure), null);

        Assert.Equal(TaskResultStatus.FAILED, result.Status);
        Assert.Equal("boom", result.ReasonForIncompletion);
        Assert.Null(result.OutputData);
        Assert.Equal(["[FAILED] boom", "at <ScriptBlock>, <No file>: line 3"], result.Logs!.Select(l => l.Log));
    }

    [Theory]
    [InlineData("ConductorTools.Workers.NonRetryableException", null, true)]
    [InlineData("My.Module+NonRetryableException", null, true)]
    [InlineData("System.Management.Automation.RuntimeException", "NonRetryable,Microsoft.PowerShell.Commands.WriteErrorCommand", true)]
    [InlineData("System.Management.Automation.RuntimeException", "nonretryable", true)]
    [InlineData("System.Management.Automation.RuntimeException", "NonRetryableThing", false)]
    [InlineData("System.InvalidOperationException", null, false)]
    public void Non_retryable_form_fails_with_terminal_error(string exceptionType, string? errorId, bool terminal)
    {
        var failure = new ScriptFailure("bad input", null, errorId, ["System.Exception", exceptionType]);
        var result = new ScriptResultMapper().MapFailure(Task, failure, null);

        Assert.Equal(terminal ? TaskResultStatus.FAILED_WITH_TERMINAL_ERROR : TaskResultStatus.FAILED, result.Status);
        Assert.Equal("bad input", result.ReasonForIncompletion);
    }

    [Fact]
    public void Stream_records_become_prefixed_task_logs_in_order_with_their_time()
    {
        ScriptLogRecord[] logs =
        [
            new(ScriptLogKind.Information, "hello", At),
            new(ScriptLogKind.Verbose, "step", At),
            new(ScriptLogKind.Warning, "careful", At),
            new(ScriptLogKind.Error, "oops", At),
            new(ScriptLogKind.Debug, "dbg", At),
        ];
        var result = new ScriptResultMapper().Map(Task, new ScriptInvocation(["done"], logs), null);

        Assert.Equal(TaskResultStatus.COMPLETED, result.Status); // non-terminating errors do not fail the task
        Assert.Equal(["hello", "[VERBOSE] step", "[WARNING] careful", "[ERROR] oops", "[DEBUG] dbg"], result.Logs!.Select(l => l.Log));
        Assert.All(result.Logs!, l => Assert.Equal(At.ToUnixTimeMilliseconds(), l.CreatedTime));
        Assert.All(result.Logs!, l => Assert.Equal("t1", l.TaskId));
    }

    [Fact]
    public void Logs_are_bounded_in_count_and_length()
    {
        var mapper = new ScriptResultMapper(new ScriptWorkerOptions { MaxLogLines = 3, MaxLogLineLength = 20 });
        var logs = Enumerable.Range(1, 5).Select(i => new ScriptLogRecord(ScriptLogKind.Information, $"line {i}", At))
            .Append(new ScriptLogRecord(ScriptLogKind.Information, new string('x', 50), At)).ToArray();

        var result = mapper.Map(Task, new ScriptInvocation([], logs), null);

        Assert.Equal(3, result.Logs!.Count);
        Assert.Equal("[NOTE] 4 earlier log line(s) dropped (limit 3 per task).", result.Logs[0].Log);
        Assert.Equal("line 5", result.Logs[1].Log);
        Assert.StartsWith(new string('x', 20) + "... [30 more", result.Logs[2].Log, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScriptWorkerOptions { MaxLogLines = 1 });
    }
}
