#Requires -Modules Pester
# The PowerShell Functions app (functions/powershell) run as the Functions PowerShell worker runs it (issue 18): the app
# laid out as a deployment (host.json, profile.ps1, the function folder, workers.ps1, Modules/ConductorTools copied from
# the staged module), app settings as environment variables, profile.ps1 then run.ps1 called with param($Timer) (IsPastDue,
# ScheduleStatus) in a fresh child pwsh, against the local server. Cycles are a few seconds long (host.json's
# functionTimeout is set short in the layout, as a deployment would set it). The fan-out (dispatcher timer + queue
# function) runs against Azurite, installed from tests/ConductorTools.Functions.Tests/azurite with npm ci; those tests are
# skipped, with the reason, only when node or npm is not on PATH (the JS SDK tests' policy).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-TestModule
    $TestServer = Start-TestServer
    $options = [ConductorTools.Http.ConductorClientOptions]::new()
    $options.ServerUrl = [uri] $TestServer.ApiUrl
    $script:Api = [ConductorTools.Http.HttpConductorApi]::new($options, $null, $null, $null)

    foreach ($type in 'greet_ps', 'slow_ps') {
        $def = [ConductorTools.Model.TaskDef]::new($type)
        $def.RetryCount = 0
        $def.ResponseTimeoutSeconds = 600
        $null = Wait-Async $script:Api.RegisterTaskDefsAsync([ConductorTools.Model.TaskDef[]] @($def), $script:None)
        $task = [ConductorTools.Model.WorkflowTask]@{ Name = $type; TaskReferenceName = 't'; Type = 'SIMPLE' }
        $task.InputParameters = [Collections.Generic.Dictionary[string, object]]::new()
        $task.InputParameters['name'] = '${workflow.input.name}'
        $wf = [ConductorTools.Model.WorkflowDef]@{ Name = "$type-wf"; Version = 1 }
        $wf.Tasks.Add($task)
        $null = Wait-Async $script:Api.RegisterWorkflowDefAsync($wf, $true, $script:None)
    }

    function Start-TestWorkflow([string] $TaskType, [string] $Name) {
        $wfInput = [Collections.Generic.Dictionary[string, object]]::new()
        $wfInput['name'] = $Name
        Wait-Async $script:Api.StartWorkflowAsync("$TaskType-wf", $wfInput, 1, $null, 0, $script:None)
    }

    # The deployment layout: the shipped files, the staged module under Modules/, host.json's functionTimeout made short.
    # The shipped workers.ps1 is used as is; this app adds one slow worker of its own on top of it.
    $source = Join-Path (Get-TestRepoRoot) 'functions/powershell'
    $script:App = Join-Path ([IO.Path]::GetTempPath()) ('ct-psapp-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path (Join-Path $App 'Modules')
    Copy-Item (Join-Path $source 'profile.ps1'), (Join-Path $source 'connection.ps1') $App
    foreach ($function in 'ConductorWorkers', 'ConductorDispatcher', 'ConductorFanOut') { Copy-Item -Recurse (Join-Path $source $function) $App }
    Copy-Item (Join-Path $source 'workers.ps1') (Join-Path $App 'workers.shipped.ps1')
    Set-Content -Path (Join-Path $App 'workers.ps1') -Value @'
$workers = . "$PSScriptRoot/workers.shipped.ps1"
$workers['slow_ps'] = { param($Name) Start-Sleep -Seconds 60; @{ done = $Name } }
$workers
'@
    $hostJson = Get-Content (Join-Path $source 'host.json') -Raw | ConvertFrom-Json
    $hostJson.functionTimeout = '00:00:07'
    $hostJson | ConvertTo-Json -Depth 10 | Set-Content (Join-Path $App 'host.json')
    Copy-Item -Recurse (Split-Path -Parent (Get-TestModulePath)) (Join-Path $App 'Modules/ConductorTools')

    # App settings; a 7 s function timeout less a 1 s margin is a 6 s cycle that stops polling 1 s before its end.
    $script:Settings = @{
        FUNCTIONS_WORKER_RUNTIME = 'powershell'
        CONDUCTOR_SERVER_URL     = $TestServer.ApiUrl
        CONDUCTOR_POLL_SCHEDULE  = '0 */1 * * * *'
        CONDUCTOR_SAFETY_MARGIN  = '00:00:01'
        CONDUCTOR_DRAIN_TIMEOUT  = '00:00:01'
    }

    # What the PowerShell worker does: Modules/ first on PSModulePath, profile.ps1 once, then run.ps1 with the timer
    # binding's value as -Timer. Every stream is printed, tagged with its record type.
    function Invoke-TimerFunction([hashtable] $Settings, [bool] $IsPastDue = $false, [string] $Function = 'ConductorWorkers') {
        $script = @"
`$env:PSModulePath = '$App/Modules' + [IO.Path]::PathSeparator + `$env:PSModulePath
Set-Location '$App'
. '$App/profile.ps1'
`$now = [DateTime]::UtcNow
`$Timer = [ordered]@{
    Schedule       = [ordered]@{ AdjustForDST = `$true }
    ScheduleStatus = [ordered]@{ Last = `$now.AddMinutes(-1); Next = `$now.AddMinutes(1); LastUpdated = `$now.AddMinutes(-1) }
    IsPastDue      = `$$IsPastDue
}
try {
    & '$App/$Function/run.ps1' -Timer `$Timer *>&1 | ForEach-Object { '[' + `$_.GetType().Name + '] ' + `$_ }
    'RUN-OK'
}
catch {
    'RUN-FAILED ' + `$_.FullyQualifiedErrorId
    `$_.Exception.Message
}
"@
        $env = @{}
        foreach ($key in $Settings.Keys) { $env[$key] = $Settings[$key] }
        (Invoke-ChildShell -Script $script -Environment $env -TimeoutSeconds 120).Output
    }
}

