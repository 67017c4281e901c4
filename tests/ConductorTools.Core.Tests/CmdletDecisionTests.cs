using System.Collections;
using System.Reflection;
using ConductorTools.Api;
using ConductorTools.Connections;
using ConductorTools.Conversion;
using ConductorTools.Model;

namespace ConductorTools.Core.Tests;

/// <summary>Issue 15's decisions in Core: times, conversion, the registration rule, connection lifetimes and the probe.</summary>
public class CmdletDecisionTests
{
    [Fact]
    public void Conductor_times_read_as_utc_offsets_and_unset_times_as_null()
    {
        var at = new DateTimeOffset(2026, 5, 5, 10, 30, 0, 123, TimeSpan.Zero);
        Assert.Equal(at, ConductorTime.FromEpochMilliseconds(at.ToUnixTimeMilliseconds()));
        Assert.Equal(TimeSpan.Zero, ConductorTime.FromEpochMilliseconds(at.ToUnixTimeMilliseconds())!.Value.Offset);
        Assert.Null(ConductorTime.FromEpochMilliseconds(0));
        Assert.Null(ConductorTime.FromEpochMilliseconds(null));
        Assert.Equal(at, ConductorTime.FromText("2026-05-05T10:30:00.123Z"));
        Assert.Equal(at, ConductorTime.FromText("2026-05-05T12:30:00.123+02:00"));
        Assert.Equal(at, ConductorTime.FromText(at.ToUnixTimeMilliseconds().ToString()));
        Assert.Null(ConductorTime.FromText(""));
        Assert.Null(ConductorTime.FromText("not a time"));
        Assert.Equal("2026-05-05T10:30:00.123Z", ConductorTime.ToText(at));
        Assert.Equal(at.ToUnixTimeMilliseconds(), ConductorTime.ToEpochMilliseconds(at.UtcDateTime));
        Assert.Equal(at.ToUnixTimeMilliseconds(), ConductorTime.ToEpochMilliseconds(at.ToOffset(TimeSpan.FromHours(-5))));
        Assert.Equal(at.ToUnixTimeMilliseconds(), ConductorTime.ToEpochMilliseconds(at.LocalDateTime));
        Assert.Equal(0, ConductorTime.ToEpochMilliseconds(null));
        Assert.Throws<ArgumentException>(() => ConductorTime.ToEpochMilliseconds(new object()));
    }

    [Fact]
    public void A_local_time_compares_correctly_with_a_conductor_time()
    {
        var started = ConductorTime.FromEpochMilliseconds(DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds())!.Value;
        // What PowerShell does for `StartTime -gt (Get-Date).AddHours(-1)`: the DateTime converts to the offset's type.
        DateTimeOffset anHourAgo = DateTime.Now.AddHours(-1);
        Assert.True(started > anHourAgo);
    }

    [Fact]
    public void The_model_json_names_stay_exact()
    {
        var wf = ConductorJson.Deserialize<Workflow>("""{"workflowId":"w","startTime":1777975800123,"endTime":0}""")!;
        Assert.Equal(1777975800123, wf.StartTime);
        Assert.Contains("\"startTime\":1777975800123", ConductorJson.Serialize(wf));
        var hit = ConductorJson.Deserialize<WorkflowSummary>("""{"workflowId":"w","startTime":"2026-05-05T10:30:00.123Z"}""")!;
        Assert.Contains("\"startTime\":\"2026-05-05T10:30:00.123Z\"", ConductorJson.Serialize(hit));
    }

    [Fact]
    public void Dates_convert_to_iso_8601_utc_and_deep_objects_to_text()
    {
        var map = PlainValues.ToMap(new Hashtable
        {
            ["utc"] = new DateTime(2026, 5, 5, 10, 30, 0, DateTimeKind.Utc),
            ["deep"] = new Hashtable { ["inner"] = new Hashtable { ["file"] = new FileInfo("/tmp/x.txt") } },
            ["top"] = new Thrower(),
        }, "-Output");
        Assert.Equal("2026-05-05T10:30:00.0000000Z", map["utc"]);
        var inner = (Dictionary<string, object?>)((Dictionary<string, object?>)map["deep"]!)["inner"]!;
        Assert.Equal(new FileInfo("/tmp/x.txt").ToString(), inner["file"]);
        var top = (Dictionary<string, object?>)map["top"]!;
        Assert.Equal("ok", top["Fine"]);
        Assert.False(top.ContainsKey("Broken"));
    }

