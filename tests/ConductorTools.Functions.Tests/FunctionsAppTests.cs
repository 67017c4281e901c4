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

    [Fact]
    public async Task The_timer_function_from_the_apps_service_provider_completes_the_queued_tasks_and_logs_the_summary()
    {
        var ct = TestContext.Current.CancellationToken;
        var names = new[] { "Ada", "Grace", "Edsger" };
        var workflows = new List<string>();
        foreach (var name in names)
            workflows.Add(await _client.StartWorkflowAsync("greet_app_flow", new Dictionary<string, object?> { ["name"] = name }, cancellationToken: ct));

        // App settings as the host hands them to the worker (environment variables -> IConfiguration).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ConductorHostSettings.ServerUrlKey] = _server.ApiUrl.AbsoluteUri,
            [ConductorHostSettings.PollScheduleKey] = "0 */1 * * * *",
            [ConductorHostSettings.FunctionTimeoutKey] = "00:00:07",
            [ConductorHostSettings.SafetyMarginKey] = "00:00:01",
            [ConductorHostSettings.DrainTimeoutKey] = "00:00:01",
        }).Build();
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        services.AddConductorWorkers(configuration, appRoot: RepositoryPaths.Combine("functions"));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

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
    public void The_generated_functions_metadata_lists_every_timer_function_on_the_settings_schedule()
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
            Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
            Assert.Equal("In", trigger.GetProperty("direction").GetString(), ignoreCase: true);
            Assert.Equal($"%{ConductorHostSettings.PollScheduleKey}%", trigger.GetProperty("schedule").GetString());
            // runOnStartup stays off (README: it would run a cycle on every scale-out); absent means false.
            Assert.False(trigger.TryGetProperty("runOnStartup", out var startup) && startup.GetBoolean());
            // The group of a function comes from its name, as in the PowerShell app.
            Assert.False(string.IsNullOrEmpty(FunctionCycleRunner.GroupForFunction(name)));

            foreach (var expression in System.Text.RegularExpressions.Regex.Matches(function.GetRawText(), "%([A-Za-z0-9_]+)%").Select(m => m.Groups[1].Value))
                Assert.Contains(expression, known);
        }
    }
}
