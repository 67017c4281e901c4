#Requires -Modules Pester
# Issue 15: cmdlets that feel native. Connections that stay usable, a connection test that is cheap, bounded and
# stoppable, the not-connected warning; [datetimeoffset] times; one value converter (worker output too); plain-string
# tokens and JSON input; one registration rule for task and workflow definitions; progress, -PassThru, error records;
# views rendered at 80 and 120 columns. Each Describe that talks to Conductor runs against the embedded engine and the
# local server.

BeforeDiscovery {
    $script:Backends = @(@{ Backend = 'Embedded' }, @{ Backend = 'LocalServer' })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-TestModule
    $TestServer = Start-TestServer

    # A TCP listener on a free loopback port. -Silent accepts connections and never answers; otherwise each request gets
    # Conductor's 404 body, and the request lines are collected in .Requests. Stop it with Stop-FakeServer.
    function Start-FakeServer([switch] $Silent) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $requests = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($listener, $requests, $silent)
            $held = [System.Collections.Generic.List[object]]::new()
            while ($true) {
                try { $client = $listener.AcceptTcpClient() } catch { break }
                $held.Add($client)
                if ($silent) { continue }
                $stream = $client.GetStream()
                $reader = [System.IO.StreamReader]::new($stream)
                $line = $reader.ReadLine()
                $requests.Enqueue($line)
                while (($header = $reader.ReadLine())) { }
                $body = '{"status":404,"message":"No such taskType found by name","retryable":false}'
                $bytes = [Text.Encoding]::UTF8.GetBytes("HTTP/1.1 404 Not Found`r`nContent-Type: application/json`r`nContent-Length: $($body.Length)`r`nConnection: close`r`n`r`n$body")
                $stream.Write($bytes, 0, $bytes.Length)
                $stream.Flush()
                $client.Close()
            }
        }).AddArgument($listener).AddArgument($requests).AddArgument([bool] $Silent)
        $handle = $ps.BeginInvoke()
        [pscustomobject]@{
            Url = "http://127.0.0.1:$($listener.LocalEndpoint.Port)/api"; Listener = $listener; Requests = $requests
            PowerShell = $ps; Handle = $handle
        }
    }

    function Stop-FakeServer($Fake) {
        $Fake.Listener.Stop()
        $null = $Fake.Handle.AsyncWaitHandle.WaitOne(5000)
        $Fake.PowerShell.Dispose()
    }

    function New-GreetWorkflow([string] $Name) {
        Register-TaskDef "greet_$Name" -RetryCount 0 -TimeoutSeconds 60 -Force -Confirm:$false
        Register-WorkflowDef @{
            name = $Name; version = 1
            tasks = @(@{ name = "greet_$Name"; taskReferenceName = 'greet'; inputParameters = @{ who = '${workflow.input.who}' } })
            outputParameters = @{ result = '${greet.output}' }
        } -Force -Confirm:$false
    }

    function New-WaitWorkflow([string] $Name) {
        Register-WorkflowDef @{ name = $Name; version = 1; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Force -Confirm:$false
    }
}

AfterAll {
    Disconnect-Conductor
    Stop-TestServer $TestServer
}

Describe 'Connections on <Backend>' -ForEach $Backends {
    BeforeAll { Connect-TestBackend $Backend }

    It 'keeps a -PassThru connection usable after another Connect-Conductor, until it is disconnected' {
        $held = Connect-TestBackend $Backend -PassThru
        Register-TaskDef 'held_td' -Confirm:$false
        Connect-Conductor -Embedded -DatabasePath ':memory:'
        (Get-TaskDef 'held_td' -Connection $held).Name | Should -Be 'held_td'
        Get-TaskDef 'held_td' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty   # the session moved on

        Disconnect-Conductor -Connection $held
        $held.IsClosed | Should -BeTrue
        $err = $null
        Get-TaskDef 'held_td' -Connection $held -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.ConnectionClosed*'
        $err[0].Exception.Message | Should -Match 'was closed.*Connect-Conductor'
        Connect-TestBackend $Backend
    }

    It 'reports the session connection without opening another' {
        $c = Get-ConductorConnection
        $c.Kind | Should -Be $(if ($Backend -eq 'Embedded') { 'Embedded' } else { 'Server' })
        [object]::ReferenceEquals($c, (Get-ConductorConnection)) | Should -BeTrue
    }
}