    private sealed class Thrower
    {
        public string Fine => "ok";
        public string Broken => throw new InvalidOperationException("no");
    }

    [Fact]
    public void Payload_maps_display_as_compact_json()
    {
        var output = new Dictionary<string, object?> { ["greeting"] = "Hi", ["detail"] = new Dictionary<string, object?> { ["n"] = 1L, ["list"] = new List<object?> { "x" } } };
        Assert.Equal("""{"greeting":"Hi","detail":{"n":1,"list":["x"]}}""", ConductorJson.ToCompactText(output));
        Assert.Equal("", ConductorJson.ToCompactText(new Dictionary<string, object?>()));
        Assert.Equal("", ConductorJson.ToCompactText(null));
    }

    [Fact]
    public void Json_text_is_read_as_a_map()
    {
        var map = PlainValues.ToMap("""  {"name":"Ann","n":2,"tags":["a"]}""", "-Input");
        Assert.Equal("Ann", map["name"]);
        Assert.Equal(2L, map["n"]);
        var bad = Assert.Throws<ArgumentException>(() => PlainValues.ToMap("{\"name\":", "-Input"));
        Assert.StartsWith("-Input is not valid JSON", bad.Message);
        Assert.Throws<ArgumentException>(() => PlainValues.ToMap("plain text", "-Input"));
    }

    [Fact]
    public void Exported_enums_as_numbers_read_back()
    {
        var def = PlainValues.ToModel<TaskDef>("""{"Name":"x","TimeoutPolicy":1,"RetryLogic":"FIXED"}""", "The file");
        Assert.Equal((TaskTimeoutPolicy)1, def.TimeoutPolicy);
        Assert.Throws<System.Text.Json.JsonException>(() => ConductorJson.Deserialize<TaskDef>("""{"name":"x","timeoutPolicy":1}"""));
    }

    [Fact]
    public void Task_def_changes_set_only_what_is_given()
    {
        var existing = new TaskDef("t") { Description = "keep", RetryCount = 9, TimeoutSeconds = 600, ResponseTimeoutSeconds = 300 };
        var copy = TaskDefChanges.Copy(existing);
        new TaskDefChanges { RetryCount = 5 }.ApplyTo(copy);
        Assert.Equal(5, copy.RetryCount);
        Assert.Equal("keep", copy.Description);
        Assert.Equal(9, existing.RetryCount); // the caller's object is untouched
        new TaskDefChanges { TimeoutSeconds = 60 }.ApplyTo(copy);
        Assert.Equal(60, copy.ResponseTimeoutSeconds); // pulled down: Conductor rejects response > timeout
        new TaskDefChanges { TimeoutSeconds = 120, ResponseTimeoutSeconds = 100 }.ApplyTo(copy);
        Assert.Equal(100, copy.ResponseTimeoutSeconds);
        Assert.False(new TaskDefChanges().Any);
        Assert.True(new TaskDefChanges { OwnerEmail = "a@b" }.Any);
    }

    [Fact]
    public async Task Registering_an_existing_task_def_is_a_conflict_unless_forced()
    {
        var api = FakeApi.Create();
        var fake = (FakeApi)(object)api;
        await DefinitionRegistration.RegisterTaskDefAsync(api, new TaskDef("new"), force: false);
        Assert.Equal(new[] { "GetTaskDefAsync", "RegisterTaskDefsAsync" }, fake.Calls);
        fake.Existing.Add("old");
        var conflict = await Assert.ThrowsAsync<ConductorException>(() => DefinitionRegistration.RegisterTaskDefAsync(api, new TaskDef("old"), force: false));
        Assert.Equal(ConductorErrorKind.Conflict, conflict.Kind);
        Assert.Contains("-Force", conflict.Message);
        Assert.Contains("Set-TaskDef old -RetryCount", conflict.Message);
        fake.Calls.Clear();
        await DefinitionRegistration.RegisterTaskDefAsync(api, new TaskDef("old"), force: true);
        Assert.Equal(new[] { "RegisterTaskDefsAsync" }, fake.Calls);
    }

