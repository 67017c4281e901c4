using ConductorTools.Hosting;

namespace ConductorTools.Functions.Tests;

/// <summary>App settings as a Functions app reads them, for tests: the least a valid app needs, plus what a test sets.</summary>
internal static class TestSettings
{
    /// <summary>Binds the minimal valid settings (server URL, poll schedule) with <paramref name="settings"/> on top.</summary>
    public static ConductorHostSettings Bind(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            [ConductorHostSettings.ServerUrlKey] = "http://127.0.0.1:8080/api",
            [ConductorHostSettings.PollScheduleKey] = "0 */1 * * * *",
        };
        foreach (var (key, value) in settings) values[key] = value;
        return ConductorHostSettings.Bind(key => values.TryGetValue(key, out var value) ? value : null);
    }
}