Describe 'A worker loop in a thread job' {
    It 'keeps working on its embedded engine after the session connects elsewhere' {
        Connect-Conductor -Embedded -DatabasePath ':memory:'
        New-GreetWorkflow 'tj_wf'
        # The session's connection, read without holding it (Get-ConductorConnection would).
        $resolver = [ConductorTools.PowerShell.Commands.ConductorCmdlet].GetField('Connections', [Reflection.BindingFlags] 'NonPublic,Static').GetValue($null)
        $old = $resolver.Current
        $job = Start-ThreadJob -ArgumentList (Get-TestModulePath) -ScriptBlock {
            param($module)
            Import-Module $module
            Invoke-WorkerLoop -TaskType 'greet_tj_wf' -ScriptBlock { param($who) @{ hi = $who } } -Duration 00:00:12
        }
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not (Get-TaskQueue 'greet_tj_wf' -Connection $old -ErrorAction SilentlyContinue | Where-Object { $_ }) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            Start-Sleep -Seconds 1   # the loop is polling
            Connect-Conductor -Embedded -DatabasePath ':memory:'
            $old.IsClosed | Should -BeFalse
            $id = Start-Workflow 'tj_wf' @{ who = 'Thread' } -Connection $old -Confirm:$false
            $wf = Wait-Workflow $id -Timeout 00:00:20 -Connection $old
            $wf.Status | Should -Be 'COMPLETED'
            $wf.Output.result.hi | Should -Be 'Thread'
        }
        finally {
            $summary = $job | Wait-Job -Timeout 60 | Receive-Job
            $job | Remove-Job -Force
        }
        $summary.Completed | Should -Be 1
        $summary.Failed | Should -Be 0
        "$($summary.StopReason)" | Should -Be 'Deadline'
    }
}

Describe 'Connect-Conductor' {
    It 'gives up on a server that never answers after -Timeout, saying what happened' {
        $fake = Start-FakeServer -Silent
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $err = $null
            try { Connect-Conductor $fake.Url -Timeout 00:00:02 } catch { $err = $_ }
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
            $err.FullyQualifiedErrorId | Should -BeLike 'ConductorTools.Timeout*'
            $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
            $err.Exception.Message | Should -Match ([regex]::Escape($fake.Url))
            $err.Exception.Message | Should -Match 'did not answer within 2 s.*-Timeout'
            $err.TargetObject | Should -BeLike "$($fake.Url)*"
        }
        finally { Stop-FakeServer $fake }
    }

    It 'stops waiting on Ctrl+C (the pipeline is stopped)' {
        $fake = Start-FakeServer -Silent
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-TestModulePath)'; Connect-Conductor '$($fake.Url)' -Timeout 00:02:00")
            $handle = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 1500
            $handle.IsCompleted | Should -BeFalse
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $ps.Dispose()
            Stop-FakeServer $fake
        }
    }

    It 'tests the connection with one cheap request' {
        $fake = Start-FakeServer
        try {
            $c = Connect-Conductor $fake.Url -PassThru
            $c.Target | Should -Be "$($fake.Url)/"
            @($fake.Requests) | Should -Be @('GET /api/metadata/taskdefs/__conductortools_connection_probe__ HTTP/1.1')
        }
        finally {
            Disconnect-Conductor
            Stop-FakeServer $fake
        }
    }

    It 'accepts -AccessToken as a plain string' {
        $c = Connect-Conductor $TestServer.ApiUrl -AccessToken 'plain-token' -PassThru
        try { $c.Auth | Should -Be 'access token' }
        finally { Disconnect-Conductor }
    }
}

