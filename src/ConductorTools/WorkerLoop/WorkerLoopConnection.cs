using System.Management.Automation;
using ConductorTools.Api;

namespace ConductorTools.PowerShell.WorkerLoop;

/// <summary>
/// Accepts for -Connection an <see cref="IConductorApi"/> (an embedded engine or an HTTP client) or any connection
/// object that exposes one as an <c>Api</c> property.
/// </summary>
internal sealed class ConductorApiTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is null or IConductorApi) return value;
        if (PSObject.AsPSObject(value).Properties["Api"]?.Value is { } api)
        {
            var inner = api is PSObject p ? p.BaseObject : api;
            if (inner is IConductorApi conductor) return conductor;
        }
        throw new ArgumentTransformationMetadataException(
            $"-Connection must be a Conductor connection (from Connect-Conductor) or an IConductorApi; got {value.GetType().FullName}.");
    }
}

/// <summary>
/// The connection Invoke-WorkerLoop uses when -Connection is not given: the module's session connection
/// (Connect-Conductor), else CONDUCTOR_SERVER_URL, else the shared embedded default.
/// </summary>
internal static class WorkerLoopConnection
{
    public static IConductorApi Resolve(IConductorApi? connection, Action<string> verbose) =>
        connection ?? Commands.ConductorCmdlet.Connections.Resolve(null, verbose).Api;
}
