using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ConductorTools.Api;
using ConductorTools.Completion;
using ConductorTools.Connections;

namespace ConductorTools.PowerShell.Commands;

/// <summary>
/// Base of the module's argument completers: PowerShell in, <see cref="ConductorCompleter"/> decides, CompletionResults
/// out. The connection is the command line's -Connection when it has one, else the one the command would use.
/// </summary>
public abstract class ConductorArgumentCompleter : IArgumentCompleter
{
    private readonly CompletionKind _kind;

    private protected ConductorArgumentCompleter(CompletionKind kind) => _kind = kind;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ConductorCompleter.Shared.Complete(_kind, wordToComplete, () => ConnectionFor(fakeBoundParameters))
            .Select(c => new CompletionResult(c.CompletionText, c.ListItemText, CompletionResultType.ParameterValue, c.ToolTip))
            .ToList();

    private static IConductorApi? ConnectionFor(IDictionary? fakeBoundParameters)
    {
        var given = fakeBoundParameters?["Connection"];
        var value = given is PSObject pso ? pso.BaseObject : given;
        return value switch
        {
            ConductorConnection connection => connection.Api,
            IConductorApi api => api,
            _ => ConductorCmdlet.Connections.Resolve(null).Api,
        };
    }
}

/// <summary>Completes task types (task definition names) from the connection.</summary>
public sealed class TaskTypeCompleter : ConductorArgumentCompleter
{
    public TaskTypeCompleter() : base(CompletionKind.TaskType) { }
}

/// <summary>Completes workflow definition names from the connection.</summary>
public sealed class WorkflowNameCompleter : ConductorArgumentCompleter
{
    public WorkflowNameCompleter() : base(CompletionKind.WorkflowName) { }
}

/// <summary>Completes workflow statuses.</summary>
public sealed class WorkflowStatusCompleter : ConductorArgumentCompleter
{
    public WorkflowStatusCompleter() : base(CompletionKind.WorkflowStatus) { }
}

/// <summary>Completes task statuses.</summary>
public sealed class TaskStatusCompleter : ConductorArgumentCompleter
{
    public TaskStatusCompleter() : base(CompletionKind.TaskStatus) { }
}

/// <summary>Completes the statuses a task result may report.</summary>
public sealed class TaskResultStatusCompleter : ConductorArgumentCompleter
{
    public TaskResultStatusCompleter() : base(CompletionKind.TaskResultStatus) { }
}