Describe 'Not connected' {
    It 'warns once per session with the database path and how to connect; Get-ConductorConnection only reports' {
        $data = Join-Path ([IO.Path]::GetTempPath()) ("ct-data-" + [guid]::NewGuid().ToString('n'))
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Get-TestModulePath)'
`$before = Get-ConductorConnection 3>&1
"report:" + (@(`$before | Where-Object { `$_ -is [System.Management.Automation.WarningRecord] }).Count) + ":" + (@(`$before | Where-Object { `$_ -isnot [System.Management.Automation.WarningRecord] }).Count)
"opened:" + (Test-Path '$data/conductortools')
`$first = Get-TaskDef 3>&1
`$second = Get-TaskDef 3>&1
"warnings:" + @(@(`$first) + @(`$second) | Where-Object { `$_ -is [System.Management.Automation.WarningRecord] }).Count
"text:" + (`$first | Where-Object { `$_ -is [System.Management.Automation.WarningRecord] }).Message
"kind:" + (Get-ConductorConnection).Kind
"@
        try {
            $result = Invoke-ChildShell $script @{ XDG_DATA_HOME = $data; HOME = $data; CONDUCTOR_SERVER_URL = '' } -TimeoutSeconds 120
            $result.Output | Should -Match 'report:1:0'
            $result.Output | Should -Match 'opened:False'
            $result.Output | Should -Match 'warnings:1'
            $result.Output | Should -Match ('text:Not connected: using the embedded Conductor engine with the database ' + [regex]::Escape($data))
            $result.Output | Should -Match 'Run Connect-Conductor <server URL>'
            $result.Output | Should -Match 'kind:Embedded'
        }
        finally { Remove-Item $data -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Values on <Backend>' -ForEach $Backends {
    BeforeAll { Connect-TestBackend $Backend }

    It 'shows times as [datetimeoffset] in UTC while the wire values stay exact' {
        Register-TaskDef 'times_td' -Description 'timed' -Confirm:$false
        New-WaitWorkflow 'times_wf'
        $id = Start-Workflow 'times_wf' -Confirm:$false
        $wf = Get-Workflow $id
        $wf.StartTime | Should -BeOfType [datetimeoffset]
        $wf.StartTime.Offset | Should -Be ([timespan]::Zero)
        $wf.psbase.StartTime | Should -BeOfType [long]
        $wf.StartTime.ToUnixTimeMilliseconds() | Should -Be $wf.psbase.StartTime
        $wf.EndTime | Should -BeNullOrEmpty   # still running: no end time
        $wf.Tasks[0].ScheduledTime | Should -BeOfType [datetimeoffset]
        (Get-TaskDef 'times_td').CreateTime | Should -BeOfType [datetimeoffset]

        $found = Get-Workflow -Name 'times_wf' | Where-Object StartTime -gt (Get-Date).AddHours(-1)
        $found.WorkflowId | Should -Be $id
        $found.StartTime | Should -BeOfType [datetimeoffset]
        $found.psbase.StartTime | Should -BeOfType [string]
        @(Get-Workflow -Name 'times_wf' | Where-Object StartTime -lt (Get-Date).AddHours(-1)).Count | Should -Be 0
        @(Get-Workflow -Name 'times_wf' | Where-Object StartTime -gt ([datetime]::UtcNow.AddMinutes(-5))).Count | Should -Be 1

        # An export keeps Conductor's epoch milliseconds, so it goes back in.
        ($wf | ConvertTo-Json -Depth 2 | ConvertFrom-Json).StartTime | Should -Be $wf.psbase.StartTime
        Stop-Workflow $id -Confirm:$false
    }

    It 'sends a [datetime] in worker output as ISO 8601 UTC, like -Input' {
        New-GreetWorkflow 'dates_wf'
        $at = [datetime]::new(2026, 5, 5, 10, 30, 0, [DateTimeKind]::Utc)
        $id = Start-Workflow 'dates_wf' @{ who = 'Ann'; at = $at } -Confirm:$false
        Invoke-WorkerLoop -TaskType 'greet_dates_wf' -ScriptBlock { param($who) @{ at = [datetime]::new(2026, 5, 5, 10, 30, 0, [DateTimeKind]::Utc); who = $who; nested = [pscustomobject]@{ when = [datetimeoffset]::new(2026, 5, 5, 12, 30, 0, [timespan]::FromHours(2)) } } } -Once | Out-Null
        $wf = Wait-Workflow $id -Timeout 00:00:30
        $wf.Status | Should -Be 'COMPLETED'
        $wf.Input.at | Should -Be '2026-05-05T10:30:00.0000000Z'
        $wf.Output.result.at | Should -Be '2026-05-05T10:30:00.0000000Z'
        $wf.Output.result.nested.when | Should -Be '2026-05-05T10:30:00.0000000+00:00'
        $wf.Output.result.who | Should -Be 'Ann'
    }

    It 'takes JSON text as workflow input' {
        New-WaitWorkflow 'json_in_wf'
        $id = Start-Workflow 'json_in_wf' '{"name":"Ann","tags":["a","b"],"n":2}' -Confirm:$false
        $wf = Get-Workflow $id
        $wf.Input.name | Should -Be 'Ann'
        $wf.Input.tags | Should -Be @('a', 'b')
        $wf.Input.n | Should -Be 2
        $err = $null
        Start-Workflow 'json_in_wf' '{"name":' -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.InvalidArgument*'
        $err[0].Exception.Message | Should -Match '-Input is not valid JSON'
        Stop-Workflow $id -Confirm:$false
    }
}

