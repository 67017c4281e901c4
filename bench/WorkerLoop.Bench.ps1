#Requires -Version 5.1
<#
.SYNOPSIS
    Per-task overhead of Invoke-WorkerLoop's script-block adapter, sequential and parallel (reused runspaces).

.DESCRIPTION
    Runs batches of N trivial tasks against an in-memory embedded engine, in one process, four ways:

      baseline x1   the worker loop (same Core host and runtime) with a compiled no-op handler, 1 at a time
      sequential    Invoke-WorkerLoop -ScriptBlock { param($n) $n }          (pipeline thread, caller's runspace)
      baseline xT   the no-op handler with concurrency T
      parallel xT   Invoke-WorkerLoop -ScriptBlock { param($n) $n } -ThrottleLimit T   (T reused runspaces)

    Adapter overhead per task = (script time - baseline time at the same concurrency) / N: what binding, running the
    script block, capturing its streams and mapping its output cost on top of polling and reporting. Each figure is
    the median of -Repeat runs after one warm-up run (JIT, runspace creation, engine caches). Target: <= 1 ms per
    trivial task with reused runspaces. Also reports the runspaces created in parallel mode (must stay <= T).

.EXAMPLE
    dotnet build -c Release module/ConductorTools.Module.csproj   # or ./build.ps1 -Task Build, which stages out/ConductorTools
    dotnet tool run pwsh -NoProfile -File bench/WorkerLoop.Bench.ps1 -Tasks 2000 -ThrottleLimit 4
#>
[CmdletBinding()]
param(
    [ValidateRange(10, 1000000)] [int] $Tasks = 2000,
    [ValidateRange(1, 64)] [int] $ThrottleLimit = 4,
    [ValidateRange(1, 20)] [int] $Repeat = 3,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/ConductorTools/ConductorTools.psd1')
)

$ErrorActionPreference = 'Stop'
if (-not (Test-Path $ModulePath)) {
    # Not staged by build.ps1: the staging of `dotnet build -c Release module/ConductorTools.Module.csproj`.
    $ModulePath = Join-Path $PSScriptRoot '../module/bin/Release/ConductorTools/ConductorTools.psd1'
}
Import-Module $ModulePath
$core = [ConductorTools.Model.ConductorTask].Assembly.Location
$engineOptions = [ConductorTools.Engine.EmbeddedConductorOptions]@{ DatabasePath = ':memory:' }
$engine = [ConductorTools.Engine.EmbeddedConductor]::Open($engineOptions)

# The baseline handler is compiled: a script block must never run on a thread-pool thread without a runspace.
# ConductorTools.Core is netstandard2.0: the compiler needs the netstandard facade beside it on every edition.
$references = @($core, 'netstandard')
Add-Type -ReferencedAssemblies $references -TypeDefinition @'
using System.Threading;
using System.Threading.Tasks;
using ConductorTools.Model;
public static class WorkerLoopBenchNoOp
{
    public static Task<TaskResult> Handle(ConductorTask task, CancellationToken cancellationToken)
    {
        return Task.FromResult(TaskResult.For(task, TaskResultStatus.COMPLETED, null));
    }
}
'@
$noOp = [Delegate]::CreateDelegate([ConductorTools.Workers.TaskHandler], [WorkerLoopBenchNoOp].GetMethod('Handle'))

function Wait-Async($Task) { $Task.GetAwaiter().GetResult() }

$taskType = 'bench_wl_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
$null = Wait-Async $engine.RegisterTaskDefsAsync([ConductorTools.Model.TaskDef[]] @([ConductorTools.Model.TaskDef]::new($taskType)), [Threading.CancellationToken]::None)
$wfTask = [ConductorTools.Model.WorkflowTask]@{ Name = $taskType; TaskReferenceName = 't'; Type = 'SIMPLE' }
$wfTask.InputParameters = [Collections.Generic.Dictionary[string, object]]::new()
$wfTask.InputParameters['n'] = '${workflow.input.n}'
$wfDef = [ConductorTools.Model.WorkflowDef]@{ Name = "$taskType-wf"; Version = 1 }
$wfDef.Tasks.Add($wfTask)
$null = Wait-Async $engine.RegisterWorkflowDefAsync($wfDef, $true, [Threading.CancellationToken]::None)

function Start-Batch {
    for ($i = 0; $i -lt $Tasks; $i++) {
        $wfInput = [Collections.Generic.Dictionary[string, object]]::new()
        $wfInput['n'] = $i
        $null = Wait-Async $engine.StartWorkflowAsync("$taskType-wf", $wfInput, 1, $null, 0, [Threading.CancellationToken]::None)
    }
}

# The same worker runtime Invoke-WorkerLoop runs on, with a compiled no-op handler.
function Invoke-Baseline([int] $Concurrency) {
    $options = [ConductorTools.Workers.WorkerOptions]@{ Concurrency = $Concurrency }
    $definition = [ConductorTools.Workers.WorkerDefinition]::new($taskType, $noOp, $options)
    $runner = [ConductorTools.Workers.WorkerRunner]::new($engine, [ConductorTools.Workers.WorkerDefinition[]] @($definition), $null, $null, $null)
    Wait-Async $runner.RunAsync([Threading.CancellationToken]::None, [ConductorTools.Workers.WorkerRunLimits]@{ StopWhenIdle = $true })
}

# Every mode returns the runtime's own summary, so each is checked the same way.
function Measure-Mode([string] $Name, [scriptblock] $Run, [string] $Count = 'Completed') {
    $times = foreach ($r in 0..$Repeat) {
        Start-Batch
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $summary = & $Run
        $sw.Stop()
        if ($summary.$Count -ne $Tasks) { throw "$Name ran $($summary.$Count) of $Tasks tasks ($Count)." }
        if ($r -gt 0) { $sw.Elapsed.TotalMilliseconds }
    }
    $sorted = @($times | Sort-Object)
    [pscustomobject]@{ Mode = $Name; MedianMs = $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)] }
}

