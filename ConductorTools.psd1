@{
    RootModule             = 'ConductorTools.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = '5d0b7c2e-8f3a-4e61-9c1d-2a7b4e9f6c31'
    Author                 = 'ConductorTools contributors'
    CompanyName            = 'ConductorTools'
    Copyright              = '(c) ConductorTools contributors. MIT License.'
    Description            = 'Run Conductor (conductor-oss, Orkes) workflows and script-block task workers from PowerShell, against a server or the embedded engine.'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    TypesToProcess         = @('ConductorTools.types.ps1xml')
    FormatsToProcess       = @(
        'ConductorTools.format.ps1xml'
        'ConductorTools.WorkerLoop.format.ps1xml'
    )
    CmdletsToExport        = @(
        'Complete-Task'
        'Connect-Conductor'
        'Disconnect-Conductor'
        'Get-ConductorConnection'
        'Get-Task'
        'Get-TaskDef'
        'Get-TaskQueue'
        'Get-Workflow'
        'Get-WorkflowDef'
        'Invoke-WorkerCycle'
        'Invoke-WorkerDispatch'
        'Invoke-WorkerLoop'
        'Invoke-WorkflowRerun'
        'New-TaskResult'
        'Redo-Workflow'
        'Register-TaskDef'
        'Register-WorkflowDef'
        'Remove-TaskDef'
        'Remove-Workflow'
        'Remove-WorkflowDef'
        'Restart-Workflow'
        'Resume-Workflow'
        'Set-TaskDef'
        'Skip-WorkflowTask'
        'Start-Workflow'
        'Stop-Workflow'
        'Suspend-Workflow'
        'Wait-Workflow'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Conductor', 'Orkes', 'Workflow', 'Orchestration', 'Worker', 'Automation', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/conductortools/conductortools/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/conductortools/conductortools'
            ReleaseNotes = 'First release: cmdlets for definitions, workflows and tasks; Invoke-WorkerLoop; embedded engine.'
        }
    }
}