    [Fact]
    public void Replacing_the_session_connection_closes_only_an_embedded_engine_nobody_holds()
    {
        var resolver = new ConnectionResolver(() => throw new InvalidOperationException());
        ConductorConnection New(ConductorConnectionKind kind) => new(FakeApi.Create(), kind, kind.ToString(), "none");

        var first = New(ConductorConnectionKind.Embedded);
        resolver.Replace(first);
        var held = New(ConductorConnectionKind.Embedded).Hold();
        Assert.Same(first, resolver.Replace(held));
        Assert.True(first.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => first.Api);

        var server = New(ConductorConnectionKind.Server);
        Assert.Null(resolver.Replace(server));
        Assert.False(held.IsClosed);
        Assert.Null(resolver.Replace(New(ConductorConnectionKind.Embedded)));
        Assert.False(server.IsClosed); // a worker loop in a thread job may still use it

        // A worker loop resolves the session's embedded engine once and polls with it: a reconnect must not close it.
        var polled = New(ConductorConnectionKind.Embedded);
        resolver.Replace(polled);
        Assert.Same(polled, resolver.Resolve(null, _ => { }));
        Assert.Null(resolver.Replace(New(ConductorConnectionKind.Embedded)));
        Assert.False(polled.IsClosed);
        // Tab completion (no notice) does not hold it.
        var completed = New(ConductorConnectionKind.Embedded);
        resolver.Replace(completed);
        resolver.Resolve(null);
        Assert.Same(completed, resolver.Replace(New(ConductorConnectionKind.Embedded)));
    }

    [Fact]
    public void The_not_connected_note_is_a_warning_once_even_after_a_notice()
    {
        var resolver = new ConnectionResolver(() => new ConductorConnection(FakeApi.Create(), ConductorConnectionKind.Embedded, "/data/conductor.db", "none"),
            _ => null);
        Assert.Null(resolver.Peek());
        var notices = new List<string>();
        var warnings = new List<string>();
        resolver.Resolve(null, notices.Add); // e.g. Invoke-WorkerLoop: verbose only
        resolver.Resolve(null, notices.Add, warnings.Add);
        resolver.Resolve(null, notices.Add, warnings.Add);
        Assert.Single(notices);
        var warning = Assert.Single(warnings);
        Assert.Contains("/data/conductor.db", warning);
        Assert.Contains("Connect-Conductor", warning);
        Assert.NotNull(resolver.Peek());
        Assert.Equal(warning, resolver.DefaultNote);
    }

    [Fact]
    public async Task The_probe_is_one_lookup_and_not_found_or_forbidden_prove_the_server()
    {
        foreach (var answer in new[] { ConductorErrorKind.NotFound, ConductorErrorKind.Forbidden })
        {
            var api = FakeApi.Create();
            var fake = (FakeApi)(object)api;
            fake.ProbeAnswer = answer;
            await new ConductorConnection(api, ConductorConnectionKind.Server, "http://s/api/", "none").ProbeAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(new[] { "GetTaskDefAsync" }, fake.Calls);
        }
        var unauthorized = FakeApi.Create();
        ((FakeApi)(object)unauthorized).ProbeAnswer = ConductorErrorKind.Unauthorized;
        var ex = await Assert.ThrowsAsync<ConductorException>(() =>
            new ConductorConnection(unauthorized, ConductorConnectionKind.Server, "http://s/api/", "none").ProbeAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(ConductorErrorKind.Unauthorized, ex.Kind);
    }

    [Fact]
    public async Task A_probe_that_runs_out_of_time_says_so_and_ctrl_c_cancels()
    {
        var hanging = FakeApi.Create();
        ((FakeApi)(object)hanging).Hang = true;
        var connection = new ConductorConnection(hanging, ConductorConnectionKind.Server, "http://slow/api/", "none");
        var timeout = await Assert.ThrowsAsync<ConductorException>(() => connection.ProbeAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(ConductorErrorKind.Timeout, timeout.Kind);
        Assert.Contains("http://slow/api/ did not answer within 0.2 s", timeout.Message);
        Assert.Contains("-Timeout", timeout.Message);

        using var stop = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.ProbeAsync(TimeSpan.FromMinutes(1), stop.Token));
    }
}

public class WorkflowOperationTests
{
    [Fact]
    public void Task_reference_names_include_forks_switch_cases_and_loops()
    {
        var def = ConductorJson.Deserialize<WorkflowDef>("""
            {"name":"w","tasks":[
              {"name":"a","taskReferenceName":"a"},
              {"name":"f","taskReferenceName":"fork","type":"FORK_JOIN","forkTasks":[[{"name":"b","taskReferenceName":"b"}],[{"name":"c","taskReferenceName":"c"}]]},
              {"name":"s","taskReferenceName":"switch","type":"SWITCH","decisionCases":{"x":[{"name":"d","taskReferenceName":"d"}]},"defaultCase":[{"name":"e","taskReferenceName":"e"}]},
              {"name":"l","taskReferenceName":"loop","type":"DO_WHILE","loopOver":[{"name":"g","taskReferenceName":"g"}]}
            ]}
            """)!;
        Assert.Equal(new[] { "a", "fork", "b", "c", "switch", "d", "e", "loop", "g" }, WorkflowOperations.TaskReferenceNames(def));
    }