$script = { param($n) $n }
$results = @(
    Measure-Mode 'baseline x1' { Invoke-Baseline 1 }
    Measure-Mode 'sequential' { Invoke-WorkerLoop -TaskType $taskType -ScriptBlock $script -Once -Connection $engine }
    Measure-Mode "baseline x$ThrottleLimit" { Invoke-Baseline $ThrottleLimit }
    Measure-Mode "parallel x$ThrottleLimit" { Invoke-WorkerLoop -TaskType $taskType -ScriptBlock $script -Once -ThrottleLimit $ThrottleLimit -Connection $engine }
)
$runspacesBefore = @(Get-Runspace).Count
Start-Batch
$null = Invoke-WorkerLoop -TaskType $taskType -ScriptBlock $script -Once -ThrottleLimit $ThrottleLimit -Connection $engine
$leaked = @(Get-Runspace).Count - $runspacesBefore

$perTask = { param($ms) [math]::Round($ms * 1000 / $Tasks, 1) }
$results | ForEach-Object {
    [pscustomobject]@{ Mode = $_.Mode; 'Total ms' = [math]::Round($_.MedianMs); 'us/task' = & $perTask $_.MedianMs }
} | Format-Table -AutoSize
$seqOverhead = ($results[1].MedianMs - $results[0].MedianMs) / $Tasks
$parOverhead = ($results[3].MedianMs - $results[2].MedianMs) / $Tasks
"Adapter overhead per task: sequential {0:N3} ms, parallel x{1} {2:N3} ms (target <= 1 ms). Runspaces left after a parallel run: {3}." -f `
    $seqOverhead, $ThrottleLimit, $parOverhead, $leaked
"PowerShell $($PSVersionTable.PSVersion) $([Runtime.InteropServices.RuntimeInformation]::OSDescription); tasks $Tasks; repeat $Repeat."
$engine.Dispose()
