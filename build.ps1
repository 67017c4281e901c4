#Requires -Version 5.1
<#
.SYNOPSIS
    Builds ConductorTools, stages the module into out/ConductorTools, and runs the tests.
.PARAMETER Task
    Build     - build the local server into out/server, then compile and stage out/ConductorTools (manifest,
                assemblies, format views, MAML help built from docs/en-US, about_ topics).
    Test      - Build, then run `dotnet test` and the Pester suite in a fresh pwsh (every cmdlet against the embedded
                engine and against out/server, which the suite starts on a free loopback port).
    Quickstart - Build, then run the quick start with the cmdlets on the embedded engine.
    Package   - Build, then save the staged module as a .nupkg under out/ for the PowerShell Gallery.
.PARAMETER Configuration
    Debug or Release (default).
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Quickstart', 'Package')]
    [string] $Task = 'Test',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$staging = Join-Path $root 'out/ConductorTools'
$server = Join-Path $root 'out/server'

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Build-Server {
    # The local Conductor-compatible server (conductortools-server) the Pester suites run every cmdlet against.
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/ConductorTools.Server/ConductorTools.Server.csproj'), '-c', $Configuration, '-o', $server)
}

function Build-Module {
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/ConductorTools/ConductorTools.csproj'), '-c', $Configuration, '-o', (Join-Path $root 'out/publish'))
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    New-Item -ItemType Directory -Path $staging, (Join-Path $staging 'en-US') | Out-Null
    Copy-Item (Join-Path $root 'ConductorTools.psd1') $staging
    # PowerShell and its own assemblies come from the host; everything else the module needs ships with it.
    Get-ChildItem (Join-Path $root 'out/publish') -File |
        Where-Object { $_.Name -notlike 'System.Management.Automation*' -and $_.Extension -in '.dll', '.so', '.dylib' } |
        Copy-Item -Destination $staging
    $runtimes = Join-Path $root 'out/publish/runtimes'
    if (Test-Path $runtimes) { Copy-Item $runtimes $staging -Recurse }   # SQLite native libraries per platform
    Copy-Item (Join-Path $root 'module/*.format.ps1xml') $staging
    Copy-Item (Join-Path $root 'module/en-US/*') (Join-Path $staging 'en-US')
    # MAML help (en-US/ConductorTools.dll-Help.xml) from the markdown pages in docs/en-US and the compiled cmdlets, by
    # tools/ConductorTools.HelpBuilder (no platyPS needed); it fails the build when a page or description is missing.
    Invoke-Native dotnet @('run', '--project', (Join-Path $root 'tools/ConductorTools.HelpBuilder'), '-c', $Configuration, '--',
        (Join-Path $root 'out/publish/ConductorTools.dll'), (Join-Path $root 'docs/en-US'), (Join-Path $staging 'en-US/ConductorTools.dll-Help.xml'))
    Test-ModuleManifest (Join-Path $staging 'ConductorTools.psd1') | Out-Null
    Write-Host "Staged $staging"
}

function Test-Module {
    Invoke-Native dotnet @('test', (Join-Path $root 'ConductorTools.slnx'), '-c', $Configuration)
    # 5.1 brought -ForEach on Describe, which the suites use to run once per backend.
    if (-not (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.1.0')) {
        Install-Module Pester -MinimumVersion 5.1.0 -Scope CurrentUser -Force -SkipPublisherCheck -Repository PSGallery
    }
    # A fresh process, so the freshly built assemblies are the ones loaded.
    $pwsh = if ($PSVersionTable.PSEdition -eq 'Core') { (Get-Process -Id $PID).Path } else { 'powershell.exe' }
    $serverDll = Join-Path $server 'conductortools-server.dll'
    $script = "Import-Module Pester -MinimumVersion 5.1.0; `$env:CONDUCTORTOOLS_MODULE = '$staging'; `$env:CONDUCTORTOOLS_SERVER_DLL = '$serverDll'; " +
        "`$r = Invoke-Pester -Path '$(Join-Path $root 'tests/Pester')' -Output Detailed -PassThru; exit `$r.FailedCount"
    Invoke-Native $pwsh @('-NoProfile', '-NonInteractive', '-Command', $script)
}

function Invoke-Quickstart {
    $script = @"
Import-Module '$staging/ConductorTools.psd1'
Connect-Conductor -Embedded -DatabasePath ':memory:'
Register-TaskDef greet -RetryCount 1 -TimeoutSeconds 60
Register-WorkflowDef @{ name = 'hello'; version = 1; tasks = @(@{ name = 'greet'; taskReferenceName = 'greet'; inputParameters = @{ name = '`${workflow.input.name}' } }); outputParameters = @{ greeting = '`${greet.output.greeting}' } } -Force
`$id = Start-Workflow hello @{ name = 'Conductor' }
Invoke-WorkerLoop -TaskType greet -ScriptBlock { param(`$name) @{ greeting = "Hello, `$name!" } } -Once | Out-Null
Wait-Workflow `$id -Timeout 00:00:30 | Select-Object WorkflowId, Status, @{ n = 'Output'; e = { `$_.Output | ConvertTo-Json -Compress } }
"@
    $pwsh = if ($PSVersionTable.PSEdition -eq 'Core') { (Get-Process -Id $PID).Path } else { 'powershell.exe' }
    Invoke-Native $pwsh @('-NoProfile', '-NonInteractive', '-Command', $script)
}

switch ($Task) {
    'Build' { Build-Server; Build-Module }
    'Test' { Build-Server; Build-Module; Test-Module }
    'Quickstart' { Build-Module; Invoke-Quickstart }
    'Package' {
        Build-Module
        $repo = Join-Path $root 'out/repo'
        New-Item -ItemType Directory -Path $repo -Force | Out-Null
        Register-PSRepository -Name ConductorToolsLocal -SourceLocation $repo -PublishLocation $repo -InstallationPolicy Trusted -ErrorAction SilentlyContinue
        Publish-Module -Path $staging -Repository ConductorToolsLocal
        Write-Host "Package written to $repo"
    }
}
