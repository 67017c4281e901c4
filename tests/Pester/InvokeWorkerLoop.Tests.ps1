#Requires -Modules Pester
# Contract tests of Invoke-WorkerLoop (issue 7): every clause of the script-block contract, sequential and parallel,
# against the embedded engine and the local server. Run by build.ps1 in a fresh pwsh / powershell.exe.
# Every loop here is bounded by -Once, -MaxTasks or -Duration, so a broken contract fails instead of hanging.

BeforeDiscovery {
    $script:Backends = @(
        @{ Backend = 'Embedded' }
        @{ Backend = 'LocalServer' }
    )
    $script:Modes = @(
        @{ Mode = 'Sequential'; Throttle = @{} }
        @{ Mode = 'Parallel'; Throttle = @{ ThrottleLimit = 3 } }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-TestModule
    # The local server (conductortools-server from the build output) on a free loopback port, in-memory, for this file.
    $TestServer = Start-TestServer

    # The suite talks to the backends through Core's IConductorApi directly (the engine in-process, or the HTTP client
    # against the local server) and hands that to Invoke-WorkerLoop -Connection, so it depends on no other cmdlet.

    function Connect-TestApi([string] $Backend) {
        if ($Backend -eq 'Embedded') {
            $script:Api = [ConductorTools.Engine.EmbeddedConductor]::Open([ConductorTools.Engine.EmbeddedConductorOptions]@{ DatabasePath = ':memory:' })
        }
        else {
            $options = [ConductorTools.Http.ConductorClientOptions]::new()
            $options.ServerUrl = [uri] $TestServer.ApiUrl
            $script:Api = [ConductorTools.Http.HttpConductorApi]::new($options, $null, $null, $null)
        }
        $global:PSDefaultParameterValues['Invoke-WorkerLoop:Connection'] = $script:Api
    }

    function Disconnect-TestApi {
        $global:PSDefaultParameterValues.Remove('Invoke-WorkerLoop:Connection')
        $script:Api.Dispose()
    }

    # A one-task workflow per test so tests never see each other's tasks.
    function New-TestTaskType {
        $name = 'wl_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $def = [ConductorTools.Model.TaskDef]::new($name)
        $def.RetryCount = 0
        $def.ResponseTimeoutSeconds = 30
        $null = Wait-Async $script:Api.RegisterTaskDefsAsync([ConductorTools.Model.TaskDef[]] @($def), $script:None)
        $task = [ConductorTools.Model.WorkflowTask]@{ Name = $name; TaskReferenceName = 't'; Type = 'SIMPLE' }
        $task.InputParameters = [Collections.Generic.Dictionary[string, object]]::new()
        foreach ($key in 'name', 'count', 'Mode') { $task.InputParameters[$key] = '${workflow.input.' + $key + '}' }
        $wf = [ConductorTools.Model.WorkflowDef]@{ Name = "$name-wf"; Version = 1 }
        $wf.Tasks.Add($task)
        $null = Wait-Async $script:Api.RegisterWorkflowDefAsync($wf, $true, $script:None)
        $name
    }

    function Start-TestWorkflow([string] $TaskType, [hashtable] $Values = @{}) {
        $wfInput = [Collections.Generic.Dictionary[string, object]]::new()
        foreach ($k in $Values.Keys) { $wfInput[$k] = $Values[$k] }
        Wait-Async $script:Api.StartWorkflowAsync("$TaskType-wf", $wfInput, 1, $null, 0, $script:None)
    }

    function Get-TestTask([string] $WorkflowId) {
        (Wait-Async $script:Api.GetWorkflowAsync($WorkflowId, $true, $script:None)).Tasks[0]
    }

    function Get-RunspaceCount { @(Get-Runspace).Count }
}

AfterAll {
    Stop-TestServer $TestServer
}

Describe 'Invoke-WorkerLoop script-block contract (<Backend>)' -ForEach $Backends {
    BeforeAll { Connect-TestApi $Backend }
    AfterAll { Disconnect-TestApi }

    Context '<Mode> mode' -ForEach $Modes {
        It 'binds input to parameters by name, case-insensitively, and $Task to the whole task' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type @{ name = 'Ada'; count = 2 }
            Invoke-WorkerLoop -TaskType $type -ScriptBlock {
                param($NAME, [int] $Count)
                @{ greeting = "hi $NAME x$Count"; taskId = $Task.taskId; retry = $Task.retryCount; wf = $Task.workflowInstanceId }
            } -Once @Throttle | Out-Null
            $task = Get-TestTask $id
            $task.status | Should -Be 'COMPLETED'
            $task.outputData.greeting | Should -Be 'hi Ada x2'
            $task.outputData.taskId | Should -Be $task.taskId
            $task.outputData.retry | Should -Be 0
            $task.outputData.wf | Should -Be $id
        }

        It 'gives $Task to a script block without a param block' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type @{ name = 'x' }
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { $Task.inputData.name } -Once @Throttle | Out-Null
            (Get-TestTask $id).outputData.result | Should -Be 'x'
        }

        It 'fails the task, without prompting, when a mandatory parameter has no input' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type @{ name = 'x' }
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { param([Parameter(Mandatory)] $Missing) 'unreached' } -Once @Throttle -ErrorAction SilentlyContinue | Out-Null
            $task = Get-TestTask $id
            $task.status | Should -Be 'FAILED'
            $task.reasonForIncompletion | Should -Match "'Missing'"
        }

        It 'maps a scalar to outputData.result and several outputs to an array' {
            $type = New-TestTaskType
            $one = Start-TestWorkflow $type @{ name = 'one' }
            $two = Start-TestWorkflow $type @{ name = 'two' }
            Invoke-WorkerLoop -TaskType $type -ScriptBlock {
                param($name)
                if ($name -eq 'one') { 42 } else { 1; 'b'; @{ c = 3 } }
            } -Once @Throttle | Out-Null
            (Get-TestTask $one).outputData.result | Should -Be 42
            $many = (Get-TestTask $two).outputData.result
            $many.Count | Should -Be 3
            $many[1] | Should -Be 'b'
            $many[2].c | Should -Be 3
        }

        It 'maps a PSCustomObject to outputData' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { [pscustomobject]@{ a = 1; b = @('x', 'y') } } -Once @Throttle | Out-Null
            $out = (Get-TestTask $id).outputData
            $out.a | Should -Be 1
            $out.b | Should -Be @('x', 'y')
        }

        It 'uses a task result output as is (IN_PROGRESS with callback)' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            Invoke-WorkerLoop -TaskType $type -ScriptBlock {
                $result = [ConductorTools.Model.TaskResult]@{ Status = 'IN_PROGRESS'; CallbackAfterSeconds = 60 }
                $result.OutputData = [Collections.Generic.Dictionary[string, object]]::new()
                $result.OutputData['step'] = 1
                $result.AddLog('waiting')
            } -Once @Throttle | Out-Null
            $task = Get-TestTask $id
            # conductor-oss keeps such a task IN_PROGRESS and only postpones its queue message (WorkflowExecutorOps.updateTask:
            # task status from the result, then queueDAO.postpone(..., callbackAfterSeconds)); the embedded engine shows it
            # SCHEDULED until the callback is due. Both backends here are the engine, so this asserts the engine's state; the
            # difference is listed in docs/embedded-engine.md. Either way it is not handed out again before the callback.
            $task.Status | Should -Be 'SCHEDULED'
            $task.CallbackAfterSeconds | Should -Be 60
            $task.OutputData.step | Should -Be 1
            @(Wait-Async $script:Api.BatchPollAsync($type, 1, [timespan]::Zero, 'pester', $null, $script:None)).Count | Should -Be 0
        }

        It 'uses a New-TaskResult as is' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { New-TaskResult -Status IN_PROGRESS -CallbackAfterSeconds 60 -Output @{ step = 2 } } -Once @Throttle | Out-Null
            $task = Get-TestTask $id
            $task.Status | Should -Be 'SCHEDULED'   # the engine's IN_PROGRESS-with-callback state: see the test above
            $task.CallbackAfterSeconds | Should -Be 60
            $task.OutputData.step | Should -Be 2
        }

        It 'fails the task on a terminating error with its message and the script stack in the log' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            $records = Invoke-WorkerLoop -TaskType $type -ScriptBlock { throw 'boom' } -Once -PassThru @Throttle -ErrorAction SilentlyContinue |
                Where-Object { $_ -is [ConductorTools.Workers.Scripting.WorkerLoopTaskRecord] }
            $task = Get-TestTask $id
            $task.status | Should -Be 'FAILED'
            $task.reasonForIncompletion | Should -Be 'boom'
            $records[0].Logs | Should -Contain '[FAILED] boom'
            ($records[0].Logs -join "`n") | Should -Match 'line 1'
        }

        It 'keeps the failure line in the stored task log after many log lines' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { 1..40 | ForEach-Object { Write-Information "step $_" }; throw 'boom' } -Once @Throttle -WarningAction SilentlyContinue | Out-Null
            $task = Get-TestTask $id
            $task.status | Should -Be 'FAILED'
            $logs = @(Wait-Async $script:Api.GetTaskLogsAsync($task.taskId, $script:None)).Log
            $logs | Should -Contain 'step 1'
            $logs | Should -Contain 'step 40'
            $logs | Should -Contain '[FAILED] boom'
        }

        It 'fails without retry on the non-retryable form: <Form>' -ForEach @(
            @{ Form = 'ErrorRecord NonRetryable'; Script = { throw [System.Management.Automation.ErrorRecord]::new([Exception]::new('bad input'), 'NonRetryable', 'InvalidData', $null) } }
            @{ Form = 'ErrorId NonRetryable'; Script = { Write-Error 'bad input' -ErrorId NonRetryable -ErrorAction Stop } }
            @{ Form = 'NonRetryableException'; Script = { throw [ConductorTools.Workers.NonRetryableException]::new('bad input') } }
            @{ Form = 'task result'; Script = { [ConductorTools.Model.TaskResult]@{ Status = 'FAILED_WITH_TERMINAL_ERROR'; ReasonForIncompletion = 'bad input' } } }
        ) {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            Invoke-WorkerLoop -TaskType $type -ScriptBlock $Script -Once @Throttle -ErrorAction SilentlyContinue | Out-Null
            $task = Get-TestTask $id
            $task.status | Should -Be 'FAILED_WITH_TERMINAL_ERROR'
            $task.reasonForIncompletion | Should -Be 'bad input'
        }

        It 'logs non-terminating errors and still completes the task (ErrorActionPreference Continue)' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            $out = Invoke-WorkerLoop -TaskType $type -ScriptBlock { Write-Error 'soft'; 'done' } -Once -PassThru @Throttle 2>&1
            $errors = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            $errors.Count | Should -Be 1
            $errors[0].ToString() | Should -Be 'soft'
            $task = Get-TestTask $id
            $task.status | Should -Be 'COMPLETED'
            $record = $out | Where-Object { $_ -is [ConductorTools.Workers.Scripting.WorkerLoopTaskRecord] }
            $record.Logs | Should -Contain '[ERROR] soft'
        }

        It 'fails the task when the script sets ErrorActionPreference Stop and writes an error' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { $ErrorActionPreference = 'Stop'; Write-Error 'hard'; 'unreached' } -Once @Throttle -ErrorAction SilentlyContinue | Out-Null
            $task = Get-TestTask $id
            $task.status | Should -Be 'FAILED'
            $task.reasonForIncompletion | Should -Be 'hard'
        }

        It 'turns information, verbose and warning records into task logs and still shows them' {
            $type = New-TestTaskType
            Start-TestWorkflow $type | Out-Null
            $out = Invoke-WorkerLoop -TaskType $type -ScriptBlock {
                Write-Information 'info'; Write-Host 'host'; Write-Verbose 'verb' -Verbose; Write-Warning 'warn'; 'ok'
            } -Once -PassThru -Verbose @Throttle 6>&1 4>&1 3>&1
            @($out | Where-Object { $_ -is [System.Management.Automation.InformationRecord] } | ForEach-Object { "$($_.MessageData)" }) | Should -Contain 'info'
            ($out | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Message | Should -Contain 'warn'
            ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'verb'
            $record = $out | Where-Object { $_ -is [ConductorTools.Workers.Scripting.WorkerLoopTaskRecord] }
            $record.Logs | Should -Contain 'info'
            $record.Logs | Should -Contain 'host'
            $record.Logs | Should -Contain '[VERBOSE] verb'
            $record.Logs | Should -Contain '[WARNING] warn'
        }

        It 'runs several task types from a -Workers table' {
            $a = New-TestTaskType; $b = New-TestTaskType
            $ia = Start-TestWorkflow $a; $ib = Start-TestWorkflow $b
            $summary = Invoke-WorkerLoop -Workers @{ $a = { 'A' }; $b = { 'B' } } -Once @Throttle
            $summary.Completed | Should -Be 2
            (Get-TestTask $ia).outputData.result | Should -Be 'A'
            (Get-TestTask $ib).outputData.result | Should -Be 'B'
        }

        It 'stops after -MaxTasks and leaves the rest queued' {
            $type = New-TestTaskType
            $ids = 1..5 | ForEach-Object { Start-TestWorkflow $type }
            $summary = Invoke-WorkerLoop -TaskType $type -ScriptBlock { 'x' } -MaxTasks 2 @Throttle
            $summary.Completed | Should -Be 2
            $summary.StopReason | Should -Be 'MaxTasks'
            @($ids | Where-Object { (Get-TestTask $_).status -eq 'COMPLETED' }).Count | Should -Be 2
        }

        It '-MaxTasks 1 takes exactly one task, through update-v2 chaining too' {
            $type = New-TestTaskType
            $ids = 1..3 | ForEach-Object { Start-TestWorkflow $type }
            $summary = Invoke-WorkerLoop -TaskType $type -ScriptBlock { 'x' } -MaxTasks 1 @Throttle
            $summary.Polled | Should -Be 1
            $summary.Completed | Should -Be 1
            $summary.HandedBack | Should -Be 0
            $tasks = $ids | ForEach-Object { Get-TestTask $_ }
            @($tasks | Where-Object status -eq 'COMPLETED').Count | Should -Be 1
            # The others were never handed out: not polled once, so nothing waits behind a hand-back callback.
            @($tasks | Where-Object { $_.status -eq 'SCHEDULED' -and $_.pollCount -eq 0 }).Count | Should -Be 2
        }

        It 'turns the script''s verbose and debug streams on with -Verbose and -Debug, without prompting' {
            $type = New-TestTaskType
            Start-TestWorkflow $type | Out-Null
            $out = Invoke-WorkerLoop -TaskType $type -ScriptBlock { Write-Verbose 'v-on'; Write-Debug 'd-on'; 'ok' } -Once -PassThru -Verbose -Debug @Throttle 4>&1 5>&1
            $record = $out | Where-Object { $_ -is [ConductorTools.Workers.Scripting.WorkerLoopTaskRecord] }
            $record.Status | Should -Be 'COMPLETED'
            $record.Logs | Should -Contain '[VERBOSE] v-on'
            $record.Logs | Should -Contain '[DEBUG] d-on'
            ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'v-on'
        }

        It 'stops at the first error a script writes under -ErrorAction Stop, leaving the rest queued' {
            $type = New-TestTaskType
            $ids = 1..8 | ForEach-Object { Start-TestWorkflow $type }
            # The error comes first and the script then takes a moment, so the stop lands while the first tasks still run.
            { Invoke-WorkerLoop -TaskType $type -ScriptBlock { Write-Error 'soft'; Start-Sleep -Milliseconds 300; 'done' } -Once -ErrorAction Stop @Throttle } |
                Should -Throw '*soft*'
            $tasks = $ids | ForEach-Object { Get-TestTask $_ }
            # The script's error is non-terminating for the script (its task completes), but stops the loop at once: the
            # tasks already running finish, nothing more is taken.
            @($tasks | Where-Object status -eq 'COMPLETED').Count | Should -BeGreaterOrEqual 1
            @($tasks | Where-Object status -eq 'SCHEDULED').Count | Should -BeGreaterOrEqual 1
            @($tasks | Where-Object status -eq 'IN_PROGRESS').Count | Should -Be 0
        }

        It '-Once drains what is queued, then returns' {
            $type = New-TestTaskType
            1..4 | ForEach-Object { Start-TestWorkflow $type } | Out-Null
            $summary = Invoke-WorkerLoop -TaskType $type -ScriptBlock { 'x' } -Once @Throttle
            $summary.Completed | Should -Be 4
            $summary.StopReason | Should -Be 'QueuesEmpty'
        }

        It '-Duration stops taking tasks after the time' {
            $type = New-TestTaskType
            $summary = Invoke-WorkerLoop -TaskType $type -ScriptBlock { 'x' } -Duration '00:00:01' @Throttle
            $summary.StopReason | Should -Be 'Deadline'
            $summary.Duration | Should -BeGreaterOrEqual ([timespan]'00:00:01')   # the runner waits out a timer that fires early
        }

        It 'writes per-task records with -PassThru and the summary last' {
            $type = New-TestTaskType
            1..2 | ForEach-Object { Start-TestWorkflow $type } | Out-Null
            $out = @(Invoke-WorkerLoop -TaskType $type -ScriptBlock { 'x' } -Once -PassThru @Throttle)
            $out.Count | Should -Be 3
            $out[0] | Should -BeOfType ([ConductorTools.Workers.Scripting.WorkerLoopTaskRecord])
            $out[-1] | Should -BeOfType ([ConductorTools.Workers.WorkerCycleSummary])
            $out[-1].Polled | Should -Be 2
        }

        It 'registers missing task definitions with -RegisterTaskDef' {
            $name = 'wl_reg_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Invoke-WorkerLoop -TaskType $name -ScriptBlock { } -Once -RegisterTaskDef @Throttle | Out-Null
            (Wait-Async $script:Api.GetTaskDefAsync($name, $script:None)).Name | Should -Be $name
        }
    }

    Context 'parallel mode specifics' {
        It 'resolves $using: values on the calling thread' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            $prefix = 'from caller'
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { "$using:prefix!" } -Once -ThrottleLimit 2 | Out-Null
            (Get-TestTask $id).outputData.result | Should -Be 'from caller!'
        }

        It 'refuses a script block as a $using: value' {
            $sb = { 1 }
            { Invoke-WorkerLoop -TaskType 'x' -ScriptBlock { & $using:sb } -Once -ThrottleLimit 2 } |
                Should -Throw -ErrorId 'ConductorTools.InvalidWorkerScript,ConductorTools.PowerShell.WorkerLoop.InvokeWorkerLoopCommand'
        }

        It 'runs -InitializationScript once per runspace' {
            $type = New-TestTaskType
            $ids = 1..6 | ForEach-Object { Start-TestWorkflow $type }
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { Get-Greeting } -Once -ThrottleLimit 2 -InitializationScript {
                function Get-Greeting { 'hello from init' }
            } | Out-Null
            $ids | ForEach-Object { (Get-TestTask $_).outputData.result | Should -Be 'hello from init' }
        }

        It 'reuses at most ThrottleLimit runspaces and leaks none' {
            $type = New-TestTaskType
            1..20 | ForEach-Object { Start-TestWorkflow $type } | Out-Null
            $before = Get-RunspaceCount
            $records = Invoke-WorkerLoop -TaskType $type -ScriptBlock { "$([runspace]::DefaultRunspace.InstanceId)" } -Once -ThrottleLimit 3 -PassThru |
                Where-Object { $_ -is [ConductorTools.Workers.Scripting.WorkerLoopTaskRecord] }
            @($records).Count | Should -Be 20
            @($records | ForEach-Object { $_.OutputData.result } | Sort-Object -Unique).Count | Should -BeLessOrEqual 3
            Get-RunspaceCount | Should -Be $before
        }

        It 'never shares the caller''s ScriptBlock: script state is per runspace' {
            $type = New-TestTaskType
            1..6 | ForEach-Object { Start-TestWorkflow $type } | Out-Null
            $records = Invoke-WorkerLoop -TaskType $type -ScriptBlock { $global:n++; $global:n } -Once -ThrottleLimit 2 -PassThru |
                Where-Object { $_ -is [ConductorTools.Workers.Scripting.WorkerLoopTaskRecord] }
            ($records | ForEach-Object { $_.OutputData.result } | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 6
            $global:n | Should -BeNullOrEmpty
        }
    }

    Context 'stop (Ctrl+C)' {
        # PowerShell.Stop() on the pipeline running Invoke-WorkerLoop is what Ctrl+C and Stop-Job do. Each test proves the
        # worker took the task and its script was running (a marker file it writes first), then the task's state after the stop.
        BeforeAll {
            function Start-StoppableLoop([string] $Type, [string] $Marker, [int] $Seconds, [hashtable] $Extra) {
                $ps = [powershell]::Create()
                $null = $ps.AddScript({
                        param($ModulePath, $Type, $Connection, $Marker, $Seconds, $Extra)
                        Import-Module $ModulePath
                        Invoke-WorkerLoop -TaskType $Type -Connection $Connection -ScriptBlock ([scriptblock]::Create(
                                "Set-Content -LiteralPath '$Marker' -Value started; Start-Sleep -Seconds $Seconds; 'finished'")) @Extra
                    }).AddArgument((Get-TestModulePath)).AddArgument($Type).AddArgument($script:Api).AddArgument($Marker).AddArgument($Seconds).AddArgument($Extra)
                $null = $ps.BeginInvoke()
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                while (-not (Test-Path -LiteralPath $Marker) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
                $ps
            }
        }

        It 'hands back the task whose script was running when a sequential loop is stopped, never completing it' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            $marker = Join-Path $TestDrive "$type.started"
            $ps = Start-StoppableLoop $type $marker 5 @{ DrainTimeout = '00:00:20' }
            Test-Path -LiteralPath $marker | Should -BeTrue -Because 'the worker took the task and its script started'
            (Get-TestTask $id).status | Should -Be 'IN_PROGRESS'
            $ps.Stop()
            $ps.Dispose()
            # A sequential script runs as a nested pipeline of the stopped one, so PowerShell stops it at once: its partial
            # output is not a result, and the task goes back to Conductor (SCHEDULED in the engine), ready to be polled again.
            $task = Get-TestTask $id
            $task.status | Should -Be 'SCHEDULED'
            $task.outputData.result | Should -BeNullOrEmpty
            $again = @(Wait-Async $script:Api.BatchPollAsync($type, 1, [timespan]::FromSeconds(2), 'pester', $null, $script:None))
            $again.Count | Should -Be 1
            $again[0].taskId | Should -Be $task.taskId
        }

        It 'lets the running script of a parallel loop finish within -DrainTimeout and delivers its result' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            $marker = Join-Path $TestDrive "$type.started"
            $ps = Start-StoppableLoop $type $marker 2 @{ DrainTimeout = '00:00:20'; ThrottleLimit = 2 }
            Test-Path -LiteralPath $marker | Should -BeTrue -Because 'the worker took the task and its script started'
            (Get-TestTask $id).status | Should -Be 'IN_PROGRESS'
            $ps.Stop()
            $ps.Dispose()
            $task = Get-TestTask $id
            $task.status | Should -Be 'COMPLETED'
            $task.outputData.result | Should -Be 'finished'
        }

        It 'hands back what cannot finish within -DrainTimeout' {
            $type = New-TestTaskType
            $id = Start-TestWorkflow $type
            $marker = Join-Path $TestDrive "$type.started"
            $ps = Start-StoppableLoop $type $marker 60 @{ DrainTimeout = '00:00:01'; ThrottleLimit = 1 }
            Test-Path -LiteralPath $marker | Should -BeTrue -Because 'the worker took the task and its script started'
            (Get-TestTask $id).status | Should -Be 'IN_PROGRESS'
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the 60 s script is abandoned after the 1 s drain'
            $ps.Dispose()
            # Handed back: the engine requeues it (SCHEDULED again), never left IN_PROGRESS until the response timeout.
            $task = Get-TestTask $id
            $task.status | Should -Be 'SCHEDULED'
            $task.outputData.result | Should -BeNullOrEmpty
        }
    }
}

Describe 'Invoke-WorkerLoop parameters' {
    It 'rejects <Case>' -ForEach @(
        @{ Case = '-InitializationScript without -ThrottleLimit'; Splat = @{ TaskType = 'x'; ScriptBlock = { }; InitializationScript = { }; Once = $true } }
        @{ Case = '-Until in the past'; Splat = @{ TaskType = 'x'; ScriptBlock = { }; Until = [datetime]'2000-01-01' } }
        @{ Case = 'a sub-millisecond -PollInterval'; Splat = @{ TaskType = 'x'; ScriptBlock = { }; PollInterval = [timespan]100; Once = $true } }
        @{ Case = 'a -Workers entry that is not a script block'; Splat = @{ Workers = @{ x = 'not a script' }; Once = $true } }
    ) {
        { Invoke-WorkerLoop @Splat } | Should -Throw
    }
}
