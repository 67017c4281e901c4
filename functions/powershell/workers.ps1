# The PowerShell task workers of this app: task type -> script block. run.ps1 dot-sources this file.
# Each script block follows Invoke-WorkerLoop's contract (about_ConductorTools): parameters bind to the task's
# input by name, $Task holds the whole task, output becomes the task's output, an exception fails the task.
# Blocks run in pooled runspaces (-ThrottleLimit), so they must not rely on variables of run.ps1 (use $using:).

@{
    # Sample: input { name } -> output { greeting }.
    'greet_ps' = {
        param([string] $Name)
        if (-not $Name) { throw "Input 'name' is required." }
        Write-Information "Greeting $Name"
        @{ greeting = "Hello, $Name!" }
    }
}
