using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace ConductorTools.PowerShell.Commands;

/// <summary>
/// Runs a <c>Connect-Conductor -TokenProvider</c> script block in a runspace of its own. Tokens are asked for on whatever
/// thread sends a request (a worker loop's poller, a thread job), often while the session's runspace is busy running
/// something else, and a script block must never run in a runspace on another thread at the same time. So the script's
/// text is re-created in a private runspace (created on first use, one call at a time), as ThreadJob and
/// ForEach-Object -Parallel do; modules it needs (Az.Accounts for Get-AzAccessToken) load there by auto-loading.
/// </summary>
internal sealed class TokenProviderRunspace
{
    private readonly string _script;
    private readonly PSLanguageMode _languageMode;
    private readonly object _gate = new();
    private Runspace? _runspace;

    public TokenProviderRunspace(ScriptBlock provider, PSLanguageMode languageMode)
    {
        _script = provider.ToString();
        _languageMode = languageMode;
    }

    /// <summary>Runs the provider and returns what it output (the last object is the token).</summary>
    public IReadOnlyList<PSObject> Invoke()
    {
        lock (_gate)
        {
            if (_runspace is null || _runspace.RunspaceStateInfo.State != RunspaceState.Opened)
            {
                _runspace?.Dispose();
                var state = InitialSessionState.CreateDefault2();
                // A compiled module must not lift a constrained caller into a FullLanguage runspace.
                state.LanguageMode = _languageMode;
                _runspace = RunspaceFactory.CreateRunspace(state);
                _runspace.Name = "ConductorTools:TokenProvider";
                _runspace.Open();
            }
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = _runspace;
            ps.AddScript(_script);
            var output = ps.Invoke();
            if (ps.HadErrors && ps.Streams.Error.Count > 0 && output.Count == 0)
                throw new InvalidOperationException("The token provider failed: " + ps.Streams.Error[0], ps.Streams.Error[0].Exception);
            return output;
        }
    }
}
