using ConductorTools.Api;
using ConductorTools.Completion;
using ConductorTools.Connections;
using ConductorTools.Model;
using Microsoft.Extensions.Time.Testing;

namespace ConductorTools.Core.Tests;

/// <summary>The argument completers' decisions: matching, quoting, status values, caching, failures.</summary>
public class CompletionTests
{
    private static IReadOnlyList<string> Texts(IEnumerable<CompletionCandidate> candidates) => candidates.Select(c => c.CompletionText).ToList();

    private static KeyValuePair<string, string>[] Values(params string[] names) => names.Select(n => new KeyValuePair<string, string>(n, "")).ToArray();

    [Theory]
    [InlineData("", "", null)]
    [InlineData("ord", "ord", null)]
    [InlineData("'ord", "ord", '\'')]
    [InlineData("'my wf'", "my wf", '\'')]
    [InlineData("'it''s", "it's", '\'')]
    [InlineData("'it''", "it'", '\'')]
    [InlineData("'it'''", "it'", '\'')]
    [InlineData("\"ord", "ord", '"')]
    [InlineData("\"a`$b\"", "a$b", '"')]
    [InlineData("\u2018smart", "smart", '\'')]
    [InlineData("'", "", '\'')]
    public void The_typed_word_is_read_without_its_quotes_and_escapes(string word, string prefix, char? quote)
    {
        var parsed = CompletionText.ParseWord(word);
        Assert.Equal(prefix, parsed.Prefix);
        Assert.Equal(quote, parsed.Quote);
    }

    [Fact]
    public void Values_match_by_case_insensitive_prefix_sorted_and_deduplicated()
    {
        var result = CompletionText.Complete("or", Values("order_ship", "Order_charge", "invoice", "order_ship", "ORDER"));
        Assert.Equal(["ORDER", "Order_charge", "order_ship"], Texts(result));
        Assert.Equal(5, CompletionText.Complete("", Values("a", "b", "c", "d", "e")).Count);
        Assert.Empty(CompletionText.Complete("zzz", Values("a")));
    }

    [Fact]
    public void Wildcards_in_the_word_match_as_a_pattern()
    {
        var names = Values("order_ship", "order_charge", "invoice_charge", "refund");
        Assert.Equal(["invoice_charge", "order_charge"], Texts(CompletionText.Complete("*charge", names)));
        Assert.Equal(["order_charge", "order_ship"], Texts(CompletionText.Complete("ord?r_", names)));
        Assert.Equal(["invoice_charge", "order_charge", "order_ship"], Texts(CompletionText.Complete("[io]*", names)));
        Assert.Equal(["refund"], Texts(CompletionText.Complete("[p-s]", names)));
        // A malformed pattern is only a literal prefix, never an error.
        Assert.Empty(CompletionText.Complete("[abc", names));
        Assert.Equal(["a[b"], Texts(CompletionText.Complete("a[", Values("a[b"))).Select(t => t.Trim('\'')).ToList());
    }

    [Theory]
    [InlineData("order_ship", null, "order_ship")]
    [InlineData("order-ship.v2", null, "order-ship.v2")]
    [InlineData("my workflow", null, "'my workflow'")]
    [InlineData("it's", null, "'it''s'")]
    [InlineData("$cost", null, "'$cost'")]
    [InlineData("1kb", null, "'1kb'")]
    [InlineData("-name", null, "'-name'")]
    [InlineData("a;b", null, "'a;b'")]
    [InlineData("a,b", null, "'a,b'")]
    [InlineData("tab\there", null, "'tab\there'")]
    [InlineData("plain", '\'', "'plain'")]
    [InlineData("my workflow", '"', "\"my workflow\"")]
    [InlineData("a$b`c\"d", '"', "\"a`$b``c`\"d\"")]
    [InlineData("it\u2019s", null, "'it\u2019\u2019s'")]
    public void Candidates_are_quoted_when_a_bare_word_would_not_survive(string value, char? quote, string expected)
    {
        Assert.Equal(expected, CompletionText.Quote(value, quote));
    }

