namespace ConductorTools.Jq;

internal abstract class Ast { public int Pos; }
internal sealed class AIdentity : Ast { }
internal sealed class ARecurseAll : Ast { }
internal sealed class ALiteral : Ast { public JV Value = JNull.Instance; }
internal sealed class AIndex : Ast { public Ast Target = null!; public Ast Key = null!; public bool Optional; }
internal sealed class ASlice : Ast { public Ast Target = null!; public Ast? From; public Ast? To; public bool Optional; }
internal sealed class AIterate : Ast { public Ast Target = null!; public bool Optional; }
internal sealed class ATry : Ast { public Ast Body = null!; public Ast? Catch; }
internal sealed class AString : Ast { public List<object> Parts = new(); public string? Format; }
internal sealed class AFormat : Ast { public string Name = ""; }
internal sealed class AArray : Ast { public Ast? Body; }
internal sealed class AObject : Ast { public List<(Ast Key, Ast Value)> Entries = new(); }
internal sealed class APipe : Ast { public Ast Left = null!; public Ast Right = null!; }
internal sealed class AComma : Ast { public Ast Left = null!; public Ast Right = null!; }
internal sealed class ANeg : Ast { public Ast Body = null!; }
internal sealed class ABinary : Ast { public string Op = ""; public Ast Left = null!; public Ast Right = null!; }
internal sealed class AIf : Ast { public Ast Cond = null!; public Ast Then = null!; public Ast? Else; }
internal sealed class AReduce : Ast { public Ast Source = null!; public APattern Pattern = null!; public Ast Init = null!; public Ast Update = null!; }
internal sealed class AForeach : Ast { public Ast Source = null!; public APattern Pattern = null!; public Ast Init = null!; public Ast Update = null!; public Ast? Extract; }
internal sealed class AFuncDef : Ast { public string Name = ""; public List<string> Params = new(); public Ast Body = null!; }
internal sealed class ADefThen : Ast { public AFuncDef Def = null!; public Ast Rest = null!; }
internal sealed class ACall : Ast { public string Name = ""; public List<Ast> Args = new(); }
internal sealed class AVar : Ast { public string Name = ""; }
internal sealed class ALoc : Ast { public int Line; }
internal sealed class ABind : Ast { public Ast Source = null!; public List<APattern> Patterns = new(); public Ast Body = null!; }
internal sealed class ALabel : Ast { public string Name = ""; public Ast Body = null!; }
internal sealed class ABreak : Ast { public string Name = ""; }

internal abstract class APattern { public int Pos; }
internal sealed class PVar : APattern { public string Name = ""; }
internal sealed class PArray : APattern { public List<APattern> Items = new(); }
internal sealed class PObject : APattern { public List<(string? VarName, Ast? Key, APattern? Value)> Entries = new(); }
