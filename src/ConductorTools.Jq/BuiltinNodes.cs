namespace ConductorTools.Jq;

internal delegate JV ValFn(JV input, JV[] args, Ctx ctx);
internal delegate IEnumerable<JV> GenFn(JV input, JV[] args, Ctx ctx);
internal delegate IEnumerable<JV> ClosureFn(JV input, Node[] args, Env env, Ctx ctx);
internal delegate JV ClosureFn1(JV input, Node[] args, Env env, Ctx ctx);
internal delegate IEnumerable<PV> PathFn(PV input, Node[] args, Env env, Ctx ctx);

/// <summary>A builtin over argument values: each argument's outputs combine as jq's cartesian product (first argument outermost).</summary>
internal sealed class ValFnNode : Node
{
    private readonly ValFn _f;
    private readonly Node[] _args;
    private readonly bool _simple;

    public ValFnNode(ValFn f, Node[] args)
    {
        _f = f; _args = args;
        _simple = args.All(a => a.IsSimple);
    }

    public override bool IsSimple => _simple;

    public override JV Eval1(JV input, Env env, Ctx ctx)
    {
        if (!_simple) return base.Eval1(input, env, ctx);
        if (_args.Length == 0) return _f(input, Array.Empty<JV>(), ctx);
        var vals = new JV[_args.Length];
        for (int i = 0; i < vals.Length; i++) vals[i] = _args[i].Eval1(input, env, ctx);
        return _f(input, vals, ctx);
    }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_simple) return new One(Eval1(input, env, ctx));
        return Cartesian(_args, input, env, ctx, vals => new One(_f(input, vals, ctx)));
    }

    internal static IEnumerable<JV> Cartesian(Node[] args, JV input, Env env, Ctx ctx, Func<JV[], IEnumerable<JV>> body)
    {
        var vals = new JV[args.Length];
        return Rec(0);

        IEnumerable<JV> Rec(int i)
        {
            if (i == args.Length)
            {
                foreach (var r in body((JV[])vals.Clone())) yield return r;
                yield break;
            }
            foreach (var v in args[i].Eval(input, env, ctx))
            {
                vals[i] = v;
                foreach (var r in Rec(i + 1)) yield return r;
            }
        }
    }
}

internal sealed class GenFnNode : Node
{
    private readonly GenFn _f;
    private readonly Node[] _args;
    public GenFnNode(GenFn f, Node[] args) { _f = f; _args = args; }

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx)
    {
        if (_args.All(a => a.IsSimple))
        {
            var vals = new JV[_args.Length];
            for (int i = 0; i < vals.Length; i++) vals[i] = _args[i].Eval1(input, env, ctx);
            return _f(input, vals, ctx);
        }
        return ValFnNode.Cartesian(_args, input, env, ctx, vals => _f(input, vals, ctx));
    }
}

/// <summary>A builtin that takes its arguments as filters (closures), optionally path-capable.</summary>
internal sealed class ClosureFnNode : Node
{
    private readonly ClosureFn? _f;
    private readonly ClosureFn1? _f1;
    private readonly PathFn? _paths;
    private readonly Node[] _args;
    private readonly string _name;

    public ClosureFnNode(string name, ClosureFn? f, ClosureFn1? f1, PathFn? paths, Node[] args)
    {
        _name = name; _f = f; _f1 = f1; _paths = paths; _args = args;
    }

    public override bool IsSimple => _f1 != null;

    public override JV Eval1(JV input, Env env, Ctx ctx) => _f1 != null ? _f1(input, _args, env, ctx) : base.Eval1(input, env, ctx);

    public override IEnumerable<JV> Eval(JV input, Env env, Ctx ctx) =>
        _f1 != null ? new One(_f1(input, _args, env, ctx)) : _f!(input, _args, env, ctx);

    public override IEnumerable<PV> Paths(PV input, Env env, Ctx ctx) =>
        _paths != null ? _paths(input, _args, env, ctx) : base.Paths(input, env, ctx);

    public override string ToString() => _name;
}
