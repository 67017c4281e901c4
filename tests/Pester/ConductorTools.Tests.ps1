#Requires -Modules Pester
# End-to-end tests of every ConductorTools cmdlet (issue 6) against the embedded engine and the local server.
# Run by build.ps1 (and by `dotnet test` when pwsh and Pester 5 are on PATH).

BeforeDiscovery {
    $script:Backends = @(@{ Backend = 'Embedded' }, @{ Backend = 'LocalServer' })
}

BeforeAll {
    $repoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $modulePath = Join-Path $repoRoot 'out/ConductorTools/ConductorTools.psd1'
    if (-not (Test-Path $modulePath)) {
        $modulePath = Get-ChildItem (Join-Path $repoRoot 'src/ConductorTools/bin') -Recurse -Filter ConductorTools.dll |
            Sort-Object LastWriteTime -Descending | Select-Object -First 1 -ExpandProperty FullName
    }
    if (-not (Get-Module ConductorTools)) { Import-Module $modulePath -ErrorAction Stop }

    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in 'run', '--no-build', '--project', (Join-Path $repoRoot 'src/ConductorTools.Server'), '--', '--urls', 'http://127.0.0.1:0', '--db', ':memory:') { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $script:ServerProcess = [System.Diagnostics.Process]::Start($psi)
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ([DateTime]::UtcNow -lt $deadline -and -not $script:ServerUrl) {
        $line = $script:ServerProcess.StandardOutput.ReadLine()
        if ($null -eq $line) { break }
        if ($line -match '(http://127\.0\.0\.1:\d+)') { $script:ServerUrl = $Matches[1] }
    }
    if (-not $script:ServerUrl) { throw 'The local server did not report its address within 60 s.' }

    function Connect-TestBackend([string] $Backend) {
        if ($Backend -eq 'Embedded') { Connect-Conductor -Embedded -DatabasePath ':memory:' }
        else { Connect-Conductor "$script:ServerUrl/api" }
    }

    function New-HelloWorkflow([string] $Name) {
        Register-TaskDef "greet_$Name" -RetryCount 0 -TimeoutSeconds 60 -Confirm:$false
        Register-WorkflowDef @{
            name = $Name; version = 1
            tasks = @(@{ name = "greet_$Name"; taskReferenceName = 'greet'; inputParameters = @{ who = '${workflow.input.who}' } })
            outputParameters = @{ greeting = '${greet.output.greeting}' }
        } -Force -Confirm:$false
    }
}

AfterAll {
    Disconnect-Conductor
    if ($script:ServerProcess -and -not $script:ServerProcess.HasExited) { $script:ServerProcess.Kill() }
}

Describe 'ConductorTools on <Backend>' -ForEach $Backends {
    BeforeAll { Connect-TestBackend $Backend }

    It 'connects and reports the connection' {
        $c = Get-ConductorConnection
        $expected = if ($Backend -eq 'Embedded') { 'Embedded' } else { 'Server' }
        $c.Kind | Should -Be $expected
    }

    It 'registers, gets, updates and removes task definitions' {
        Register-TaskDef 'pester_td' -RetryCount 2 -RetryLogic EXPONENTIAL_BACKOFF -TimeoutSeconds 120 -Confirm:$false
        $def = Get-TaskDef 'pester_td'
        $def.RetryCount | Should -Be 2
        $def.ResponseTimeoutSeconds | Should -Be 120
        (Get-TaskDef 'pester_*').Name | Should -Contain 'pester_td'
        $def.RetryCount = 4
        $def | Set-TaskDef -Confirm:$false
        (Get-TaskDef 'pester_td').RetryCount | Should -Be 4
        @{ name = 'pester_td2'; retryCount = 0 } | Register-TaskDef -Confirm:$false
        Remove-TaskDef 'pester_td', 'pester_td2' -Confirm:$false
        { Get-TaskDef 'pester_td' -ErrorAction Stop } | Should -Throw -ErrorId 'ConductorTools.NotFound*'
    }

    It 'rejects an invalid definition listing every problem' {
        $err = $null
        Register-WorkflowDef @{ name = 'bad'; tasks = @() } -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.Validation*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'runs a workflow end to end with a script-block worker' {
        New-HelloWorkflow 'pester_hello'
        $id = Start-Workflow 'pester_hello' @{ who = 'Ann' } -CorrelationId 'pc-1' -Confirm:$false
        Invoke-WorkerLoop -TaskType 'greet_pester_hello' -ScriptBlock { param($who) @{ greeting = "Hello $who" } } -Once | Out-Null
        $wf = Wait-Workflow $id -Timeout 00:00:30
        $wf.Status | Should -Be 'COMPLETED'
        $wf.Output.greeting | Should -Be 'Hello Ann'
        (Get-Workflow -Name 'pester_hello' -CorrelationId 'pc-1').WorkflowId | Should -Contain $id
        (Get-Task -WorkflowId $id).Status | Should -Be 'COMPLETED'
    }

    It 'terminates, restarts, retries, pauses and removes workflows' {
        New-HelloWorkflow 'pester_ops'
        $id = Start-Workflow 'pester_ops' @{ who = 'Bo' } -Confirm:$false
        Suspend-Workflow $id -Confirm:$false
        (Get-Workflow $id).Status | Should -Be 'PAUSED'
        Resume-Workflow $id -Confirm:$false
        Stop-Workflow $id -Reason 'pester' -Confirm:$false
        (Get-Workflow $id).Status | Should -Be 'TERMINATED'
        Restart-Workflow $id -Confirm:$false
        (Get-Workflow $id).Status | Should -Be 'RUNNING'
        (Get-TaskQueue "greet_pester_ops").Pending | Should -Be 1
        Invoke-WorkerLoop -TaskType 'greet_pester_ops' -ScriptBlock { throw 'nope' } -Once -WarningAction SilentlyContinue | Out-Null
        (Get-Workflow $id).Status | Should -Be 'FAILED'
        Get-Workflow -Name 'pester_ops' -Status FAILED | Redo-Workflow -Confirm:$false
        (Get-Workflow $id).Status | Should -Be 'RUNNING'
        Stop-Workflow $id -Confirm:$false
        Remove-Workflow $id -Confirm:$false
        { Get-Workflow $id -ErrorAction Stop } | Should -Throw -ErrorId 'ConductorTools.NotFound*'
    }

    It 'completes a WAIT task from outside and supports -WhatIf' {
        Register-WorkflowDef @{ name = 'pester_wait'; version = 1; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Force -Confirm:$false
        $id = Start-Workflow 'pester_wait' -Confirm:$false
        Complete-Task -WorkflowId $id -TaskReferenceName 'hold' -Output @{ ok = $true } -WhatIf
        (Get-Workflow $id).Status | Should -Be 'RUNNING'
        Complete-Task -WorkflowId $id -TaskReferenceName 'hold' -Output @{ ok = $true } -Confirm:$false
        (Wait-Workflow $id -Timeout 00:00:10).Status | Should -Be 'COMPLETED'
    }

    It 'builds task results for full control' {
        $r = New-TaskResult IN_PROGRESS @{ step = 1 } -CallbackAfterSeconds 30 -Log 'waiting'
        $r.Status | Should -Be 'IN_PROGRESS'
        $r.CallbackAfterSeconds | Should -Be 30
        $r.Logs[0].Log | Should -Be 'waiting'
    }
}
