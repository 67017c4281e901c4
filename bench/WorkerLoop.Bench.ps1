#Requires -Version 5.1
<#
.SYNOPSIS
    Per-task overhead of Invoke-WorkerLoop's script-block adapter, sequential and parallel (reused runspaces).

.DESCRIPTION
    Runs the same N trivial tasks three ways against the embedded engine (in memory), in one process, and reports
    per-task wall time and the adapter's overhead as the difference to the baseline:

      baseline    the worker runtime with a compiled no-op handler (no PowerShell per task);
      sequential  Invoke-WorkerLoop -ScriptBlock { param($n) $n } (pipeline thread, caller's runspace);
      parallel    the same with -ThrottleLimit (pooled, reused runspaces), and the baseline at the same concurrency.

    Overhead per task = (mode time - baseline time at the same concurrency) / N. Target: <= 1 ms per trivial task.
    Each measurement runs -Repeat times after one warm-up run; the median is reported.

.EXAMPLE
    ./build.ps1; pwsh -NoProfile -File bench/WorkerLoop.Bench.ps1 -Tasks 2000 -ThrottleLimit 4
#>
[CmdletBinding()]
param(
    [int] $Tasks = 2000,
    [int] $ThrottleLimit = 4,
    [int] $Repeat = 3,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/ConductorTools/ConductorTools.psd1')
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
Connect-Conductor -Embedded -DatabasePath ':memory:' | Out-Null

$taskType = 'bench_wl_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
Register-TaskDef -Name $taskType -RetryCount 0 -ResponseTimeoutSeconds 60 | Out-Null
Register-WorkflowDef -InputObject @{
    name = "$taskType-wf"; version = 1; schemaVersion = 2
    tasks = @(@{ name = $taskType; taskReferenceName = 't'; type = 'SIMPLE'; inputParameters = @{ n = '${workflow.input.n}' } })
} -Overwrite | Out-Null

function Start-Batch {
    for ($i = 0; $i -lt $Tasks; $i++) { Start-Workflow -Name "$taskType-wf" -Version 1 -Input @{ n = $i } | Out-Null }
}

function Measure-Run([scriptblock] $Run) {
    $times = foreach ($r in 0..$Repeat) {
        Start-Batch
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $summary = & $Run
        $sw.Stop()
        if ($summary.Completed -ne $Tasks) { throw "Expected $Tasks completed tasks, got $($summary.Completed)." }
        if ($r -gt 0) { $sw.Elapsed.TotalMilliseconds } # run 0 warms up (JIT, runspaces, engine caches)
    }
    ($times | Sort-Object)[[int][math]::Floor(($times.Count - 1) / 2)]
}

$noOp = [ConductorTools.PowerShell.WorkerLoop.Bench]::NoOpRunner
$results = [ordered]@{}
$results['baseline x1'] = Measure-Run { Invoke-WorkerLoop -TaskType $taskType -ScriptBlock { param($n) $n } -Once -BaselineNoOp }
