#Requires -Modules Pester
# The staged module as users get it: copied anywhere and imported by path, installed from a package with
# Install-PSResource and imported by name, and side by side with another module that ships other versions of the same
# third-party assemblies. Each test runs in a fresh child shell, so what it proves is what a new session sees.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $StagedModule = Split-Path (Get-TestModulePath)

    # The README's PowerShell quick start, on the embedded engine, printing one line a test can check.
    $QuickStart = @'
Connect-Conductor -Embedded -DatabasePath ':memory:'
Register-TaskDef greet -RetryCount 1 -TimeoutSeconds 60 -Confirm:$false
Register-WorkflowDef @{ name = 'hello'; version = 1; tasks = @(@{ name = 'greet'; taskReferenceName = 'greet'; inputParameters = @{ name = '${workflow.input.name}' } }); outputParameters = @{ greeting = '${greet.output.greeting}' } } -Force -Confirm:$false
$id = Start-Workflow hello @{ name = 'Ann' } -Confirm:$false
Invoke-WorkerLoop greet { param($name) @{ greeting = "Hello $name" } } -Once | Out-Null
$wf = Wait-Workflow $id -Timeout 00:00:30
"RESULT $($wf.Status) $($wf.Output.greeting)"
'@
}

Describe 'The staged module' {
    It 'passes Test-ModuleManifest and exports every cmdlet it declares' {
        $manifest = Test-ModuleManifest (Join-Path $StagedModule 'ConductorTools.psd1')
        $manifest.Name | Should -Be 'ConductorTools'
        $declared = (Import-PowerShellDataFile (Join-Path $StagedModule 'ConductorTools.psd1')).CmdletsToExport
        $result = Invoke-ChildShell @"
Import-Module '$StagedModule/ConductorTools.psd1' -ErrorAction Stop
(Get-Command -Module ConductorTools -CommandType Cmdlet).Name -join ','
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        ($result.Output.Trim() -split ',' | Sort-Object) | Should -Be ($declared | Sort-Object)
    }

    It 'works from a copy in any folder: import by path, Connect-Conductor -Embedded, a workflow to completion' {
        $copy = Join-Path $TestDrive 'anywhere/ConductorTools'
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item $StagedModule $copy -Recurse
        $result = Invoke-ChildShell "Set-Location '$TestDrive'; Import-Module '$copy/ConductorTools.psd1' -ErrorAction Stop`n$QuickStart"
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'RESULT COMPLETED Hello Ann'
    }

    It 'runs the README''s PowerShell quick start as written, from a copy of the staged module' {
        # The block after the marker in README.md, with its Import-Module path pointing at a copy in a temporary folder
        # and the embedded engine's default database under a temporary data folder.
        $readme = Get-Content -Raw (Join-Path (Get-TestRepoRoot) 'README.md')
        $readme -match '(?s)<!-- The block below is run as written[^\n]*-->\s*```powershell\s*(.*?)```' | Should -BeTrue
        $block = $Matches[1]
        $copy = Join-Path $TestDrive 'readme/out/ConductorTools'
        New-Item -ItemType Directory -Path (Split-Path $copy) -Force | Out-Null
        Copy-Item $StagedModule $copy -Recurse
        $data = Join-Path $TestDrive 'readme-data'
        New-Item -ItemType Directory -Path $data -Force | Out-Null
        $result = Invoke-ChildShell -Environment @{ XDG_DATA_HOME = $data; LOCALAPPDATA = $data } -Script @"
Set-Location '$(Join-Path $TestDrive 'readme')'
`$ErrorActionPreference = 'Stop'
$block
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'COMPLETED'
        Test-Path (Join-Path $data 'conductortools/conductor.db') | Should -BeTrue -Because 'the default embedded database is where the docs say'
    }

    It 'installs from its package with Install-PSResource and imports by name' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        # An empty module path and an empty repository list: HOME (and the XDG folders) point into the test drive, where
        # PSResourceGet keeps its repository registrations and its CurrentUser module folder.
        $fakeHome = Join-Path $TestDrive 'home'
        $repository = Join-Path $TestDrive 'repository'
        New-Item -ItemType Directory -Path $fakeHome, $repository -Force | Out-Null
        $environment = @{
            HOME = $fakeHome; USERPROFILE = $fakeHome; XDG_DATA_HOME = (Join-Path $fakeHome '.local/share'); XDG_CONFIG_HOME = (Join-Path $fakeHome '.config')
            LOCALAPPDATA = (Join-Path $fakeHome 'AppData/Local'); APPDATA = (Join-Path $fakeHome 'AppData/Roaming'); PSModulePath = ''
        }
        # .NET reports a special folder that does not exist as '' (and PSResourceGet would then write below the current
        # directory), so they are created first.
        foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'LOCALAPPDATA', 'APPDATA') { New-Item -ItemType Directory -Path $environment[$name] -Force | Out-Null }
        $result = Invoke-ChildShell -Environment $environment -Script @"
`$ErrorActionPreference = 'Stop'
Set-Location '$TestDrive'
Register-PSResourceRepository -Name ConductorToolsTest -Uri '$repository' -Trusted
Publish-PSResource -Path '$StagedModule' -Repository ConductorToolsTest
Install-PSResource ConductorTools -Repository ConductorToolsTest -Scope CurrentUser -TrustRepository
'INSTALLED ' + (Get-Module ConductorTools -ListAvailable).ModuleBase
Import-Module ConductorTools
$QuickStart
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match ('INSTALLED ' + [regex]::Escape($fakeHome))
        $result.Output | Should -Match 'RESULT COMPLETED Hello Ann'
    }
}

