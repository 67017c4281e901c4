#Requires -Modules Pester
# End-to-end tests of every ConductorTools cmdlet (issue 6) against the embedded engine and the local server.
# Run by build.ps1 (and by `dotnet test` when pwsh and Pester 5 are on PATH). Each Describe runs once per backend: a fresh
# in-memory embedded engine, and the local server (conductortools-server) this file starts on a free loopback port.

BeforeDiscovery {
    $script:Backends = @(@{ Backend = 'Embedded' }, @{ Backend = 'LocalServer' })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-TestModule
    # The local server on a free loopback port with an in-memory database, for the LocalServer runs of this file.
    $TestServer = Start-TestServer

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
    Stop-TestServer $TestServer
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

    It 'gets workflow definitions by name, wildcard and version, and removes a version' {
        foreach ($v in 1, 2) {
            Register-WorkflowDef @{ name = 'pester_defs'; version = $v; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Force -Confirm:$false
        }
        (Get-WorkflowDef 'pester_defs').Version | Should -Be 2
        (Get-WorkflowDef 'pester_defs' -Version 1).Version | Should -Be 1
        @(Get-WorkflowDef 'pester_def*' -AllVersions).Count | Should -Be 2
        Remove-WorkflowDef 'pester_defs' 1 -Confirm:$false
        @(Get-WorkflowDef 'pester_defs' -AllVersions).Version | Should -Be 2
        { Get-WorkflowDef 'pester_defs' -Version 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ConductorTools.NotFound*'
    }

    It 'starts a workflow and waits for it with -Wait' {
        Register-WorkflowDef @{
            name = 'pester_quick'; version = 1
            tasks = @(@{ name = 'setv'; taskReferenceName = 'setv'; type = 'SET_VARIABLE'; inputParameters = @{ seen = '${workflow.input.who}' } })
        } -Force -Confirm:$false
        $wf = Start-Workflow 'pester_quick' @{ who = 'Di' } -Wait -Timeout 00:00:30 -Confirm:$false
        $wf.Status | Should -Be 'COMPLETED'
        $wf.Variables.seen | Should -Be 'Di'
    }

    It 'runs a JSON_JQ_TRANSFORM task (the jq of the Conductor docs)' {
        Register-WorkflowDef @{
            name = 'pester_jq'; version = 1
            tasks = @(@{ name = 'shape'; taskReferenceName = 'shape'; type = 'JSON_JQ_TRANSFORM'
                    inputParameters = @{ orders = '${workflow.input.orders}'; queryExpression = '[.orders[] | select(.qty > 0) | .id]' } })
            outputParameters = @{ ids = '${shape.output.result}' }
        } -Force -Confirm:$false
        $wf = Start-Workflow 'pester_jq' @{ orders = @(@{ id = 'a'; qty = 1 }, @{ id = 'b'; qty = 0 }, @{ id = 'c'; qty = 3 }) } -Wait -Timeout 00:00:30 -Confirm:$false
        $wf.Status | Should -Be 'COMPLETED'
        $wf.Output.ids | Should -Be @('a', 'c')
    }

    It 'reruns a failed workflow with new input' {
        New-HelloWorkflow 'pester_rerun'
        $id = Start-Workflow 'pester_rerun' @{ who = 'Cy' } -Confirm:$false
        Invoke-WorkerLoop -TaskType 'greet_pester_rerun' -ScriptBlock { throw 'first try fails' } -Once -WarningAction SilentlyContinue | Out-Null
        (Get-Workflow $id).Status | Should -Be 'FAILED'
        Invoke-WorkflowRerun $id -Input @{ who = 'Ed' } -Confirm:$false | Should -Be $id
        (Get-Workflow $id).Status | Should -Be 'RUNNING'
        Invoke-WorkerLoop -TaskType 'greet_pester_rerun' -ScriptBlock { param($who) @{ greeting = "Hello $who" } } -Once | Out-Null
        $wf = Wait-Workflow $id -Timeout 00:00:30
        $wf.Status | Should -Be 'COMPLETED'
        $wf.Output.greeting | Should -Be 'Hello Ed'
    }

    It 'skips a task that is not scheduled yet' {
        Register-TaskDef 'pester_later' -RetryCount 0 -Confirm:$false
        Register-WorkflowDef @{
            name = 'pester_skip'; version = 1
            tasks = @(
                @{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }
                @{ name = 'pester_later'; taskReferenceName = 'later' }
            )
        } -Force -Confirm:$false
        $id = Start-Workflow 'pester_skip' -Confirm:$false
        Skip-WorkflowTask $id 'later' -Output @{ skipped = $true } -Confirm:$false
        Complete-Task -WorkflowId $id -TaskReferenceName 'hold' -Confirm:$false | Out-Null
        (Wait-Workflow $id -Timeout 00:00:10).Status | Should -Be 'COMPLETED'
        (Get-Task -WorkflowId $id -Status SKIPPED).ReferenceTaskName | Should -Be 'later'
        (Get-TaskQueue 'pester_later').Pending | Should -Be 0
    }

    It 'completes task types, workflow names and statuses with Tab' {
        Register-TaskDef 'pester_cmp_one' -Confirm:$false
        Register-TaskDef 'pester_cmp_two' -Confirm:$false
        Register-WorkflowDef @{ name = 'pester spaced wf'; version = 1; tasks = @(@{ name = 'pester_cmp_one'; taskReferenceName = 'one' }) } -Force -Confirm:$false
        function Get-Completion([string] $Line) { @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText) }

        (Get-Completion 'Get-TaskDef pester_cmp_') -join ',' | Should -Be 'pester_cmp_one,pester_cmp_two'
        (Get-Completion 'Invoke-WorkerLoop -TaskType *cmp_t') -join ',' | Should -Be 'pester_cmp_two'
        Get-Completion 'Start-Workflow -Name pester' | Should -Contain "'pester spaced wf'"
        (Get-Completion "Get-WorkflowDef 'pester sp") -join ',' | Should -Be "'pester spaced wf'"
        (Get-Completion 'Get-Workflow -Status TIM') -join ',' | Should -Be 'TIMED_OUT'
        (Get-Completion 'Get-Task -WorkflowId x -Status SKI') -join ',' | Should -Be 'SKIPPED'
        (Get-Completion 'Complete-Task -Status FAILED_W') -join ',' | Should -Be 'FAILED_WITH_TERMINAL_ERROR'
        (Get-Completion 'Get-TaskDef no_such_prefix_') -join ',' | Should -Be ''
    }

    It 'falls back to CONDUCTOR_SERVER_URL after Disconnect-Conductor' {
        $connected = Get-ConductorConnection
        $saved = $env:CONDUCTOR_SERVER_URL
        try {
            $env:CONDUCTOR_SERVER_URL = $TestServer.ApiUrl
            Disconnect-Conductor
            Get-TaskDef -WarningAction SilentlyContinue | Out-Null   # a command opens the default; Get-ConductorConnection only reports it
            $fallback = Get-ConductorConnection
            [object]::ReferenceEquals($connected, $fallback) | Should -BeFalse
            $fallback.Kind | Should -Be 'Server'
        }
        finally {
            $env:CONDUCTOR_SERVER_URL = $saved
            Connect-TestBackend $Backend
        }
    }
}
