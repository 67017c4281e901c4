# Timer-triggered Conductor worker cycle (PowerShell variant of the ConductorTools Functions app).
# Invoke-WorkerCycle is Core's FunctionCycleRunner, the code the .NET app runs: it binds the CONDUCTOR_* app settings
# (a bad setting fails the invocation with every problem listed), bounds the cycle by host.json's functionTimeout less
# CONDUCTOR_SAFETY_MARGIN, works on this folder's group (ConductorWorkers_<group> for a named group), hands back what
# cannot finish and logs the summary. Copy this folder as ConductorWorkers_<group> for another group.
param($Timer)

Import-Module ConductorTools    # Modules/ is first on PSModulePath in a PowerShell function app: the bundled copy

$cycle = @{ Workers = . "$PSScriptRoot/../workers.ps1"; Timer = $Timer; FunctionDirectory = $PSScriptRoot }
if ($env:CONDUCTOR_AUTH_MODE -in 'ManagedIdentity', 'DefaultAzureCredential') {
    # Entra ID tokens from the app's managed identity through Az.Accounts (shipped with the PowerShell worker).
    if (-not (Get-AzContext -ErrorAction SilentlyContinue)) {
        $identity = @{ Identity = $true }
        if ($env:CONDUCTOR_MANAGED_IDENTITY_CLIENT_ID) { $identity.AccountId = $env:CONDUCTOR_MANAGED_IDENTITY_CLIENT_ID }
        $null = Connect-AzAccount @identity
    }
    $resource = $env:CONDUCTOR_AUTH_SCOPE -replace '/\.default$', ''
    $cycle.Connection = Connect-Conductor -ServerUrl $env:CONDUCTOR_SERVER_URL -PassThru -TokenProvider { Get-AzAccessToken -ResourceUrl $resource }.GetNewClosure()
}
Invoke-WorkerCycle @cycle
