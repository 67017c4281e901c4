# The fan-out's queue function: one bounded cycle of this folder's group (ConductorFanOut_<group> for a named group, whose
# function.json then reads %CONDUCTOR_FANOUT_QUEUE%-<group>) per work message, the same cycle as the timer's. A message that
# is not a work message fails the invocation (no cycle runs); the host retries it and then moves it to <queue>-poison.
param($QueueItem, $TriggerMetadata)

Import-Module ConductorTools

$cycle = @{ Workers = . "$PSScriptRoot/../workers.ps1"; Message = $QueueItem; FunctionDirectory = $PSScriptRoot }
if ($connection = . "$PSScriptRoot/../connection.ps1") { $cycle.Connection = $connection }
Invoke-WorkerCycle @cycle
