# Timer-triggered Conductor worker cycle (PowerShell variant of the ConductorTools Functions app).
# One invocation = one bounded Invoke-WorkerLoop run over this function's group of task types.
param($Timer)

$ErrorActionPreference = 'Stop'

# Modules/ is first on PSModulePath in a PowerShell function app: this loads the bundled copy.
Import-Module ConductorTools

$appRoot = Split-Path -Parent $PSScriptRoot
$start = [DateTimeOffset]::UtcNow

# Settings, validation and the deadline rule are Core's (ConductorTools.Hosting), the same code the .NET app runs:
# the invocation ends by functionTimeout (host.json, or the plan's default) less CONDUCTOR_SAFETY_MARGIN, and no task is
# polled later than CONDUCTOR_DRAIN_TIMEOUT before that. A bad setting throws one error listing every problem.
$settings = [ConductorTools.Hosting.ConductorHostSettings]::FromEnvironment()
$deadline = [ConductorTools.Hosting.CycleDeadline]::ForFunctionApp($settings, $appRoot, $start)

# One timer function per group of task types: folder ConductorWorkers works on the 'default' group (every task type in
# no CONDUCTOR_TASK_GROUPS group); a copy named ConductorWorkers_<group> works on <group>.
$functionName = Split-Path -Leaf $PSScriptRoot
$group = if ($functionName -match '^ConductorWorkers_(.+)$') { $Matches[1] } else { 'default' }

$allWorkers = . (Join-Path $appRoot 'workers.ps1')
$taskTypes = $settings.TaskTypesFor($group, [string[]] @($allWorkers.Keys))
if ($taskTypes.Count -eq 0) {
    Write-Warning "Conductor cycle [$group]: no task type to work on (workers.ps1 defines: $(@($allWorkers.Keys) -join ', '))."
    return
}
$workers = @{}
foreach ($type in $taskTypes) { $workers[$type] = $allWorkers[$type] }

# -DrainTimeout: in-flight tasks get from PollUntil to the deadline to finish; the rest is handed back to Conductor
# (requeued for the next poll, never left to responseTimeoutSeconds).
$loop = @{
    Workers      = $workers
    Until        = $deadline.PollUntil.UtcDateTime
    DrainTimeout = $deadline.Deadline - $deadline.PollUntil
    ErrorAction  = 'Continue'   # a worker script's non-terminating error must not end the whole cycle
}
# Invoke-WorkerLoop's throttle is per task type: the group's highest configured concurrency (put task types that need
# different limits in different groups). With none configured, scripts run one at a time.
$limits = @($taskTypes | ForEach-Object { $settings.ConcurrencyFor($_) } | Where-Object { $null -ne $_ })
if ($limits.Count -gt 0) { $loop.ThrottleLimit = ($limits | Measure-Object -Maximum).Maximum }

if ($Timer.IsPastDue) {
    Write-Warning "Conductor cycle [$group]: this run is past due (the app was idle or down when it was scheduled)."
}
Write-Information "Conductor cycle [$group] starting: $($taskTypes -join ', '); $deadline; throttle $($loop.ThrottleLimit ?? 'sequential'); $settings" -InformationAction Continue

# Auth as selected by the settings (Core): Orkes key/secret, or an Entra token from the app's managed identity through
# Az.Accounts (shipped with the PowerShell worker). Tokens are renewed by Connect-Conductor's -TokenProvider.
$connect = @{ ServerUrl = $settings.ServerUrl.AbsoluteUri }
switch ($settings.AuthMode.ToString()) {
    'OrkesKey' {
        $secret = ConvertTo-SecureString $settings.KeySecret -AsPlainText -Force
        $connect.Credential = [pscredential]::new($settings.KeyId, $secret)
    }
    { $_ -in 'ManagedIdentity', 'DefaultAzureCredential' } {
        if (-not (Get-AzContext -ErrorAction SilentlyContinue)) {
            $identity = @{ Identity = $true }
            if ($settings.ManagedIdentityClientId) { $identity.AccountId = $settings.ManagedIdentityClientId }
            Connect-AzAccount @identity | Out-Null
        }
        $resource = $settings.Scope -replace '/\.default$', ''
        $connect.TokenProvider = { Get-AzAccessToken -ResourceUrl $resource }.GetNewClosure()
    }
}
Connect-Conductor @connect

$summary = Invoke-WorkerLoop @loop

$line = "Conductor cycle [$group] done: polled $($summary.Polled), completed $($summary.Completed), failed $($summary.Failed), " +
    "handed back $($summary.HandedBack), update retries $($summary.UpdateRetries) in $([math]::Round($summary.Duration.TotalSeconds, 1)) s ($($summary.StopReason))."
if ($summary.Failed -gt 0 -or $summary.HandedBack -gt 0) { Write-Warning $line } else { Write-Information $line -InformationAction Continue }
