namespace ConductorTools.Jq;

internal enum ScopeKind { Var, Func, Param, Label }

internal sealed class Scope
{
    public readonly Scope? Parent;
    public readonly ScopeKind Kind;
    public readonly string Name;
    public readonly int Arity;

    public Scope(Scope? parent, ScopeKind kind, string name, int arity = 0)
    {
        Parent = parent; Kind = kind; Name = name; Arity = arity;
    }
}

/// <summary>Turns the syntax tree into evaluator nodes, resolving every name to its lexical depth once.</summary>
internal sealed class Compiler
{
    private readonly string _text;
    internal Compiler(string text) => _text = text;

    public static Node CompileProgram(Ast ast, string text) => new Compiler(text).Compile(ast, Prelude.Scope);

    internal static Node CompileWith(Ast ast, string text, Scope? scope) => new Compiler(text).Compile(ast, scope);

    private JqParseException Error(int pos, string message)
    {
        int line = 1, col = 1;
        for (int i = 0; i < pos && i < _text.Length; i++) { if (_text[i] == '\n') { line++; col = 1; } else col++; }
        return new JqParseException($"{message} at line {line}, column {col}", pos, line, col, "a defined name");
    }

    public FuncDef CompileDef(AFuncDef d, Scope? scope, out Scope defScope)
    {
        var fd = new FuncDef { Name = d.Name, Arity = d.Params.Count };
        defScope = new Scope(scope, ScopeKind.Func, d.Name, d.Params.Count);
        var s = defScope;
        foreach (var p in d.Params) s = new Scope(s, ScopeKind.Param, p.TrimStart('$'));
        // $params: `def f($a): body` is `def f(a): a as $a | body`.
        var valueParams = d.Params.Where(p => p.StartsWith("$", StringComparison.Ordinal)).Select(p => p.Substring(1)).ToList();
        fd.Body = CompileValueParams(valueParams, 0, d, s);
        return fd;
    }

    private Node CompileValueParams(List<string> names, int i, AFuncDef d, Scope s)
    {
        if (i == names.Count) return Compile(d.Body, s);
        int depth = FindParam(s, names[i]);
        var inner = new Scope(s, ScopeKind.Var, names[i]);
        var body = CompileValueParams(names, i + 1, d, inner);
        return new BindNode(new ParamCallNode(depth), new[] { new Pattern { Slot = 0 } }, 1, body);
    }

    private static int FindParam(Scope s, string name)
    {
        int depth = 0;
        for (var x = s; x != null; x = x.Parent, depth++)
            if (x.Kind == ScopeKind.Param && x.Name == name) return depth;
        throw new InvalidOperationException(name);
    }

