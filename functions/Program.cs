using ConductorTools.Api;
using ConductorTools.Functions;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Workers;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);

builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();
// The Application Insights provider only takes Warning and above by default; the cycle summaries are Information.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var rule = options.Rules.FirstOrDefault(r => r.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (rule is not null) options.Rules.Remove(rule);
});

// Core from app settings. Resolved on first use, so a bad setting fails each invocation with the full list of problems
// (visible in the invocation log) instead of crash-looping the worker process.
builder.Services.AddSingleton(_ => ConductorHostSettings.Bind(key => builder.Configuration[key]));
builder.Services.AddSingleton<IConductorApi>(sp =>
{
    var settings = sp.GetRequiredService<ConductorHostSettings>();
    return new HttpConductorApi(settings.ToClientOptions(ConductorCredentials.Create(settings)));
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(sp => new FunctionCycleRunner(
    sp.GetRequiredService<ConductorHostSettings>(),
    sp.GetRequiredService<IConductorApi>(),
    sp.GetServices<WorkerDefinition>(),
    FunctionTimeout.FromHostJsonFile(Path.Combine(AppContext.BaseDirectory, "host.json")),
    sp.GetRequiredService<ILoggerFactory>(),
    sp.GetRequiredService<TimeProvider>()));

// Workers: every WorkerDefinition in DI. Add yours here.
builder.Services.AddSingleton(new WorkerDefinition(SampleWorkers.GreetTaskType, SampleWorkers.GreetAsync));

builder.Build().Run();