Describe 'Dependency isolation beside another module' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
    # A throwaway module that ships older Azure.Core and Microsoft.Data.Sqlite (from this repository's package downloads,
    # see ConductorTools.Module.Tests.csproj) and uses them from script. Both modules must work in one session, whichever
    # is imported first, and ConductorTools must run on its own copies in its own load context.
    BeforeAll {
        $conflicting = @($env:CONDUCTORTOOLS_CONFLICT_ASSEMBLIES -split [IO.Path]::PathSeparator | Where-Object { $_ })
        if ($conflicting.Count -lt 2) { throw 'CONDUCTORTOOLS_CONFLICT_ASSEMBLIES must name the other Azure.Core and Microsoft.Data.Sqlite assemblies (tests/ConductorTools.Module.Tests sets it).' }
        $other = Join-Path $TestDrive 'OtherModule'
        New-Item -ItemType Directory -Path $other -Force | Out-Null
        Copy-Item $conflicting $other
        Set-Content (Join-Path $other 'OtherModule.psm1') -Value @'
function Get-OtherModuleState {
    $token = [Azure.Core.AccessToken]::new('secret', [DateTimeOffset]::UtcNow.AddMinutes(5))
    $builder = [Microsoft.Data.Sqlite.SqliteConnectionStringBuilder]::new('Data Source=other.db')
    'OTHER Azure.Core {0} {1}; Microsoft.Data.Sqlite {2} {3}' -f [Azure.Core.AccessToken].Assembly.GetName().Version,
        ($token.ExpiresOn -gt [DateTimeOffset]::UtcNow), [Microsoft.Data.Sqlite.SqliteConnectionStringBuilder].Assembly.GetName().Version, $builder.DataSource
}
'@
        New-ModuleManifest (Join-Path $other 'OtherModule.psd1') -RootModule 'OtherModule.psm1' -FunctionsToExport 'Get-OtherModuleState' `
            -RequiredAssemblies (Get-ChildItem $other -Filter *.dll | ForEach-Object Name)
        $otherVersions = $conflicting | ForEach-Object { [Reflection.AssemblyName]::GetAssemblyName($_) } | ForEach-Object { '{0} {1}' -f $_.Name, $_.Version }

        $ours = @'
$loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'Azure.Core', 'Microsoft.Data.Sqlite' } |
    ForEach-Object { '{0} {1} {2}' -f $_.GetName().Name, $_.GetName().Version, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }
'LOADED ' + (($loaded | Sort-Object) -join '; ')
# What ConductorTools.Engine bound to: the Microsoft.Data.Sqlite of the connection type its storage uses.
$engine = [ConductorTools.Engine.EmbeddedConductor].Assembly
$sqlite = $engine.GetReferencedAssemblies() | Where-Object Name -eq 'Microsoft.Data.Sqlite'
'ENGINE WANTS ' + $sqlite.Version
'@
    }

    It 'works when the other module is imported <Order>' -ForEach @(
        @{ Order = 'first'; First = 'OtherModule'; Second = 'ConductorTools' }
        @{ Order = 'after ConductorTools'; First = 'ConductorTools'; Second = 'OtherModule' }
    ) {
        $paths = @{ OtherModule = (Join-Path $other 'OtherModule.psd1'); ConductorTools = (Join-Path $StagedModule 'ConductorTools.psd1') }
        $result = Invoke-ChildShell @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($paths[$First])'
Import-Module '$($paths[$Second])'
Get-OtherModuleState
$QuickStart
Get-OtherModuleState
$ours
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'RESULT COMPLETED Hello Ann'
        # The other module keeps its own versions, before and after ConductTools ran the embedded engine and a worker loop.
        $otherLines = @($result.Output -split "`n" | Where-Object { $_ -like 'OTHER *' })
        $otherLines.Count | Should -Be 2
        foreach ($line in $otherLines) {
            foreach ($version in $otherVersions) { $line | Should -Match ([regex]::Escape(($version -split ' ')[1])) }
        }
        # ConductorTools' own copies are loaded too, in its load context, beside the other module's.
        $result.Output | Should -Match 'Azure.Core [0-9.]+ ConductorTools'
        $result.Output | Should -Match 'Microsoft.Data.Sqlite [0-9.]+ ConductorTools'
    }
}