AfterAll {
    $script:Api.Dispose()
    Stop-TestServer $TestServer
    if ($script:App) { Remove-Item -Recurse -Force $script:App -ErrorAction SilentlyContinue }
}

Describe 'The PowerShell Functions app run as the Functions PowerShell worker runs it' {
    It 'completes the queued tasks in one timer invocation and logs the summary' {
        $ids = 'Ada', 'Grace', 'Edsger' | ForEach-Object { Start-TestWorkflow 'greet_ps' $_ }

        $output = Invoke-TimerFunction $Settings -IsPastDue $true

        $output | Should -Match 'RUN-OK'
        $output | Should -Match 'Conductor cycle \[default\] starting for (greet_ps, slow_ps|slow_ps, greet_ps):'
        $output | Should -Match 'past due True'
        $output | Should -Match '\[InformationRecord\] Conductor cycle \[default\] done: polled 3, completed 3, failed 0, handed back 0'
        foreach ($id in $ids) {
            $wf = Wait-Async $script:Api.GetWorkflowAsync($id, $true, $script:None)
            $wf.Status | Should -Be 'COMPLETED'
            $wf.Tasks[0].OutputData['greeting'] | Should -BeLike 'Hello, *!'
        }
    }

    It 'hands a task that outlasts the deadline back to Conductor, where it can be polled again at once' {
        $id = Start-TestWorkflow 'slow_ps' 'Barbara'

        $output = Invoke-TimerFunction $Settings

        $output | Should -Match 'RUN-OK'
        $output | Should -Match '\[WarningRecord\] Conductor cycle \[default\] done: polled 1, completed 0, failed 0, handed back 1'
        $task = (Wait-Async $script:Api.GetWorkflowAsync($id, $true, $script:None)).Tasks[0]
        # Not stranded IN_PROGRESS until responseTimeoutSeconds (600 s here): queued again, the next poll gets it at once.
        $task.Status | Should -Not -Be 'COMPLETED'
        $again = Wait-Async $script:Api.PollAsync('slow_ps', 'pester', $null, $script:None)
        $again | Should -Not -BeNullOrEmpty
        $again.TaskId | Should -Be $task.TaskId
    }

    It 'works on the group its folder names (ConductorWorkers_mail)' {
        Copy-Item -Recurse (Join-Path $App 'ConductorWorkers') (Join-Path $App 'ConductorWorkers_mail')
        $id = Start-TestWorkflow 'greet_ps' 'Alan'
        $grouped = $Settings.Clone()
        $grouped.CONDUCTOR_TASK_GROUPS = 'mail=greet_ps'
        $grouped.CONDUCTOR_TASK_CONCURRENCY = 'greet_ps=2'

        $output = Invoke-TimerFunction $grouped -Function 'ConductorWorkers_mail'

        $output | Should -Match 'RUN-OK'
        $output | Should -Match 'Conductor cycle \[mail\] starting for greet_ps:'
        $output | Should -Match 'Conductor cycle \[mail\] done: polled 1, completed 1'
        (Wait-Async $script:Api.GetWorkflowAsync($id, $false, $script:None)).Status | Should -Be 'COMPLETED'
    }

    It 'runs -InitializationScript in each worker runspace, and stops the cycle before polling when it fails' {
        $id = Start-TestWorkflow 'greet_ps' 'Linus'
        $child = @"
`$env:PSModulePath = '$App/Modules' + [IO.Path]::PathSeparator + `$env:PSModulePath
Import-Module ConductorTools
`$workers = @{ greet_ps = { param(`$Name) @{ greeting = (Format-Greeting `$Name) } } }
try { Invoke-WorkerCycle -Workers `$workers -InitializationScript { throw 'no init' } -FunctionDirectory '$App/ConductorWorkers' } catch { 'INIT-FAILED ' + `$_.FullyQualifiedErrorId }
`$r = Invoke-WorkerCycle -Workers `$workers -InitializationScript { function Format-Greeting(`$n) { "Hi, `$n" } } -FunctionDirectory '$App/ConductorWorkers' -PassThru
'COMPLETED ' + `$r.Summary.Completed
"@
        $env = @{}
        foreach ($key in $Settings.Keys) { $env[$key] = $Settings[$key] }
        $output = (Invoke-ChildShell -Script $child -Environment $env -TimeoutSeconds 120).Output

        $output | Should -Match 'INIT-FAILED ConductorTools.InitializationScriptFailed'
        $output | Should -Match 'COMPLETED 1'
        (Wait-Async $script:Api.GetWorkflowAsync($id, $true, $script:None)).Tasks[0].OutputData['greeting'] | Should -Be 'Hi, Linus'
    }

    It 'fails the invocation on bad settings with every problem listed' {
        $bad = @{
            FUNCTIONS_WORKER_RUNTIME = 'powershell'
            CONDUCTOR_SERVER_URL     = 'not a url'
            CONDUCTOR_SAFETY_MARGIN  = 'soon'
            CONDUCTOR_CONCURRENCY    = '0'
        }

        $output = Invoke-TimerFunction $bad

        $output | Should -Match 'RUN-FAILED ConductorTools.InvalidSettings,ConductorTools.PowerShell.WorkerLoop.InvokeWorkerCycleCommand'
        $output | Should -Match 'CONDUCTOR_SERVER_URL'
        $output | Should -Match 'CONDUCTOR_POLL_SCHEDULE'
        $output | Should -Match 'CONDUCTOR_SAFETY_MARGIN'
        $output | Should -Match 'CONDUCTOR_CONCURRENCY'
    }
}

Describe 'The PowerShell Functions app fans a backlog out through a Storage queue (Azurite)' {
    BeforeAll {
        # Azurite's queue service on a free loopback port with a throwaway folder; npm ci on first use, under the same lock
        # file as the Functions tests (which may install it at the same time in another process).
        $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        $npm = Get-Command npm -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        $script:AzuriteSkip = if (-not $node -or -not $npm) { 'node and npm are not on PATH, so Azurite (the storage emulator) cannot run here.' }
        $script:Azurite = $null
        if (-not $AzuriteSkip) {
            $package = Join-Path (Get-TestRepoRoot) 'tests/ConductorTools.Functions.Tests/azurite'
            $main = Join-Path $package 'node_modules/azurite/dist/src/queue/main.js'
            $lock = $null
            $waited = [Diagnostics.Stopwatch]::StartNew()
            while (-not $lock) {
                try { $lock = [IO.FileStream]::new((Join-Path $package '.install.lock'), 'OpenOrCreate', 'ReadWrite', 'None') }
                catch [IO.IOException] { if ($waited.Elapsed.TotalMinutes -gt 5) { throw }; Start-Sleep -Milliseconds 500 }
            }
            try {
                if (-not (Test-Path $main)) {
                    $install = Start-Process -FilePath $npm.Source -ArgumentList 'ci', '--no-audit', '--no-fund' -WorkingDirectory $package -Wait -PassThru -NoNewWindow
                    if ($install.ExitCode -ne 0 -or -not (Test-Path $main)) { throw "npm ci failed in $package (exit $($install.ExitCode))" }
                }
            }
            finally { $lock.Dispose() }

            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $location = Join-Path ([IO.Path]::GetTempPath()) ('ct-azurite-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
            $null = New-Item -ItemType Directory -Path $location
            $process = Start-Process -FilePath $node.Source -PassThru -NoNewWindow -RedirectStandardOutput (Join-Path $location 'out.log') -RedirectStandardError (Join-Path $location 'err.log') -ArgumentList @(
                $main, '--queueHost', '127.0.0.1', '--queuePort', $port, '--location', $location, '--skipApiVersionCheck', '--silent', '--loose')
            $up = $false
            $waited = [Diagnostics.Stopwatch]::StartNew()
            while (-not $up -and $waited.Elapsed.TotalSeconds -lt 30 -and -not $process.HasExited) {
                $client = [Net.Sockets.TcpClient]::new()
                try { $client.Connect([Net.IPAddress]::Loopback, $port); $up = $true } catch { Start-Sleep -Milliseconds 100 } finally { $client.Dispose() }
            }
            if (-not $up) { throw "Azurite did not listen on 127.0.0.1:$port within 30 s: $(Get-Content (Join-Path $location 'err.log') -Raw)" }
            # Azurite's well-known development account key (public, documented; not a secret).
            $key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
            $script:Azurite = [pscustomobject]@{
                Process          = $process
                Location         = $location
                ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;QueueEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
            }
        }

        $script:Queue = 'psapp-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $script:FanOutSettings = $Settings.Clone()
        $FanOutSettings.CONDUCTOR_DISPATCH_MODE = 'FanOut'
        $FanOutSettings.CONDUCTOR_FANOUT_QUEUE = $Queue
        $FanOutSettings.CONDUCTOR_CONCURRENCY = '2'
        if ($Azurite) { $FanOutSettings.AzureWebJobsStorage = $Azurite.ConnectionString }

        # What the host does for the queue trigger: take a message from the group's queue (or use -Text), hand it to run.ps1 as
        # the PowerShell worker does (a JSON message becomes a hashtable), delete it when run.ps1 succeeds.
        function Invoke-QueueFunction([hashtable] $Settings, [string] $Text, [string] $Function = 'ConductorFanOut') {
            $script = @"
`$env:PSModulePath = '$App/Modules' + [IO.Path]::PathSeparator + `$env:PSModulePath
Set-Location '$App'
. '$App/profile.ps1'
Import-Module ConductorTools
`$null = [Reflection.Assembly]::LoadFrom((Join-Path (Split-Path (Get-Module ConductorTools).Path) 'ConductorTools.Storage.dll'))
`$queue = [ConductorTools.Storage.StorageFanOutQueue]::FromConnectionString(`$env:AzureWebJobsStorage, `$env:CONDUCTOR_FANOUT_QUEUE)
`$none = [Threading.CancellationToken]::None
`$text = '$Text'
`$message = `$null
if (-not `$text) {
    `$message = `$queue.ReceiveAsync([TimeSpan]::FromMinutes(1), `$none).GetAwaiter().GetResult()
    if (-not `$message) { 'NO-MESSAGE'; return }
    `$text = `$message.Body.ToString()
}
try { `$QueueItem = `$text | ConvertFrom-Json -AsHashtable -ErrorAction Stop } catch { `$QueueItem = `$text }
try {
    & '$App/$Function/run.ps1' -QueueItem `$QueueItem -TriggerMetadata @{ DequeueCount = 1 } *>&1 | ForEach-Object { '[' + `$_.GetType().Name + '] ' + `$_ }
    'RUN-OK'
    if (`$message) { 'DELETED ' + `$queue.DeleteAsync(`$message, `$none).GetAwaiter().GetResult() }
}
catch {
    'RUN-FAILED ' + `$_.FullyQualifiedErrorId
    `$_.Exception.Message
}
'QUEUE-COUNT ' + `$queue.GetApproximateMessageCountAsync(`$none).GetAwaiter().GetResult()
"@
            $env = @{}
            foreach ($key in $Settings.Keys) { $env[$key] = $Settings[$key] }
            (Invoke-ChildShell -Script $script -Environment $env -TimeoutSeconds 120).Output
        }
    }

    AfterAll {
        if ($Azurite) {
            Stop-Process -Id $Azurite.Process.Id -Force -ErrorAction SilentlyContinue
            $Azurite.Process.WaitForExit(5000) | Out-Null
            Remove-Item -Recurse -Force $Azurite.Location -ErrorAction SilentlyContinue
        }
    }

    It 'queues nothing for an empty backlog, one work message for a backlog, and the queue function runs its cycle' {
        if ($AzuriteSkip) { Set-ItResult -Skipped -Because $AzuriteSkip; return }

        $idle = Invoke-TimerFunction $FanOutSettings -Function 'ConductorDispatcher'
        $idle | Should -Match 'RUN-OK'
        $idle | Should -Match '\[InformationRecord\] Conductor fan-out \[default\]: no backlog, nothing dispatched'
        (Invoke-QueueFunction $FanOutSettings) | Should -Match 'NO-MESSAGE'

        $ids = 'Ada', 'Grace' | ForEach-Object { Start-TestWorkflow 'greet_ps' $_ }
        $dispatch = Invoke-TimerFunction $FanOutSettings -Function 'ConductorDispatcher'
        $dispatch | Should -Match 'RUN-OK'
        $dispatch | Should -Match "Conductor fan-out \[default\]: 1 message\(s\) on $Queue for a backlog of (greet_ps 2, slow_ps 0|slow_ps 0, greet_ps 2)"

        $run = Invoke-QueueFunction $FanOutSettings
        $run | Should -Match 'RUN-OK'
        $run | Should -Match 'Conductor cycle \[default\]: work message \w+, queued [0-9.]+ s ago'
        $run | Should -Match 'Conductor cycle \[default\] done: polled 2, completed 2, failed 0, handed back 0'
        $run | Should -Match 'DELETED True'
        $run | Should -Match 'QUEUE-COUNT 0'
        foreach ($id in $ids) { (Wait-Async $script:Api.GetWorkflowAsync($id, $false, $script:None)).Status | Should -Be 'COMPLETED' }

        # The backlog is gone: the next tick queues nothing.
        Invoke-TimerFunction $FanOutSettings -Function 'ConductorDispatcher' | Should -Match 'no backlog, nothing dispatched'
    }

    It 'fails the queue function on a message that is not a work message, running no cycle (the host then poisons it)' {
        if ($AzuriteSkip) { Set-ItResult -Skipped -Because $AzuriteSkip; return }
        $id = Start-TestWorkflow 'greet_ps' 'Mallory'

        $output = Invoke-QueueFunction $FanOutSettings -Text 'not a work message'

        $output | Should -Match 'RUN-FAILED ConductorTools.InvalidWorkMessage,ConductorTools.PowerShell.WorkerLoop.InvokeWorkerCycleCommand'
        $output | Should -Match 'not a work message, no cycle run'
        $output | Should -Not -Match 'Conductor cycle \[default\] starting'
        (Wait-Async $script:Api.GetWorkflowAsync($id, $false, $script:None)).Status | Should -Be 'RUNNING'
    }

    It 'runs no cycle from the timer function in fan-out mode' {
        $output = Invoke-TimerFunction $FanOutSettings

        $output | Should -Match 'RUN-OK'
        $output | Should -Match 'no cycle from the timer, CONDUCTOR_DISPATCH_MODE is FanOut'
        $output | Should -Not -Match 'Conductor cycle \[default\] starting'
    }
}
