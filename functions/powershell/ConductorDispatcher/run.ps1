# The fan-out's dispatcher timer (CONDUCTOR_DISPATCH_MODE=FanOut; does nothing otherwise). Invoke-WorkerDispatch is Core's
# FanOutDispatcher, the code the .NET app runs: one queue-size call for this folder's group (ConductorDispatcher_<group>
# for a named group); when there is a backlog, one work message per cycle still needed on the group's queue
# (%CONDUCTOR_FANOUT_QUEUE%, or %CONDUCTOR_FANOUT_QUEUE%-<group>), less the cycles queued or running, at most
# CONDUCTOR_FANOUT_MAX_CYCLES. The queue is on AzureWebJobsStorage, the queue trigger's connection.
param($Timer)

Import-Module ConductorTools

$dispatch = @{ Workers = . "$PSScriptRoot/../workers.ps1"; Timer = $Timer; FunctionDirectory = $PSScriptRoot }
if ($connection = . "$PSScriptRoot/../connection.ps1") { $dispatch.Connection = $connection }
Invoke-WorkerDispatch @dispatch
