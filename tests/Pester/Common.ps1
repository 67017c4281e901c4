# Shared by the Pester suites: dot-source it in a file-level BeforeAll.
# Runs on Windows PowerShell 5.1 and PowerShell 7 (no ProcessStartInfo.ArgumentList, no $IsWindows).

# $PSScriptRoot in these functions is this file's folder, whichever suite dot-sources it.
function Get-TestRepoRoot { (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path }

# Imports the module under test once per process: $env:CONDUCTORTOOLS_MODULE (a staged folder, or its .psd1), else
# out/ConductorTools (build.ps1), else the staging of `dotnet build module/ConductorTools.Module.csproj`.
function Get-TestModulePath {
    $root = Get-TestRepoRoot
    $candidates = @()
    if ($env:CONDUCTORTOOLS_MODULE) { $candidates += $env:CONDUCTORTOOLS_MODULE }
    $candidates += (Join-Path $root 'out/ConductorTools'), (Join-Path $root 'module/bin/Release/ConductorTools'), (Join-Path $root 'module/bin/Debug/ConductorTools')
    foreach ($candidate in $candidates) {
        if (Test-Path $candidate -PathType Container) { $candidate = Join-Path $candidate 'ConductorTools.psd1' }
        if (Test-Path $candidate) { return (Resolve-Path $candidate).Path }
    }
    throw 'The module is not staged: run ./build.ps1 -Task Build (or dotnet build module/ConductorTools.Module.csproj).'
}

function Import-TestModule {
    if (Get-Module ConductorTools) { return }
    Import-Module (Get-TestModulePath) -ErrorAction Stop
}

# The local server's assembly: $env:CONDUCTORTOOLS_SERVER_DLL, else out/server (build.ps1), else the newest
# `dotnet build` output of src/ConductorTools.Server.
function Get-TestServerPath {
    if ($env:CONDUCTORTOOLS_SERVER_DLL -and (Test-Path $env:CONDUCTORTOOLS_SERVER_DLL)) { return $env:CONDUCTORTOOLS_SERVER_DLL }
    $root = Get-TestRepoRoot
    $staged = Join-Path $root 'out/server/conductortools-server.dll'
    if (Test-Path $staged) { return $staged }
    $built = Get-ChildItem (Join-Path $root 'src/ConductorTools.Server/bin') -Recurse -Filter conductortools-server.dll -ErrorAction SilentlyContinue |
        Sort-Object LastWriteTime -Descending | Select-Object -First 1 -ExpandProperty FullName
    if ($built) { return $built }
    throw 'The local server is not built: run ./build.ps1 -Task Build (or dotnet build src/ConductorTools.Server).'
}

# Starts the local server on a free loopback port with a throwaway in-memory database and returns
# @{ Process; ApiUrl } once it has printed its "  API:      http://127.0.0.1:<port>/api/" line.
function Start-TestServer {
    $dll = Get-TestServerPath
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = 'dotnet'
    $psi.Arguments = '"{0}" --urls http://127.0.0.1:0 --db :memory:' -f $dll
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($psi)

    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    $seen = New-Object System.Collections.Generic.List[string]
    $apiUrl = $null
    while (-not $apiUrl) {
        $left = $deadline - [DateTime]::UtcNow
        if ($left -le [TimeSpan]::Zero) { break }
        $read = $process.StandardOutput.ReadLineAsync()
        if (-not $read.Wait($left)) { break }
        $line = $read.Result
        if ($null -eq $line) { break }   # the server exited
        $seen.Add($line)
        if ($line -match '^\s*API:\s*(http://\S+)') { $apiUrl = $Matches[1] }
    }
    if (-not $apiUrl) {
        if (-not $process.HasExited) { $process.Kill() }
        throw "The local server ($dll) did not print its API address within 60 s. It printed: $($seen -join ' | ')"
    }
    # Keep reading what it prints, so a full output pipe never blocks it.
    $null = $process.StandardOutput.ReadToEndAsync()
    [pscustomobject]@{ Process = $process; ApiUrl = $apiUrl }
}

# Stops a server from Start-TestServer. Its database is in memory, so nothing is lost by not stopping it gracefully.
function Stop-TestServer($Server) {
    if (-not $Server) { return }
    if (-not $Server.Process.HasExited) {
        $Server.Process.Kill()
        $null = $Server.Process.WaitForExit(10000)
    }
    $Server.Process.Dispose()
}

# How to start a child PowerShell of the same kind as this one, by a path that exists for every kind of install:
# Windows PowerShell (powershell.exe in $PSHOME), a normal pwsh install (its own executable), and pwsh as a .NET tool
# (the process is `dotnet`, so it is `dotnet <$PSHOME/pwsh.dll>`). Returns @{ FilePath; Arguments } for the first part.
function Get-ChildShell {
    if ($PSVersionTable.PSEdition -ne 'Core') { return @{ FilePath = (Join-Path $PSHOME 'powershell.exe'); Arguments = @() } }
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @{ FilePath = $process; Arguments = @((Join-Path $PSHOME 'pwsh.dll')) }
    }
    @{ FilePath = $process; Arguments = @() }
}

# Runs $Script in a fresh child shell (-NoProfile -NonInteractive) with extra environment variables; returns
# @{ ExitCode; Output } (stdout and stderr together). Bounded by $TimeoutSeconds.
function Invoke-ChildShell([string] $Script, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 300) {
    $shell = Get-ChildShell
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $shell.FilePath
    $psi.Arguments = (@($shell.Arguments | ForEach-Object { '"{0}"' -f $_ }) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)) -join ' '
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($name in $Environment.Keys) { $psi.EnvironmentVariables[$name] = [string] $Environment[$name] }
    $process = [System.Diagnostics.Process]::Start($psi)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill()
        throw "The child shell did not finish within $TimeoutSeconds s. It printed: $($stdout.Result)$($stderr.Result)"
    }
    $process.WaitForExit()
    [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result + $stderr.Result }
}

# Connects the cmdlets to a test backend: a fresh in-memory embedded engine, or the local server the calling file started
# into $TestServer (Start-TestServer).
function Connect-TestBackend([ValidateSet('Embedded', 'LocalServer')][string] $Backend, [switch] $PassThru) {
    if ($Backend -eq 'Embedded') { Connect-Conductor -Embedded -DatabasePath ':memory:' -PassThru:$PassThru }
    else { Connect-Conductor $TestServer.ApiUrl -PassThru:$PassThru }
}

# Waits for a .NET task (Core's async API called directly) and returns its result; $None is the token to pass.
function Wait-Async($Task) { $Task.GetAwaiter().GetResult() }
$script:None = [Threading.CancellationToken]::None
