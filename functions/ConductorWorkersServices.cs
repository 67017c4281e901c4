using ConductorTools.Api;
using ConductorTools.Hosting;
using ConductorTools.Http;
using ConductorTools.Storage;
using ConductorTools.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConductorTools.Functions;

/// <summary>
/// Everything the app registers besides the Functions host's own plumbing (Application Insights): Core bound from the app
/// settings, the Conductor client, the cycle runner and the workers. Program.cs calls it, and so do the tests, which
/// build the same service provider and invoke the timer function class from it.
/// </summary>
public static class ConductorWorkersServices
{
    /// <summary>Registers the app's services and workers.</summary>
    /// <param name="configuration">The app settings (environment variables in Azure; local.settings.json under Core Tools).</param>
    /// <param name="appRoot">The folder holding the app's host.json (its functionTimeout bounds a cycle); the app's own folder by default.</param>
    public static IServiceCollection AddConductorWorkers(this IServiceCollection services, IConfiguration configuration, string? appRoot = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var root = appRoot ?? AppContext.BaseDirectory;

        // Resolved on first use, so a bad setting fails each invocation with the full list of problems (visible in the
        // invocation log) instead of crash-looping the worker process.
        services.AddSingleton(_ => ConductorHostSettings.Bind(key => configuration[key]));
        services.AddSingleton<IConductorApi>(sp =>
        {
            var settings = sp.GetRequiredService<ConductorHostSettings>();
            return new HttpConductorApi(settings.ToClientOptions(ConductorCredentials.Create(settings)));
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new FunctionCycleRunner(
            sp.GetRequiredService<ConductorHostSettings>(),
            sp.GetRequiredService<IConductorApi>(),
            sp.GetServices<WorkerDefinition>(),
            FunctionTimeout.FromHostJsonFile(Path.Combine(root, "host.json")),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));

        // The fan-out: the dispatcher and its queues, on the queue trigger's storage connection (made on first dispatch).
        // (Identity-based storage, AzureWebJobsStorage__accountName, uses the app's managed identity, as the trigger does.)
        services.AddSingleton(sp => StorageFanOutQueue.ServiceFromSettings(key => configuration[key], StorageSettings.ConnectionName));
        services.AddSingleton<Func<string, IFanOutQueue>>(sp =>
        {
            var queues = new System.Collections.Concurrent.ConcurrentDictionary<string, IFanOutQueue>(StringComparer.Ordinal);
            return name => queues.GetOrAdd(name, n => StorageFanOutQueue.For(sp.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>(), n));
        });
        services.AddSingleton(sp => new FanOutDispatcher(
            sp.GetRequiredService<FunctionCycleRunner>(),
            sp.GetRequiredService<Func<string, IFanOutQueue>>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));

        // Workers: every WorkerDefinition in DI. Add yours here.
        services.AddSingleton(new WorkerDefinition(SampleWorkers.GreetTaskType, SampleWorkers.GreetAsync));
        return services;
    }
}
