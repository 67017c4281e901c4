# Timer-triggered Conductor worker cycle (PowerShell variant of the ConductorTools Functions app).
# Invoke-WorkerCycle is Core's FunctionCycleRunner, the code the .NET app runs: it binds the CONDUCTOR_* app settings
# (a bad setting fails the invocation with every problem listed), bounds the cycle by host.json's functionTimeout less
# CONDUCTOR_SAFETY_MARGIN, works on this folder's group (ConductorWorkers_<group> for a named group), hands back what
# cannot finish and logs the summary. Copy this folder as ConductorWorkers_<group> for another group.
# With CONDUCTOR_DISPATCH_MODE=FanOut it runs no cycle: ConductorDispatcher queues work and ConductorFanOut runs it.
param($Timer)

Import-Module ConductorTools    # Modules/ is first on PSModulePath in a PowerShell function app: the bundled copy

$cycle = @{ Workers = . "$PSScriptRoot/../workers.ps1"; Timer = $Timer; FunctionDirectory = $PSScriptRoot }
if ($connection = . "$PSScriptRoot/../connection.ps1") { $cycle.Connection = $connection }
Invoke-WorkerCycle @cycle
