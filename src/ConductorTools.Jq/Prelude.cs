namespace ConductorTools.Jq;

/// <summary>Builtins written in jq itself, compiled once per process and shared by every filter.</summary>
internal static class Prelude
{
    private const string Source = @"
def values: select(. != null);
def nulls: select(. == null);
def booleans: select(type == ""boolean"");
def numbers: select(type == ""number"");
def strings: select(type == ""string"");
def arrays: select(type == ""array"");
def objects: select(type == ""object"");
def iterables: select(type|. == ""array"" or . == ""object"");
def scalars: select(type|. != ""array"" and . != ""object"");
def finites: select(isinfinite or isnan | not);
def normals: select(isnormal);
def recurse_down: recurse;
def in(xs): . as $x | xs | has($x);
def inside(xs): . as $x | xs | contains($x);
def leaf_paths: paths(scalars);
def first: .[0];
def last: .[-1];
def nth($n): .[$n];
def nth($n; f): if $n < 0 then error(""nth doesn't support negative indices"") else last(limit($n + 1; f)) end;
def combinations(n): . as $dot | [range(n)] | map($dot) | combinations;
def splits($re): split($re; null) | .[];
def splits($re; flags): split($re; flags) | .[];
def ascii: [.] | implode;
def todate: strftime(""%Y-%m-%dT%H:%M:%SZ"");
def todateiso8601: strftime(""%Y-%m-%dT%H:%M:%SZ"");
def fromdateiso8601: strptime(""%Y-%m-%dT%H:%M:%SZ"") | mktime;
def fromdate: fromdateiso8601;
def date: todate;
def dateadd(u; n): . + n;
def datesub(u; n): . - n;
def tostream: path(def r: (.[]?|r), .; r) as $p | getpath($p) | reduce path(.[]?) as $q ([$p, .]; [$p+$q]);
def fromstream(f): { x: null, e: false } as $init
  | foreach f as $i ($init;
      if .e then $init else . end
      | if $i | length == 2
        then setpath([""e""]; $i[0] | length == 0) | setpath([""x""] + $i[0]; $i[1])
        else setpath([""e""]; $i[0] | length == 1) end;
      if .e then .x else empty end);
def truncate_stream(stream): . as $n | null | stream | . as $input | if (.[0]|length) > $n then setpath([0];.[0][$n:]) else empty end;
def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row|idx_expr|tostring] |= $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);
def pick(pathexps): . as $top | reduce path(pathexps) as $p (null; setpath($p; $top | getpath($p)));
def isvalid(f): try (f | true) catch false;
def halt_error(code): error(.);
def halt_error: halt_error(5);
def add(f): reduce f as $x (null; . + $x);
def have_decnum: false;
def have_literal_numbers: true;
def to_number: tonumber;
def sort(f): sort_by(f);
def min(f): min_by(f);
def max(f): max_by(f);
def unique(f): unique_by(f);
def group(f): group_by(f);
def group: group_by(.);
";

    public static readonly Scope? Scope;
    public static readonly Env Env;
    public static readonly List<string> Names = new();

    static Prelude()
    {
        var ast = new Parser(Source + " .").ParseProgram();
        var compiler = new Compiler(Source);
        Scope? scope = null;
        var env = Env.Root;
        while (ast is ADefThen dt)
        {
            var fd = compiler.CompileDef(dt.Def, scope, out var defScope);
            scope = defScope;
            env = env.BindFunc(fd);
            Names.Add(dt.Def.Name + "/" + dt.Def.Params.Count);
            ast = dt.Rest;
        }
        Scope = scope;
        Env = env;
    }
}