    [Fact]
    public void Quoting_follows_the_quote_the_user_started_with()
    {
        var names = Values("my workflow", "my_flow");
        Assert.Equal(["'my workflow'", "my_flow"], Texts(CompletionText.Complete("my", names)));
        Assert.Equal(["'my workflow'", "'my_flow'"], Texts(CompletionText.Complete("'my", names)));
        Assert.Equal(["\"my workflow\""], Texts(CompletionText.Complete("\"my w", names)));
        var candidate = CompletionText.Complete("my w", names).Single();
        Assert.Equal("my workflow", candidate.ListItemText);
    }

    [Fact]
    public void Status_candidates_are_the_enum_values_with_their_meaning()
    {
        var completer = new ConductorCompleter();
        IConductorApi? NoApi() => throw new InvalidOperationException("statuses need no connection");

        var workflow = completer.Complete(CompletionKind.WorkflowStatus, "", NoApi);
        Assert.Equal(Enum.GetNames<WorkflowStatus>().OrderBy(n => n, StringComparer.OrdinalIgnoreCase), workflow.Select(c => c.CompletionText));
        Assert.Contains("terminal", workflow.Single(c => c.CompletionText == "FAILED").ToolTip);
        Assert.Equal(["FAILED", "FAILED_WITH_TERMINAL_ERROR"], Texts(completer.Complete(CompletionKind.TaskStatus, "fa", NoApi)));
        Assert.Equal(Enum.GetNames<ConductorTaskStatus>().Length, completer.Complete(CompletionKind.TaskStatus, null, NoApi).Count);
        Assert.Equal(["IN_PROGRESS"], Texts(completer.Complete(CompletionKind.TaskResultStatus, "'in", NoApi)).Select(t => t.Trim('\'')));
        Assert.All(completer.Complete(CompletionKind.TaskResultStatus, "", NoApi), c => Assert.NotEqual(c.CompletionText, c.ToolTip));
        Assert.Equal(["TIMED_OUT", "TERMINATED"], Texts(completer.Complete(CompletionKind.WorkflowStatus, "T*", NoApi)).OrderByDescending(t => t));
    }

    [Fact]
    public void Names_come_from_the_connection_task_types_and_workflow_names()
    {
        var api = new CountingApi { TaskDefs = ["order_charge", "order_ship", "invoice"], WorkflowDefs = ["checkout", "checkout", "returns flow"] };
        var completer = new ConductorCompleter(new CompletionCache());
        Assert.Equal(["order_charge", "order_ship"], Texts(completer.Complete(CompletionKind.TaskType, "ord", () => api.Proxy)));
        Assert.Equal(["checkout", "'returns flow'"], Texts(completer.Complete(CompletionKind.WorkflowName, "", () => api.Proxy)));
        Assert.Equal("task type invoice", completer.Complete(CompletionKind.TaskType, "inv", () => api.Proxy).Single().ToolTip);
    }

    [Fact]
    public void Names_are_cached_per_connection_for_the_time_to_live()
    {
        var clock = new FakeTimeProvider();
        var completer = new ConductorCompleter(new CompletionCache(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), clock));
        var api = new CountingApi { TaskDefs = ["a1", "a2"] };
        var other = new CountingApi { TaskDefs = ["b1"] };

        for (var i = 0; i < 5; i++) Assert.Equal(2, completer.Complete(CompletionKind.TaskType, "a", () => api.Proxy).Count);
        Assert.Equal(1, api.TaskDefCalls);
        Assert.Single(completer.Complete(CompletionKind.TaskType, "", () => other.Proxy));
        Assert.Equal(1, other.TaskDefCalls);
        completer.Complete(CompletionKind.WorkflowName, "", () => api.Proxy);
        Assert.Equal(1, api.WorkflowDefCalls); // another list, another fetch

        api.TaskDefs = ["a1", "a2", "a3"];
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(2, completer.Complete(CompletionKind.TaskType, "a", () => api.Proxy).Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, completer.Complete(CompletionKind.TaskType, "a", () => api.Proxy).Count);
        Assert.Equal(2, api.TaskDefCalls);

