#Requires -Version 5.1
<#
.SYNOPSIS
    Builds ConductorTools, stages the module into out/ConductorTools, and runs the tests.
.PARAMETER Task
    Build     - build the local server into out/server, then stage out/ConductorTools (manifest, assemblies,
                dependencies/ with SQLite for every platform, format views, MAML help built from docs/en-US, about_ topics).
    Test      - stage, then run `dotnet test`: every xunit project and the Pester suite in PowerShell 7 (pwsh and Pester
                from the repository's pins; every cmdlet against the embedded engine and against the local server). In
                Windows PowerShell 5.1, the Pester suite then runs in powershell.exe too.
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

# A child shell of the same kind as this one, by a path that exists for every kind of install: powershell.exe for Windows
# PowerShell, the running executable for a normal pwsh install, and `dotnet <$PSHOME/pwsh.dll>` for pwsh as a .NET tool
# (whose process is dotnet itself).
function Get-ChildShell {
    if ($PSVersionTable.PSEdition -ne 'Core') { return @((Join-Path $PSHOME 'powershell.exe')) }
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    @($process)
}

function Invoke-ChildShell([string] $Script) {
    $shell = @(Get-ChildShell)
    $arguments = @($shell | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Script)
    Invoke-Native $shell[0] $arguments
}

function Build-Server {
    # The local Conductor-compatible server (conductortools-server), for `dotnet out/server/conductortools-server.dll`.
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/ConductorTools.Server/ConductorTools.Server.csproj'), '-c', $Configuration, '-o', $server)
}

function Build-Module {
    # One staging for everyone (module/ConductorTools.Module.csproj): assemblies, dependencies/ with SQLite for every
    # platform, format views, MAML help built from docs/en-US, about_ topics.
    Invoke-Native dotnet @('build', (Join-Path $root 'module/ConductorTools.Module.csproj'), '-c', $Configuration, "-p:ModuleStagingDir=$staging")
    Test-ModuleManifest (Join-Path $staging 'ConductorTools.psd1') | Out-Null
    Write-Host "Staged $staging"
}

function Test-Module {
    # dotnet test runs every xunit project and the Pester suite in PowerShell 7 (pwsh and Pester pinned by the repository).
    Invoke-Native dotnet @('test', (Join-Path $root 'ConductorTools.slnx'), '-c', $Configuration)
    if ($PSVersionTable.PSEdition -eq 'Core') { return }
    # Windows PowerShell 5.1 as well: the same suite in powershell.exe against the staged module, with the Pester package
    # dotnet test restored.
    $packages = ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
    $env:CONDUCTORTOOLS_PESTER = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    $env:CONDUCTORTOOLS_MODULE = $staging
    $env:CONDUCTORTOOLS_SERVER_DLL = Join-Path $root "src/ConductorTools.Server/bin/$Configuration/net10.0/conductortools-server.dll"
    $results = Join-Path $root 'TestResults/Pester-Desktop'
    New-Item -ItemType Directory -Path $results -Force | Out-Null
    Invoke-ChildShell "& '$(Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1')' -ResultDirectory '$results'"
}

function Invoke-Quickstart {
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$staging/ConductorTools.psd1'
Connect-Conductor -Embedded -DatabasePath ':memory:'
Register-TaskDef greet -RetryCount 1 -TimeoutSeconds 60
Register-WorkflowDef @{ name = 'hello'; version = 1; tasks = @(@{ name = 'greet'; taskReferenceName = 'greet'; inputParameters = @{ name = '`${workflow.input.name}' } }); outputParameters = @{ greeting = '`${greet.output.greeting}' } } -Force
`$id = Start-Workflow hello @{ name = 'Conductor' }
Invoke-WorkerLoop -TaskType greet -ScriptBlock { param(`$name) @{ greeting = "Hello, `$name!" } } -Once | Out-Null
Wait-Workflow `$id -Timeout 00:00:30 | Select-Object WorkflowId, Status, @{ n = 'Output'; e = { `$_.Output | ConvertTo-Json -Compress } }
"@
    Invoke-ChildShell $script
}

function Save-Package {
    # A .nupkg in out/repo, the way the PowerShell Gallery takes it: PSResourceGet where it ships (PowerShell 7.4+),
    # PowerShellGet's Publish-Module on Windows PowerShell.
    $repo = Join-Path $root 'out/repo'
    New-Item -ItemType Directory -Path $repo -Force | Out-Null
    Get-ChildItem $repo -Filter 'ConductorTools.*.nupkg' | Remove-Item
    if (Get-Command Publish-PSResource -ErrorAction Ignore) {
        if (-not (Get-PSResourceRepository -Name ConductorToolsLocal -ErrorAction Ignore)) {
            Register-PSResourceRepository -Name ConductorToolsLocal -Uri $repo -Trusted
        }
        Publish-PSResource -Path $staging -Repository ConductorToolsLocal
    }
    else {
        if (-not (Get-PSRepository -Name ConductorToolsLocal -ErrorAction Ignore)) {
            Register-PSRepository -Name ConductorToolsLocal -SourceLocation $repo -PublishLocation $repo -InstallationPolicy Trusted
        }
        Publish-Module -Path $staging -Repository ConductorToolsLocal
    }
    Write-Host "Package written to $repo"
}

switch ($Task) {
    'Build' { Build-Server; Build-Module }
    'Test' { Build-Module; Test-Module }
    'Quickstart' { Build-Module; Invoke-Quickstart }
    'Package' { Build-Module; Save-Package }
}
