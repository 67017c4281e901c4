# The PowerShell task workers of this app: task type -> script block. run.ps1 dot-sources this file.
# Each script block follows Invoke-WorkerLoop's contract (about_ConductorTools): parameters bind to the task's
# input by name, $Task holds the whole task, output becomes the task's output, an exception fails the task.
# Invoke-WorkerCycle always runs the blocks in pooled runspaces, one pool per task type, sized by that type's
# concurrency (CONDUCTOR_TASK_CONCURRENCY, else CONDUCTOR_CONCURRENCY, else 1). So a block behaves the same at any
# concurrency, and it does not see run.ps1's variables or functions: use $using:, or import what it needs inside it.

@{
    # Sample: input { name } -> output { greeting }.
    'greet_ps' = {
        param([string] $Name)
        if (-not $Name) { throw "Input 'name' is required." }
        Write-Information "Greeting $Name"
        @{ greeting = "Hello, $Name!" }
    }
}
