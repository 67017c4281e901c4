# Dot-sourced by every run.ps1: the Conductor connection for the token auth modes (Entra ID tokens from the app's managed
# identity through Az.Accounts, which the PowerShell worker ships), or nothing: then the cmdlets connect from the settings
# (CONDUCTOR_SERVER_URL, CONDUCTOR_AUTH_KEY / CONDUCTOR_AUTH_SECRET).
if ($env:CONDUCTOR_AUTH_MODE -in 'ManagedIdentity', 'DefaultAzureCredential') {
    if (-not (Get-AzContext -ErrorAction SilentlyContinue)) {
        $identity = @{ Identity = $true }
        if ($env:CONDUCTOR_MANAGED_IDENTITY_CLIENT_ID) { $identity.AccountId = $env:CONDUCTOR_MANAGED_IDENTITY_CLIENT_ID }
        $null = Connect-AzAccount @identity
    }
    $resource = $env:CONDUCTOR_AUTH_SCOPE -replace '/\.default$', ''
    Connect-Conductor -ServerUrl $env:CONDUCTOR_SERVER_URL -PassThru -TokenProvider { Get-AzAccessToken -ResourceUrl $resource }.GetNewClosure()
}
