using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Model;
using ConductorTools.Server;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Functions.Tests;

/// <summary>
/// The .NET isolated app itself, as close to the Functions host as this machine allows (Core Tools cannot run here): the
/// service provider Program.cs builds (<see cref="ConductorWorkersServices.AddConductorWorkers"/>), the timer function
/// class activated from it the way the worker activates it and invoked with a <see cref="TimerInfo"/> against the local
/// server, and the functions.metadata the Worker SDK generates for the host.
/// </summary>
public sealed class FunctionsAppTests : IAsyncLifetime
{
    private LocalConductorServer _server = null!;
    private HttpConductorApi _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await LocalConductorServer.StartAsync(new LocalConductorServerOptions { Urls = "http://127.0.0.1:0", DatabasePath = ":memory:" });
        _client = new HttpConductorApi(new ConductorClientOptions { ServerUrl = _server.ApiUrl });
        await OneTaskWorkflow.RegisterAsync(_client, SampleWorkers.GreetTaskType, workflowName: "greet_app_flow",
            taskInput: new Dictionary<string, object?> { ["name"] = "${workflow.input.name}" });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>The app's service provider as the worker builds it (Program.cs's registrations), with app settings as the host
    /// hands them over (environment variables -> IConfiguration): this server, a short cycle, plus <paramref name="settings"/>.</summary>
    private ServiceProvider AppServices(ListLoggerProvider logs, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            [ConductorHostSettings.ServerUrlKey] = _server.ApiUrl.AbsoluteUri,
            [ConductorHostSettings.PollScheduleKey] = "0 */1 * * * *",
            [ConductorHostSettings.SafetyMarginKey] = "00:00:01",
            [ConductorHostSettings.DrainTimeoutKey] = "00:00:01",
        };
        foreach (var (key, value) in settings) values[key] = value;
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        services.AddConductorWorkers(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), appRoot: RepositoryPaths.Combine("functions"));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task The_timer_function_from_the_apps_service_provider_completes_the_queued_tasks_and_logs_the_summary()
    {
        var ct = TestContext.Current.CancellationToken;
        var names = new[] { "Ada", "Grace", "Edsger" };
        var workflows = new List<string>();
        foreach (var name in names)
            workflows.Add(await _client.StartWorkflowAsync("greet_app_flow", new Dictionary<string, object?> { ["name"] = name }, cancellationToken: ct));

        // App settings as the host hands them to the worker (environment variables -> IConfiguration).
        var logs = new ListLoggerProvider();
        await using var provider = AppServices(logs, (ConductorHostSettings.FunctionTimeoutKey, "00:00:07"));

        // The worker activates function classes with ActivatorUtilities over the invocation's services (DefaultFunctionActivator).
        var function = ActivatorUtilities.CreateInstance<ConductorWorkersFunction>(provider);
        await function.RunDefaultGroup(new TimerInfo { IsPastDue = true, ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddMinutes(-1), Next = DateTime.UtcNow.AddMinutes(1) } }, ct);

        for (var i = 0; i < workflows.Count; i++)
        {
            var wf = await _client.GetWorkflowAsync(workflows[i], cancellationToken: ct);
            Assert.Equal(WorkflowStatus.COMPLETED, wf.Status);
            Assert.Equal($"Hello, {names[i]}!", wf.Tasks!.Single().OutputData!["greeting"]?.ToString());
        }
        var starting = Assert.Single(logs.Entries, e => e.Message.StartsWith("Conductor cycle [default] starting for greet", StringComparison.Ordinal));
        Assert.Contains("past due True", starting.Message, StringComparison.Ordinal);
        var summary = Assert.Single(logs.Entries, e => e.Message.StartsWith("Conductor cycle [default] done", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, summary.Level);
        Assert.Equal("ConductorTools.Hosting.FunctionCycle", summary.Category);
        Assert.Contains("polled 3, completed 3, failed 0, handed back 0", summary.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_setting_fails_the_invocation_with_every_problem_listed()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ConductorHostSettings.ServerUrlKey] = "not a url",
            [ConductorHostSettings.SafetyMarginKey] = "soon",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddConductorWorkers(configuration);
        await using var provider = services.BuildServiceProvider();

        // Settings are bound when the function class is first activated, i.e. in the invocation, not at worker start.
        var error = Assert.Throws<ConductorSettingsException>(() => ActivatorUtilities.CreateInstance<ConductorWorkersFunction>(provider));
        Assert.Contains(error.Problems, p => p.Contains(ConductorHostSettings.ServerUrlKey, StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains(ConductorHostSettings.PollScheduleKey, StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains(ConductorHostSettings.SafetyMarginKey, StringComparison.Ordinal));
    }

    /// <summary>
    /// What the host reads to know the app's functions: the Worker SDK writes functions.metadata next to the app's
    /// assembly at build time. Every [Function] method of the app is in it with a timer trigger on the settings-driven
    /// schedule, and every %NAME% expression it holds is an app setting ConductorHostSettings knows.
    /// </summary>
    [Fact]
    public void The_generated_functions_metadata_lists_every_function_with_its_trigger_and_settings_expressions()
    {
        var appDirectory = Path.GetDirectoryName(typeof(ConductorWorkersFunction).Assembly.Location)!;
        var path = Path.Combine(appDirectory, "functions.metadata");
        if (!File.Exists(path))
        {
            // Not copied through the project reference: read it from the app's own build output, same configuration.
            var configuration = new DirectoryInfo(appDirectory).Parent!.Name;
            path = RepositoryPaths.Combine("functions", "bin", configuration, "net10.0", "functions.metadata");
        }
        Assert.True(File.Exists(path), $"functions.metadata not found (looked next to the app assembly and at {path}): build functions/ConductorTools.Functions.csproj.");
        using var metadata = JsonDocument.Parse(File.ReadAllText(path));

        var declared = typeof(ConductorWorkersFunction).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Select(m => (Method: m, Attribute: m.GetCustomAttributes(typeof(FunctionAttribute), false).Cast<FunctionAttribute>().SingleOrDefault()))
            .Where(x => x.Attribute is not null)
            .ToDictionary(x => x.Attribute!.Name, x => $"{x.Method.DeclaringType!.FullName}.{x.Method.Name}");
        Assert.NotEmpty(declared);

        var functions = metadata.RootElement.EnumerateArray().ToList();
        int queueFunctions = 0, dispatchers = 0;
        Assert.Equal(declared.Keys.Order(), functions.Select(f => f.GetProperty("name").GetString()!).Order());
        var known = typeof(ConductorHostSettings).GetFields().Where(f => f.IsLiteral && f.Name.EndsWith("Key", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        foreach (var function in functions)
        {
            var name = function.GetProperty("name").GetString()!;
            Assert.Equal(declared[name], function.GetProperty("entryPoint").GetString());
            Assert.Equal("dotnet-isolated", function.GetProperty("language").GetString());
            Assert.Equal("ConductorTools.Functions.dll", function.GetProperty("scriptFile").GetString());
            var trigger = Assert.Single(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            Assert.Equal("In", trigger.GetProperty("direction").GetString(), ignoreCase: true);
            if (name.StartsWith(FunctionCycleRunner.FanOutFunctionName, StringComparison.Ordinal))
            {
                // The fan-out's queue function: its group's queue from the settings, on the app's storage connection, bound as text
                // (so a bad message reaches the body, which logs why and fails it towards the poison queue).
                Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
                var queue = trigger.GetProperty("queueName").GetString()!;
                Assert.StartsWith($"%{ConductorHostSettings.FanOutQueueKey}%", queue, StringComparison.Ordinal);
                var group = FunctionCycleRunner.GroupForFunction(name);
                Assert.Equal(group == ConductorHostSettings.DefaultGroup ? $"%{ConductorHostSettings.FanOutQueueKey}%" : $"%{ConductorHostSettings.FanOutQueueKey}%-{group.ToLowerInvariant()}", queue);
                Assert.Equal(StorageSettings.ConnectionName, trigger.GetProperty("connection").GetString());
                Assert.Equal("String", trigger.GetProperty("dataType").GetString());
                queueFunctions++;
            }
            else
            {
                // The timer-only cycle (ConductorWorkers*) and the fan-out dispatcher (ConductorDispatcher*) share the schedule.
                Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
                Assert.Equal($"%{ConductorHostSettings.PollScheduleKey}%", trigger.GetProperty("schedule").GetString());
                // runOnStartup stays off (README: it would run a cycle on every scale-out); absent means false.
                Assert.False(trigger.TryGetProperty("runOnStartup", out var startup) && startup.GetBoolean());
                if (name.StartsWith(FanOutDispatcher.FunctionName, StringComparison.Ordinal)) dispatchers++;
            }
            // The group of a function comes from its name, as in the PowerShell app.
            Assert.False(string.IsNullOrEmpty(FunctionCycleRunner.GroupForFunction(name)));

            foreach (var expression in System.Text.RegularExpressions.Regex.Matches(function.GetRawText(), "%([A-Za-z0-9_]+)%").Select(m => m.Groups[1].Value))
                Assert.Contains(expression, known);
        }
        // Every group that has a queue function has a dispatcher, and the default group has both.
        Assert.True(queueFunctions >= 1 && queueFunctions == dispatchers, $"{queueFunctions} queue function(s), {dispatchers} dispatcher(s)");
    }

    /// <summary>
    /// The fan-out through the app's own service provider: the dispatcher timer function queues work messages on Azurite
    /// (the queue from CONDUCTOR_FANOUT_QUEUE, the connection from AzureWebJobsStorage), the queue function runs a cycle for
    /// a message taken from that queue, and in fan-out mode the timer-only function runs no cycle.
    /// </summary>
    [Fact]
    public async Task The_dispatcher_and_queue_functions_from_the_apps_service_provider_fan_a_backlog_out_through_the_queue()
    {
        var ct = TestContext.Current.CancellationToken;
        var azurite = await Azurite.SharedAsync(ct);
        var queueName = "app-" + Guid.NewGuid().ToString("N")[..12];
        var workflows = new List<string>();
        foreach (var name in new[] { "Ada", "Grace" })
            workflows.Add(await _client.StartWorkflowAsync("greet_app_flow", new Dictionary<string, object?> { ["name"] = name }, cancellationToken: ct));

        var logs = new ListLoggerProvider();
        await using var provider = AppServices(logs,
            (ConductorHostSettings.FunctionTimeoutKey, "00:00:05"),
            (ConductorHostSettings.DispatchModeKey, "FanOut"),
            (ConductorHostSettings.FanOutQueueKey, queueName),
            (StorageSettings.ConnectionName, azurite.ConnectionString));

        var timer = new TimerInfo { ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddMinutes(-1), Next = DateTime.UtcNow.AddMinutes(1) } };
        // Fan-out mode: the timer-only function leaves the cycles to the queue function.
        await ActivatorUtilities.CreateInstance<ConductorWorkersFunction>(provider).RunDefaultGroup(timer, ct);
        Assert.Contains(logs.Entries, e => e.Message.Contains("no cycle from the timer", StringComparison.Ordinal));

        var fanOut = ActivatorUtilities.CreateInstance<ConductorFanOutFunctions>(provider);
        await fanOut.Dispatch(timer, ct);
        var queue = ConductorTools.Storage.StorageFanOutQueue.For(azurite.Service(), queueName);
        Assert.Equal(1, await queue.GetApproximateMessageCountAsync(ct));
        Assert.Contains(logs.Entries, e => e.Message.StartsWith($"Conductor fan-out [default]: 1 message(s) on {queueName} for a backlog of greet 2", StringComparison.Ordinal));

        // What the host does: take the message, hand its text to the function, delete it when the function returns.
        var message = await queue.ReceiveAsync(TimeSpan.FromMinutes(1), ct);
        Assert.NotNull(message);
        await ActivatorUtilities.CreateInstance<ConductorFanOutFunctions>(provider).RunCycle(message.Body.ToString(), ct);
        Assert.True(await queue.DeleteAsync(message, ct));

        foreach (var id in workflows)
            Assert.Equal(WorkflowStatus.COMPLETED, (await _client.GetWorkflowAsync(id, cancellationToken: ct)).Status);
        Assert.Contains(logs.Entries, e => e.Message.StartsWith("Conductor cycle [default] done: polled 2, completed 2", StringComparison.Ordinal));
        // The backlog is gone: the next dispatch queues nothing.
        await fanOut.Dispatch(timer, ct);
        Assert.Equal(0, await queue.GetApproximateMessageCountAsync(ct));

        // A bad message fails the invocation (the host retries it, then moves it to the poison queue) and runs no cycle.
        await Assert.ThrowsAsync<FanOutMessageException>(() => fanOut.RunCycle("{oops", ct));
    }
}
