using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>USER_DEFINED: a worker task polled under its type string. Also the operator of a type string the registry
/// does not know (only reachable from definitions stored before registration refused such strings).</summary>
internal sealed class UserDefined : Operator
{
    public override string Type => WorkflowTaskTypes.UserDefined;

    public override bool IsWorker => true;
}