    public Node Compile(Ast a, Scope? s)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (a)
        {
            case AIdentity: return IdentityNode.Instance;
            case ARecurseAll: return new RecurseAllNode();
            case ALiteral l: return new LiteralNode(l.Value);
            case ALoc loc:
            {
                var b = new JObjBuilder(2);
                b.Set("file", JStr.Of("<top-level>"));
                b.Set("line", JNum.Of(loc.Line));
                return new LiteralNode(b.Build());
            }
            case AIndex ix:
            {
                var t = Compile(ix.Target, s);
                var k = Compile(ix.Key, s);
                Node n = k is LiteralNode { Value: JStr str } ? new FieldNode(t, str.S) : new IndexNode(t, k);
                return ix.Optional ? new OptionalStepNode(n, t) : n;
            }
            case ASlice sl:
            {
                var t = Compile(sl.Target, s);
                Node n = new SliceNode(t, sl.From == null ? null : Compile(sl.From, s), sl.To == null ? null : Compile(sl.To, s));
                return sl.Optional ? new OptionalStepNode(n, t) : n;
            }
            case AIterate it:
            {
                var t = Compile(it.Target, s);
                Node n = new IterateNode(t);
                return it.Optional ? new OptionalStepNode(n, t) : n;
            }
            case ATry t: return new TryNode(Compile(t.Body, s), t.Catch == null ? null : Compile(t.Catch, s));
            case AString str:
            {
                if (str.Parts.Count == 1 && str.Parts[0] is string only && str.Format == null) return new LiteralNode(JStr.Of(only));
                var parts = new List<object>();
                foreach (var p in str.Parts) parts.Add(p is Ast pa ? Compile(pa, s) : p);
                try { return new StringNode(parts, str.Format); }
                catch (JqException e) { throw Error(str.Pos, e.Message); }
            }
            case AFormat f:
                try { return new FormatNode(f.Name); }
                catch (JqException e) { throw Error(f.Pos, e.Message); }
            case AArray arr: return new ArrayNode(arr.Body == null ? null : Compile(arr.Body, s));
            case AObject obj:
            {
                var entries = new List<(Node, Node)>();
                foreach (var (k, v) in obj.Entries)
                {
                    var kn = Compile(k, s);
                    if (kn is LiteralNode { Value: var kv } && kv is not JStr) throw Error(k.Pos, $"Cannot use {Err.Desc(kv)} as object key");
                    entries.Add((kn, Compile(v, s)));
                }
                return new ObjectNode(entries);
            }
            case APipe p: return new PipeNode(Compile(p.Left, s), Compile(p.Right, s));
            case AComma c: return new CommaNode(Compile(c.Left, s), Compile(c.Right, s));
            case ANeg n:
            {
                var body = Compile(n.Body, s);
                if (body is LiteralNode { Value: JNum num }) return new LiteralNode(Ops.Negate(num));
                return new NegNode(body);
            }
            case ABinary b: return CompileBinary(b, s);
            case AIf i: return new IfNode(Compile(i.Cond, s), Compile(i.Then, s), i.Else == null ? null : Compile(i.Else, s));
            case AReduce r:
            {
                var src = Compile(r.Source, s);
                var init = Compile(r.Init, s);
                var (pat, n, inner) = CompilePatterns(new List<APattern> { r.Pattern }, s);
                return new ReduceNode(src, pat[0], n, init, Compile(r.Update, inner), InPlaceFor(r.Update, inner));
            }
            case AForeach f:
            {
                var src = Compile(f.Source, s);
                var init = Compile(f.Init, s);
                var (pat, n, inner) = CompilePatterns(new List<APattern> { f.Pattern }, s);
                return new ForeachNode(src, pat[0], n, init, Compile(f.Update, inner), f.Extract == null ? null : Compile(f.Extract, inner));
            }
            case ADefThen dt:
            {
                var fd = CompileDef(dt.Def, s, out var defScope);
                return new DefNode(fd, Compile(dt.Rest, defScope));
            }
            case ACall call: return CompileCall(call, s);
            case AVar v:
            {
                int depth = 0;
                for (var x = s; x != null; x = x.Parent, depth++)
                    if (x.Kind == ScopeKind.Var && x.Name == v.Name) return new VarNode(depth);
                if (v.Name == "ENV") return new LiteralNode(JObj.Empty);
                throw Error(v.Pos, $"${v.Name} is not defined");
            }
            case ABind bind:
            {
                var src = Compile(bind.Source, s);
                var (pats, n, inner) = CompilePatterns(bind.Patterns, s);
                return new BindNode(src, pats, n, Compile(bind.Body, inner));
            }
            case ALabel lab:
                return new LabelNode(Compile(lab.Body, new Scope(s, ScopeKind.Label, lab.Name)));
            case ABreak br:
            {
                int depth = 0;
                for (var x = s; x != null; x = x.Parent, depth++)
                    if (x.Kind == ScopeKind.Label && x.Name == br.Name) return new BreakNode(depth);
                throw Error(br.Pos, $"$*label-{br.Name} is not defined");
            }
        }
        throw new InvalidOperationException("unknown syntax node " + a.GetType().Name);
    }

    /// <summary>Whether an expression's value cannot depend on (or contain) its input `.`.</summary>
    private static bool DotFree(Ast a) => a switch
    {
        AVar or ALiteral or ALoc => true,
        AIndex ix => DotFree(ix.Target) && DotFree(ix.Key),
        ASlice sl => DotFree(sl.Target) && (sl.From == null || DotFree(sl.From)) && (sl.To == null || DotFree(sl.To)),
        AIterate it => DotFree(it.Target),
        AArray arr => arr.Body == null || DotFree(arr.Body),
        AObject obj => obj.Entries.All(e => DotFree(e.Key) && DotFree(e.Value)),
        AString str => str.Parts.All(p => p is string || DotFree((Ast)p)),
        APipe p => DotFree(p.Left),
        AComma c => DotFree(c.Left) && DotFree(c.Right),
        ANeg n => DotFree(n.Body),
        ABinary b => b.Op is "+" or "-" or "*" or "/" or "%" or "==" or "!=" or "<" or "<=" or ">" or ">=" or "and" or "or" or "//" && DotFree(b.Left) && DotFree(b.Right),
        AIf i => DotFree(i.Cond) && DotFree(i.Then) && (i.Else == null || DotFree(i.Else)),
        _ => false,
    };

    private InPlaceUpdate? InPlaceFor(Ast update, Scope? s)
    {
        if (update is not ABinary b) return null;
        if (b.Op == "+" && b.Left is AIdentity && DotFree(b.Right))
            return new InPlaceUpdate { Op = "append", Rhs = Compile(b.Right, s) };
        if (b.Op is "=" or "|=" or "+=" or "-=" or "*=" or "/=" or "%=" or "//=" && b.Left is AIndex { Target: AIdentity } ix && DotFree(ix.Key)
            && (b.Op == "|=" || DotFree(b.Right)))
        {
            var rhs = Compile(b.Right, s);
            if (b.Op != "|=" && !rhs.IsSimple) return null;
            return new InPlaceUpdate { Op = b.Op, Key = Compile(ix.Key, s), Rhs = rhs };
        }
        return null;
    }

    private Node CompileBinary(ABinary b, Scope? s)
    {
        var l = Compile(b.Left, s);
        var r = Compile(b.Right, s);
        switch (b.Op)
        {
            case "//": return new AltNode(l, r);
            case "and": return new AndOrNode(true, l, r);
            case "or": return new AndOrNode(false, l, r);
            case "=": case "|=": case "+=": case "-=": case "*=": case "/=": case "%=": case "//=":
                return new AssignNode(b.Op, l, r);
        }
        var node = new BinaryNode(b.Op, l, r);
        if (l is LiteralNode && r is LiteralNode)
        {
            try { return new LiteralNode(node.Eval1(JNull.Instance, Env.Root, new Ctx(JqOptions.Default))); }
            catch (JqException) { }
        }
        return node;
    }

    private (Pattern[] Patterns, int Slots, Scope? Inner) CompilePatterns(List<APattern> patterns, Scope? s)
    {
        var names = new List<string>();
        void Collect(APattern p)
        {
            switch (p)
            {
                case PVar v: if (!names.Contains(v.Name)) names.Add(v.Name); break;
                case PArray a: foreach (var i in a.Items) Collect(i); break;
                case PObject o:
                    foreach (var (varName, _, sub) in o.Entries)
                    {
                        if (varName != null && !names.Contains(varName)) names.Add(varName);
                        if (sub != null) Collect(sub);
                    }
                    break;
            }
        }
        foreach (var p in patterns) Collect(p);
        Pattern Build(APattern p)
        {
            switch (p)
            {
                case PVar v: return new Pattern { Slot = names.IndexOf(v.Name) };
                case PArray a: return new Pattern { Items = a.Items.Select(Build).ToArray() };
                default:
                {
                    var o = (PObject)p;
                    var entries = new List<(Node, int, Pattern?)>();
                    foreach (var (varName, key, sub) in o.Entries)
                    {
                        Node keyNode = varName != null ? new LiteralNode(JStr.Of(varName)) : Compile(key!, s);
                        entries.Add((keyNode, varName != null ? names.IndexOf(varName) : -1, sub == null ? null : Build(sub)));
                    }
                    return new Pattern { Entries = entries.ToArray() };
                }
            }
        }
        var built = patterns.Select(Build).ToArray();
        var inner = s;
        foreach (var n in names) inner = new Scope(inner, ScopeKind.Var, n);
        return (built, names.Count, inner);
    }

    private Node CompileCall(ACall call, Scope? s)
    {
        int arity = call.Args.Count;
        int depth = 0;
        for (var x = s; x != null; x = x.Parent, depth++)
        {
            if (x.Kind == ScopeKind.Func && x.Name == call.Name && x.Arity == arity)
                return new CallNode(depth, call.Args.Select(a => Compile(a, s)).ToArray());
            if (x.Kind == ScopeKind.Param && x.Name == call.Name && arity == 0)
                return new ParamCallNode(depth);
        }
        if (Builtins.TryCreate(call.Name, arity, call.Args.Select(a => Compile(a, s)).ToArray(), out var node))
            return node!;
        throw Error(call.Pos, $"{call.Name}/{arity} is not defined");
    }
}