Describe 'Search paging on <Backend>' -ForEach $Backends {
    BeforeAll { Connect-TestBackend $Backend }

    It 'takes -First beyond one page of 5000 and stops at what there is' {
        New-WaitWorkflow 'paging_wf'
        $ids = 1..3 | ForEach-Object { Start-Workflow 'paging_wf' -Confirm:$false }
        @(Get-Workflow -Name 'paging_wf' -First 12000).Count | Should -Be 3
        @(Get-Workflow -Name 'paging_wf' -First 2).Count | Should -Be 2
        $ids | Stop-Workflow -Confirm:$false
    }
}

Describe 'Task definitions on <Backend>' -ForEach $Backends {
    BeforeAll { Connect-TestBackend $Backend }

    It 'refuses to register an existing name without -Force, like Register-WorkflowDef, and -Force replaces it' {
        Register-TaskDef 'rule_td' -RetryCount 9 -Description 'keep me' -Confirm:$false
        $err = $null
        Register-TaskDef 'rule_td' -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.Conflict*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].Exception.Message | Should -Match "'rule_td' already exists.*-Force.*Set-TaskDef"
        $err[0].TargetObject.Name | Should -Be 'rule_td'
        $def = Get-TaskDef 'rule_td'
        $def.RetryCount | Should -Be 9
        $def.Description | Should -Be 'keep me'

        Register-TaskDef 'rule_td' -RetryCount 1 -Force -Confirm:$false
        $def = Get-TaskDef 'rule_td'
        $def.RetryCount | Should -Be 1
        $def.Description | Should -BeNullOrEmpty

        Register-WorkflowDef @{ name = 'rule_wf'; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Confirm:$false
        $err = $null
        Register-WorkflowDef @{ name = 'rule_wf'; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.Conflict*'
    }

    It 'registers piped names, PascalCase hashtables and ConvertFrom-Json objects with every field' {
        'pipe_a', 'pipe_b' | Register-TaskDef -RetryCount 4 -Confirm:$false
        (Get-TaskDef 'pipe_a', 'pipe_b').RetryCount | Should -Be @(4, 4)
        @{ Name = 'pipe_h'; RetryCount = 7; Description = 'from a hashtable'; TimeoutSeconds = 30; ResponseTimeoutSeconds = 20 } | Register-TaskDef -Confirm:$false
        $h = Get-TaskDef 'pipe_h'
        $h.RetryCount, $h.Description, $h.TimeoutSeconds, $h.ResponseTimeoutSeconds | Should -Be @(7, 'from a hashtable', 30, 20)
        '{"name":"pipe_j","retryCount":5,"description":"from JSON","retryLogic":"LINEAR_BACKOFF","inputKeys":["x"]}' | ConvertFrom-Json | Register-TaskDef -Confirm:$false
        $j = Get-TaskDef 'pipe_j'
        $j.RetryCount, $j.Description, $j.RetryLogic, $j.InputKeys | Should -Be @(5, 'from JSON', 'LINEAR_BACKOFF', 'x')
    }

    It 'round-trips Get-TaskDef | Set-TaskDef -RetryCount, Get-TaskDef | Register-TaskDef -Force and a JSON export' {
        Register-TaskDef 'trip_td' -RetryCount 2 -Description 'round trip' -TimeoutSeconds 120 -Confirm:$false
        Get-TaskDef 'trip_td' | Set-TaskDef -RetryCount 5 -Confirm:$false
        $def = Get-TaskDef 'trip_td'
        $def.RetryCount, $def.Description, $def.TimeoutSeconds | Should -Be @(5, 'round trip', 120)
        Set-TaskDef 'trip_td' -Description 'by name' -Confirm:$false
        (Get-TaskDef 'trip_td').Description | Should -Be 'by name'

        Get-TaskDef 'trip_td' | Register-TaskDef -Force -Confirm:$false
        (Get-TaskDef 'trip_td').RetryCount | Should -Be 5

        $file = Join-Path $TestDrive 'trip_td.json'
        Get-TaskDef 'trip_td' | ConvertTo-Json -Depth 10 | Set-Content $file
        Remove-TaskDef 'trip_td' -Confirm:$false
        Register-TaskDef -Path $file -Confirm:$false
        $back = Get-TaskDef 'trip_td'
        $back.RetryCount, $back.Description, $back.TimeoutSeconds | Should -Be @(5, 'by name', 120)

        $wfFile = Join-Path $TestDrive 'trip_wf.json'
        Register-WorkflowDef @{ name = 'trip_wf'; description = 'exported'; timeoutPolicy = 'ALERT_ONLY'; timeoutSeconds = 30; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Force -Confirm:$false
        Get-WorkflowDef 'trip_wf' | ConvertTo-Json -Depth 20 | Set-Content $wfFile
        Register-WorkflowDef -Path $wfFile -Force -Confirm:$false
        $wfBack = Get-WorkflowDef 'trip_wf'
        $wfBack.Description, $wfBack.TimeoutPolicy, $wfBack.Tasks[0].Type | Should -Be @('exported', 'ALERT_ONLY', 'WAIT')

        $err = $null
        Set-TaskDef 'no_such_td' -RetryCount 1 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.NotFound*'
        $err[0].TargetObject | Should -Be 'no_such_td'
    }
}

Describe 'Progress, -PassThru and error records on <Backend>' -ForEach $Backends {
    BeforeAll {
        Connect-TestBackend $Backend
        # Runs $Script in another runspace of this process (same module, same session connection) and returns its
        # progress records and errors.
        function Invoke-Captured([string] $Script, [hashtable] $Arguments = @{}) {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$(Get-TestModulePath)'").AddStatement().AddScript($Script)
                foreach ($name in $Arguments.Keys) { $null = $ps.AddParameter($name, $Arguments[$name]) }
                $output = $ps.Invoke()
                [pscustomobject]@{ Output = @($output); Progress = @($ps.Streams.Progress); Errors = @($ps.Streams.Error) }
            }
            finally { $ps.Dispose() }
        }
    }

    It 'shows Write-Progress while Wait-Workflow and Start-Workflow -Wait wait' {
        New-WaitWorkflow 'progress_wf'
        $id = Start-Workflow 'progress_wf' -Confirm:$false
        $run = Invoke-Captured 'param($id) Wait-Workflow $id -Timeout 00:00:02' @{ id = $id }
        $run.Progress.Count | Should -BeGreaterThan 1
        $run.Progress[0].Activity | Should -Be 'Wait-Workflow'
        $run.Progress[0].StatusDescription | Should -Match "Workflow $id\: RUNNING for \d+ s; gives up in \d+ s"
        $run.Progress[-1].RecordType | Should -Be 'Completed'
        $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.Timeout*'
        $run.Errors[0].TargetObject | Should -Be $id

        $run = Invoke-Captured "Start-Workflow 'progress_wf' -Wait -Timeout 00:00:02 -Confirm:`$false"
        $run.Progress[0].Activity | Should -Be 'Start-Workflow progress_wf -Wait'
        $run.Progress[-1].RecordType | Should -Be 'Completed'
        Get-Workflow -Name 'progress_wf' -Status RUNNING | Stop-Workflow -Confirm:$false
    }

    It 'outputs the workflow with -PassThru from the control cmdlets' {
        New-WaitWorkflow 'passthru_wf'
        $id = Start-Workflow 'passthru_wf' -Confirm:$false
        (Suspend-Workflow $id -PassThru -Confirm:$false).Status | Should -Be 'PAUSED'
        (Resume-Workflow $id -PassThru -Confirm:$false).Status | Should -Be 'RUNNING'
        Suspend-Workflow $id -Confirm:$false | Should -BeNullOrEmpty   # nothing without -PassThru
        Resume-Workflow $id -Confirm:$false
        $stopped = Stop-Workflow $id -Reason 'pt' -PassThru -Confirm:$false
        $stopped | Should -BeOfType ([ConductorTools.Model.Workflow])
        $stopped.Status | Should -Be 'TERMINATED'
        (Restart-Workflow $id -PassThru -Confirm:$false).Status | Should -Be 'RUNNING'
        Stop-Workflow $id -Confirm:$false
        (Redo-Workflow $id -PassThru -Confirm:$false).Status | Should -Be 'RUNNING'
        (Get-Workflow $id | Stop-Workflow -PassThru -Confirm:$false).WorkflowId | Should -Be $id
        $removed = Remove-Workflow $id -PassThru -Confirm:$false
        $removed.WorkflowId | Should -Be $id
        $removed.Status | Should -Be 'TERMINATED'
        Get-Workflow $id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        Register-TaskDef 'pt_later' -Force -Confirm:$false
        Register-WorkflowDef @{ name = 'passthru_skip'; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }, @{ name = 'pt_later'; taskReferenceName = 'later' }) } -Force -Confirm:$false
        $sid = Start-Workflow 'passthru_skip' -Confirm:$false
        (Skip-WorkflowTask $sid 'later' -PassThru -Confirm:$false).WorkflowId | Should -Be $sid
        Stop-Workflow $sid -Confirm:$false
    }

    It 'writes error records with ConductorTools ids, the right category and the object acted on' {
        $err = $null
        Get-WorkflowDef 'nosuch_wf' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.NotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'nosuch_wf'

        $err = $null
        Get-TaskDef 'nosuch_td' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].TargetObject | Should -Be 'nosuch_td'

        Register-WorkflowDef @{ name = 'err_skip'; tasks = @(@{ name = 'hold'; taskReferenceName = 'hold'; type = 'WAIT' }) } -Force -Confirm:$false
        $id = Start-Workflow 'err_skip' -Confirm:$false
        $err = $null
        Skip-WorkflowTask $id 'nosuchref' -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.NotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $id
        $err[0].Exception.Message | Should -Match "no task with reference name 'nosuchref'.*hold"
        Stop-Workflow $id -Confirm:$false

        $bad = Join-Path $TestDrive 'bad.json'
        Set-Content $bad '{ "name": "from_file", "tasks": [ { "name": "x", '
        $err = $null
        Register-WorkflowDef -Path $bad -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.InvalidWorkflowDef*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be (Resolve-Path $bad).Path
        $err[0].Exception.Message | Should -Match ([regex]::Escape("The file $((Resolve-Path $bad).Path)"))

        $invalid = Join-Path $TestDrive 'invalid.json'
        Set-Content $invalid '{ "name": "from_file", "tasks": [] }'
        $err = $null
        Register-WorkflowDef -Path $invalid -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.Validation*'
        $err[0].TargetObject | Should -Be (Resolve-Path $invalid).Path

        $err = $null
        Register-WorkflowDef -Path (Join-Path $TestDrive 'missing.json') -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConductorTools.FileNotFound*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Views on <Backend>' -ForEach $Backends {
    BeforeAll {
        Connect-TestBackend $Backend
        Register-TaskDef 'greet_view_fulfillment' -RetryCount 0 -TimeoutSeconds 60 -Description 'says hello' -Force -Confirm:$false
        Register-WorkflowDef @{
            name = 'view_fulfillment'; version = 1
            tasks = @(@{ name = 'greet_view_fulfillment'; taskReferenceName = 'greet'; inputParameters = @{ who = '${workflow.input.who}' } })
            outputParameters = @{ result = '${greet.output}' }
        } -Force -Confirm:$false
        $ViewIds = @(
            Start-Workflow 'view_fulfillment' @{ who = 'Ann'; nested = @{ a = 1 } } -CorrelationId 'view-1' -Confirm:$false
            Start-Workflow 'view_fulfillment' @{ who = 'Bo' } -CorrelationId 'view-2' -Confirm:$false
        )
        Invoke-WorkerLoop -TaskType 'greet_view_fulfillment' -ScriptBlock {
            param($who) if ($who -eq 'Bo') { throw 'no stock' }; @{ greeting = "Hi $who"; detail = @{ n = 1; list = @('x', 'y') } }
        } -Once -WarningAction SilentlyContinue | Out-Null
        $Workflows = $ViewIds | ForEach-Object { Get-Workflow $_ }

        # The lines of a rendering, and the column widths its dashes line gives.
        function Get-Rendering($InputObject, [int] $Width, [switch] $List) {
            if ($PSStyle) { $rendering = $PSStyle.OutputRendering; $PSStyle.OutputRendering = 'PlainText' }
            $text = if ($List) { $InputObject | Format-List | Out-String -Width $Width } else { $InputObject | Out-String -Width $Width }
            if ($PSStyle) { $PSStyle.OutputRendering = $rendering }
            $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
            $dashes = $lines | Where-Object { $_ -match '^-[- ]*$' } | Select-Object -First 1
            [pscustomobject]@{
                Text = $text; Lines = $lines
                Header = if ($dashes) { $lines[[array]::IndexOf($lines, $dashes) - 1] }
                Widths = if ($dashes) { @($dashes.Trim() -split '\s+' | ForEach-Object Length) }
            }
        }
    }

    It 'renders workflows, searches, tasks and definitions at 80 columns without squeezed columns or cut ids' {
        $checks = @(
            @{ Object = $Workflows; Columns = 'Name', 'Status', 'Started', 'WorkflowId'; Full = $ViewIds }
            @{ Object = @(Get-Workflow -Name 'view_fulfillment'); Columns = 'Name', 'Status', 'Started', 'WorkflowId'; Full = $ViewIds }
            @{ Object = $Workflows[0].Tasks; Columns = 'Seq', 'Reference', 'Type', 'Status', 'Try', 'Started'; Full = @('greet') }
            @{ Object = @(Get-TaskDef 'greet_view_fulfillment'); Columns = 'Name', 'Retries', 'RetryLogic', 'Delay', 'Timeout'; Full = @('greet_view_fulfillment') }
            @{ Object = @(Get-WorkflowDef 'view_fulfillment'); Columns = 'Name', 'Version', 'Tasks', 'Description'; Full = @('view_fulfillment') }
        )
        foreach ($check in $checks) {
            $r = Get-Rendering $check.Object 80
            $r.Lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
            @($r.Header -split '\s+' | Where-Object { $_ } | Select-Object -First $check.Columns.Count) -join ',' | Should -Be ($check.Columns -join ',') -Because $r.Text
            $r.Widths | ForEach-Object { $_ | Should -BeGreaterOrEqual 3 }   # no column squeezed to a letter
            foreach ($full in $check.Full) { $r.Text | Should -Match ([regex]::Escape($full)) }
            $r.Text | Should -Not -Match 'System\.Collections'
        }
        $r = Get-Rendering $Workflows 80
        $r.Text | Should -Match "view_fulfillment\s+COMPLETED\s+\d\d-\d\d \d\d:\d\d $($ViewIds[0])"
    }

    It 'shows the trailing columns at 120 columns' {
        $r = Get-Rendering $Workflows 120
        @($r.Header -split '\s+' | Where-Object { $_ }) -join ',' | Should -Be 'Name,Status,Started,WorkflowId,Tasks,Reason'
        $r.Text | Should -Match "FAILED\s+\d\d-\d\d \d\d:\d\d $($ViewIds[1])\s+1 Task "
        $r = Get-Rendering $Workflows[0].Tasks 120
        ($r.Header -split '\s+' | Where-Object { $_ }) | Should -Contain 'TaskId'
        $r.Text | Should -Match ([regex]::Escape($Workflows[0].Tasks[0].TaskId))
        $r = Get-Rendering @(Get-Workflow -Name 'view_fulfillment') 120
        @($r.Header -split '\s+' | Where-Object { $_ }) -join ',' | Should -Be 'Name,Status,Started,WorkflowId,Ver,CorrelationId'
        $r.Text | Should -Match 'view-1'
    }

    It 'lists a workflow and a task with their data as compact JSON and without wire noise' {
        foreach ($width in 80, 120) {
            $r = Get-Rendering $Workflows[0] $width -List
            $r.Text | Should -Match 'WorkflowName\s+: view_fulfillment'
            $r.Text | Should -Match 'Status\s+: COMPLETED'
            $r.Text | Should -Match 'StartTime\s+: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d'
            $r.Text | Should -Match 'Input\s+: \{"who":"Ann","nested":\{"a":1\}\}|Input\s+: \{"nested":\{"a":1\},"who":"Ann"\}'
            $r.Text | Should -Match 'Output\s+: \{"result":\{'
            $r.Text | Should -Match 'Tasks\s+: greet COMPLETED'
            $r.Text | Should -Not -Match 'AdditionalProperties|System\.Collections|WorkflowDefinition'
            @($r.Lines).Count | Should -BeLessThan 25

            $t = Get-Rendering $Workflows[0].Tasks[0] $width -List
            $t.Text | Should -Match 'ReferenceTaskName\s+: greet'
            $t.Text | Should -Match 'Input\s+: \{"who":"Ann"\}'
            $t.Text | Should -Match 'Output\s+: \{"'
            $t.Text | Should -Not -Match 'AdditionalProperties|System\.Collections|WorkflowTask '
        }
        $failed = Get-Rendering $Workflows[1].Tasks[0] 80 -List
        $failed.Text | Should -Match 'ReasonForIncompletion\s+: no stock'
        $def = Get-Rendering (Get-TaskDef 'greet_view_fulfillment') 80 -List
        $def.Text | Should -Match 'Description\s+: says hello'
        $def.Text | Should -Not -Match 'AdditionalProperties'
    }
}

