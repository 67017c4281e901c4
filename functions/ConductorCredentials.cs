using Azure.Core;
using Azure.Identity;
using ConductorTools.Hosting;

namespace ConductorTools.Functions;

/// <summary>
/// The Azure.Identity credential for the auth mode the settings selected (Core decides the mode; only this app
/// references Azure.Identity, so Core and the PowerShell module stay free of it). Compiled into the Functions tests too.
/// </summary>
public static class ConductorCredentials
{
    /// <summary>A credential for token auth, or null for <see cref="ConductorAuthMode.None"/> and <see cref="ConductorAuthMode.OrkesKey"/>.</summary>
    public static TokenCredential? Create(ConductorHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.AuthMode switch
        {
            // Deterministic in Azure: the platform identity endpoint only, no developer-tool probing.
            ConductorAuthMode.ManagedIdentity => new ManagedIdentityCredential(settings.ManagedIdentityClientId is { } clientId
                ? ManagedIdentityId.FromUserAssignedClientId(clientId)
                : ManagedIdentityId.SystemAssigned),
            ConductorAuthMode.DefaultAzureCredential => new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = settings.ManagedIdentityClientId,
            }),
            _ => null,
        };
    }
}
