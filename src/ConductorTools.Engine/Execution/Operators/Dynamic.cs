using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution.Operators;

/// <summary>DYNAMIC: the task to run is named at run time by the input parameter <c>dynamicTaskNameParam</c> names. A
/// system type name (NOOP, WAIT, HTTP, INLINE, ...) runs as that operator with the DYNAMIC task's inputs; any other name
/// runs as a worker task of that name and needs a registered TaskDef (else, as in conductor-oss, the workflow fails:
/// "Invalid task specified. Cannot find task by name ..."). A missing name fails the workflow.</summary>
internal sealed class Dynamic : Operator
{
    public override string Type => WorkflowTaskTypes.Dynamic;

    public override bool IsWorker => true;

    public override void Validate(WorkflowTask task, string path, RegistrationContext context, List<ValidationError> errors)
    {
        if (task.DynamicTaskNameParam is null)
        {
            errors.Add(DefinitionChecks.Required(path, "dynamicTaskNameParam", null, task));
        }
    }

    public override void Schedule(OperatorContext context, WorkflowTask wt, int iteration)
    {
        var input = context.ResolveTaskInput(wt.InputParameters, null, "");
        input.TryGetValue(wt.DynamicTaskNameParam ?? "", out var nameValue);
        var name = nameValue as string;
        if (string.IsNullOrWhiteSpace(name))
        {
            context.EndWorkflow(WorkflowStatus.FAILED,
                $"Cannot map a dynamic task based on the parameter and input. Parameter= {wt.DynamicTaskNameParam}, input= {{{string.Join(", ", input.Select(p => p.Key + "=" + p.Value))}}}",
                null);
            return;
        }
        var system = OperatorRegistry.IsRegistered(name!) ? OperatorRegistry.For(name!) : null;
        if (system is { IsWorker: false })
        {
            // A system type (NOOP, WAIT, HTTP, ...): run it as that operator, with the DYNAMIC task's inputs.
            var asSystem = Decider.Clone(wt);
            asSystem.Type = name!;
            asSystem.Name = name!;
            asSystem.DynamicTaskNameParam = null;
            system.Schedule(context, asSystem, iteration);
            return;
        }
        var resolved = Decider.Clone(wt);
        resolved.Name = name!;
        resolved.TaskDefinition ??= context.Tx.Store.GetTaskDef(name!);
        if (resolved.TaskDefinition is null)
        {
            context.EndWorkflow(WorkflowStatus.FAILED, $"Invalid task specified.  Cannot find task by name {name} in the task definitions", null);
            return;
        }
        var task = context.NewTask(resolved, name!, iteration);
        task.TaskDefName = name;
        task.InputData = context.ResolveTaskInput(wt.InputParameters, resolved.TaskDefinition, task.TaskId!);
        context.Add(task);
        context.StartOrDefer(task, context.Now + wt.StartDelay * 1000L);
    }
}