Describe 'Help' {
    It 'shows defaults, the session connection of Invoke-WorkerLoop and syntax with the new parameters' {
        (Get-Help Connect-Conductor -Parameter Timeout).defaultValue | Should -Be '00:01:00'
        (Get-Help Get-Workflow -Parameter First).defaultValue | Should -Be '100'
        (Get-Help Invoke-WorkerLoop -Parameter DrainTimeout).defaultValue | Should -Be '00:00:30'
        $full = Get-Help Invoke-WorkerLoop -Full | Out-String -Width 200
        $full | Should -Match "session's connection"
        $full | Should -Not -Match 'uses the embedded engine on its default database\.'
        (Get-Help Set-TaskDef).syntax | Out-String -Width 300 | Should -Match '-RetryCount'
        (Get-Help Stop-Workflow).syntax | Out-String -Width 300 | Should -Match '-PassThru'
    }
}

Describe 'Import-Module -Prefix' {
    It 'prefixes every noun for sessions where one collides' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-TestModulePath)' -Prefix Cdt -Force; (Get-Command -Module ConductorTools).Name")
            $names = @($ps.Invoke())
            $names | Should -Contain 'Get-CdtTask'
            $names | Should -Contain 'Start-CdtWorkflow'
            $names | Should -Contain 'Invoke-CdtWorkerLoop'
            $names | Should -Not -Contain 'Get-Task'
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Connect-Conductor -TokenProvider' {
    # Tokens are needed on the threads that send requests (a worker loop's pollers) while the session's runspace is busy
    # running the loop itself: the provider must run in a runspace of its own.
    It 'runs the provider in its own runspace, also while a worker loop runs in the session' {
        $marker = Join-Path $TestDrive 'token-runspaces.txt'
        $provider = [scriptblock]::Create("Add-Content -LiteralPath '$marker' -Value ([runspace]::DefaultRunspace.InstanceId); 'not-a-real-token'")
        $connection = Connect-Conductor $TestServer.ApiUrl -TokenProvider $provider -PassThru
        try {
            $type = 'tp_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Register-TaskDef $type -Connection $connection -Confirm:$false
            Register-WorkflowDef @{ name = "$type-wf"; version = 1; tasks = @(@{ name = $type; taskReferenceName = 't' }) } -Connection $connection -Force -Confirm:$false
            $id = Start-Workflow "$type-wf" @{} -Connection $connection -Confirm:$false
            Invoke-WorkerLoop -TaskType $type -ScriptBlock { 'done' } -Once -Connection $connection | Out-Null
            (Get-Workflow $id -Connection $connection).Status | Should -Be 'COMPLETED'
            $seen = @(Get-Content -LiteralPath $marker | Sort-Object -Unique)
            $seen.Count | Should -Be 1 -Because 'one private runspace serves every call'
            $seen[0] | Should -Not -Be ([runspace]::DefaultRunspace.InstanceId.ToString())
        }
        finally {
            Disconnect-Conductor -Connection $connection
        }
    }
}
