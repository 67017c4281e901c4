# Runs once per PowerShell worker (cold start), before any function. Nothing to do for ConductorTools: run.ps1 imports
# the bundled module, and Invoke-WorkerCycle binds the settings on every invocation, so setting changes apply without
# a restart. Do not Connect-AzAccount here unless a worker script needs Az; run.ps1 connects for the token auth modes.