        completer.Cache.Clear(api.Proxy);
        completer.Complete(CompletionKind.TaskType, "a", () => api.Proxy);
        Assert.Equal(3, api.TaskDefCalls);
    }

    [Fact]
    public void Failures_mean_no_candidates_and_are_not_retried_on_every_tab()
    {
        var clock = new FakeTimeProvider();
        var completer = new ConductorCompleter(new CompletionCache(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), clock));
        var api = new CountingApi { Failure = new ConductorException("Conductor at http://x/api/ is unreachable", ConductorErrorKind.Transport) };

        Assert.Empty(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy));
        Assert.Empty(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy));
        Assert.Equal(1, api.TaskDefCalls);
        api.Failure = null;
        api.TaskDefs = ["back"];
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["back"], Texts(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy)));

        // No connection, or resolving one fails: no candidates, no exception.
        Assert.Empty(completer.Complete(CompletionKind.WorkflowName, "", () => null));
        Assert.Empty(completer.Complete(CompletionKind.WorkflowName, "", () => throw new InvalidOperationException("cannot open")));
        // An unknown kind is no candidates too.
        Assert.Empty(completer.Complete((CompletionKind)99, "", () => api.Proxy));
    }

    [Fact]
    public void A_slow_server_is_waited_for_briefly_and_its_late_answer_serves_the_next_tab()
    {
        var completer = new ConductorCompleter(new CompletionCache(TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(200)));
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var api = new CountingApi { TaskDefs = ["late"], Gate = gate.Task };

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"waited {watch.Elapsed}");
        Assert.Empty(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy)); // still in flight: not asked again
        Assert.Equal(1, api.TaskDefCalls);

        gate.SetResult(true);
        Assert.Equal(["late"], Texts(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy)));
        Assert.Equal(1, api.TaskDefCalls);
    }

    [Fact]
    public void A_fetch_that_blocks_synchronously_does_not_hold_completion_past_the_timeout()
    {
        var completer = new ConductorCompleter(new CompletionCache(TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100)));
        using var release = new ManualResetEventSlim();
        var api = new CountingApi { TaskDefs = ["x"], Block = release };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(completer.Complete(CompletionKind.TaskType, "", () => api.Proxy));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"waited {watch.Elapsed}");
        release.Set();
    }

    [Fact]
    public void A_default_chosen_for_tab_completion_still_tells_the_next_command_once()
    {
        var resolver = new ConnectionResolver(() => new ConductorConnection(NullApiFactory.Create(), ConductorConnectionKind.Embedded, "mem", "none"), _ => null);
        var first = resolver.Resolve(null); // a completer: no notice callback
        var notices = new List<string>();
        Assert.Same(first, resolver.Resolve(null, notices.Add));
        resolver.Resolve(null, notices.Add);
        Assert.Single(notices);
        Assert.Contains("embedded", notices[0]);
    }

    /// <summary>An IConductorApi answering the two definition lists, counting calls, optionally failing, late or blocking.</summary>
    private sealed class CountingApi
    {
        public CountingApi() => Proxy = ApiProxy.Create(this);

        public IConductorApi Proxy { get; }
        public string[] TaskDefs { get; set; } = [];
        public string[] WorkflowDefs { get; set; } = [];
        public Exception? Failure { get; set; }
        public Task? Gate { get; set; }
        public ManualResetEventSlim? Block { get; set; }
        public int TaskDefCalls;
        public int WorkflowDefCalls;

        public async Task<IReadOnlyList<TaskDef>> GetTaskDefsAsync()
        {
            Interlocked.Increment(ref TaskDefCalls);
            Block?.Wait(TimeSpan.FromSeconds(30));
            if (Gate is not null) await Gate;
            if (Failure is not null) throw Failure;
            return TaskDefs.Select(n => new TaskDef(n)).ToList();
        }

        public async Task<IReadOnlyList<WorkflowDef>> GetWorkflowDefsAsync()
        {
            Interlocked.Increment(ref WorkflowDefCalls);
            if (Gate is not null) await Gate;
            if (Failure is not null) throw Failure;
            return WorkflowDefs.Select(n => new WorkflowDef { Name = n, Version = 1 }).ToList();
        }
    }

    public class ApiProxy : System.Reflection.DispatchProxy
    {
        private object _target = null!;

        internal static IConductorApi Create(object target)
        {
            var proxy = Create<IConductorApi, ApiProxy>();
            ((ApiProxy)(object)proxy)._target = target;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name switch
            {
                "GetTaskDefsAsync" => ((CountingApi)_target).GetTaskDefsAsync(),
                "GetWorkflowDefsAsync" => ((CountingApi)_target).GetWorkflowDefsAsync(),
                _ => throw new NotSupportedException(targetMethod?.Name),
            };
    }
}
