<#
.SYNOPSIS
    Runs the whole Pester suite of this folder and writes its totals to <ResultDirectory>/summary.txt
    ("N passed, N failed, N skipped") and NUnit XML to <ResultDirectory>/pester.xml; exits with the failed count.
.DESCRIPTION
    Used by tests/ConductorTools.Module.Tests (dotnet test) and build.ps1. Pester is imported from $env:CONDUCTORTOOLS_PESTER
    (the package's Pester.psd1) when set, else the newest installed Pester 5. The module under test comes from
    $env:CONDUCTORTOOLS_MODULE and the local server from $env:CONDUCTORTOOLS_SERVER_DLL (see Common.ps1).
#>
param(
    [Parameter(Mandatory)] [string] $ResultDirectory,
    [string[]] $Path = @($PSScriptRoot)
)
# No $ErrorActionPreference = 'Stop' here: the suites run in this scope's children, and sequential worker scripts would
# inherit it (a Write-Error would then fail the task).
if ($env:CONDUCTORTOOLS_PESTER) { Import-Module $env:CONDUCTORTOOLS_PESTER -Force -ErrorAction Stop }
else { Import-Module Pester -MinimumVersion 5.1.0 -ErrorAction Stop }

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = Join-Path $ResultDirectory 'pester.xml'
$result = Invoke-Pester -Configuration $configuration

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
$summary = '{0} passed, {1} failed, {2} skipped' -f $result.PassedCount, $failed, ($result.SkippedCount + $result.NotRunCount)
Set-Content -Path (Join-Path $ResultDirectory 'summary.txt') -Value $summary
Write-Host "Pester: $summary"
exit $failed