    [Fact]
    public async Task Searches_past_one_page_are_paged()
    {
        var api = FakeApi.Create();
        var fake = (FakeApi)(object)api;
        fake.Hits = Enumerable.Range(0, 12).Select(i => new WorkflowSummary { WorkflowId = "w" + i }).ToList();
        var all = await SearchPaging.SearchWorkflowsAsync(api, "q", "startTime:DESC", 100, pageSize: 5);
        Assert.Equal(fake.Hits.Select(h => h.WorkflowId), all.Select(h => h.WorkflowId));
        Assert.Equal(new[] { (0, 5), (5, 5), (10, 5) }, fake.Searches.Select(r => (r.Start, r.Size)));
        fake.Searches.Clear();
        var seven = await SearchPaging.SearchWorkflowsAsync(api, "q", null, 7, pageSize: 5);
        Assert.Equal(7, seven.Count);
        Assert.Equal(new[] { (0, 5), (5, 2) }, fake.Searches.Select(r => (r.Start, r.Size)));
        Assert.Equal("q", fake.Searches[0].Query);
        fake.Searches.Clear();
        Assert.Equal(10, (await SearchPaging.SearchWorkflowsAsync(api, null, null, 10, pageSize: 10)).Count);
        Assert.Single(fake.Searches);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SearchPaging.SearchWorkflowsAsync(api, null, null, 10, pageSize: 5001));
    }

    [Fact]
    public void Wait_progress_reads_as_status_time_and_percentage()
    {
        var progress = new WorkflowWaitProgress("w1", WorkflowStatus.RUNNING, TimeSpan.FromSeconds(12), TimeSpan.FromMinutes(5));
        Assert.Equal("RUNNING for 12 s; gives up in 4 min 48 s", progress.Describe());
        Assert.Equal(4, progress.PercentComplete);
        Assert.Equal(99, (progress with { Elapsed = TimeSpan.FromHours(1) }).PercentComplete);
        Assert.Equal("PAUSED for 1 h 2 min; gives up in 0 s", new WorkflowWaitProgress("w", WorkflowStatus.PAUSED, TimeSpan.FromMinutes(62), TimeSpan.FromMinutes(60)).Describe());
    }
}

/// <summary>An IConductorApi that knows task definition names, records its calls, and can hang.</summary>
public class FakeApi : DispatchProxy
{
    public static IConductorApi Create() => Create<IConductorApi, FakeApi>();

    public List<string> Calls { get; } = new();
    public HashSet<string> Existing { get; } = new();
    public ConductorErrorKind ProbeAnswer { get; set; } = ConductorErrorKind.NotFound;
    public bool Hang { get; set; }
    public List<WorkflowSummary> Hits { get; set; } = new();
    public List<SearchRequest> Searches { get; } = new();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        Calls.Add(targetMethod!.Name);
        switch (targetMethod.Name)
        {
            case "GetTaskDefAsync":
                var name = (string)args![0]!;
                if (Hang) return Task.Delay(Timeout.Infinite, (CancellationToken)args[1]!).ContinueWith<TaskDef>(t => { t.GetAwaiter().GetResult(); return null!; });
                if (Existing.Contains(name)) return Task.FromResult(new TaskDef(name));
                return Task.FromException<TaskDef>(new ConductorException("no " + name, name == ConductorConnection.ProbeTaskName ? ProbeAnswer : ConductorErrorKind.NotFound));
            case "RegisterTaskDefsAsync":
                return Task.CompletedTask;
            case "SearchWorkflowsAsync":
                var request = (SearchRequest)args![0]!;
                Searches.Add(request);
                return Task.FromResult(new SearchResult<WorkflowSummary> { TotalHits = Hits.Count, Results = Hits.Skip(request.Start).Take(request.Size).ToList() });
            case "Dispose":
                return null;
            default:
                throw new NotSupportedException(targetMethod.Name);
        }
    }
}
