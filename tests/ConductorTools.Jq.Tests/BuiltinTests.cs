namespace ConductorTools.Jq.Tests;

/// <summary>Every builtin at least once (the certified suite covers most with jq's own answers; these add the rest).</summary>
public sealed class BuiltinTests
{
    [Theory]
    // core
    [InlineData("[.[] | select(. > 1)]", "[1,2,3]", "[2,3]")]
    [InlineData("map(. + 1)", "[1,2]", "[2,3]")]
    [InlineData("map_values(. + 1)", "{\"a\":1}", "{\"a\":2}")]
    [InlineData("[empty]", "null", "[]")]
    [InlineData("[recurse(if . < 2 then . + 1 else empty end)]", "0", "[0,1,2]")]
    [InlineData("[recurse(. * .; . < 20)]", "2", "[2,4,16]")]
    [InlineData("[recurse] | length", "[[1]]", "3")]
    [InlineData("[recurse_down] | length", "[[1]]", "3")]
    [InlineData("[limit(2; .[])]", "[1,2,3]", "[1,2]")]
    [InlineData("first, last, nth(1)", "[1,2,3]", "1 3 2")]
    [InlineData("first(.[]), last(.[]), nth(1; .[])", "[1,2,3]", "1 3 2")]
    [InlineData("[.[] | until(. > 100; . * 2)]", "[1,3]", "[128,192]")]
    [InlineData("[while(. < 20; . * 3)]", "1", "[1,3,9]")]
    [InlineData("[limit(4; repeat(. * 2))]", "1", "[1,2,4,8]")]
    [InlineData("[range(3)], [range(1;3)], [range(0;1;0.25)]", "null", "[0,1,2] [1,2] [0,0.25,0.5,0.75]")]
    [InlineData("isempty(empty), isempty(1,error(\"x\"))", "null", "true false")]
    [InlineData("[splits(\", *\")]", "\"a, b,c\"", "[\"a\",\"b\",\"c\"]")]
    [InlineData("[splits(\"A\"; \"i\")]", "\"xaYaz\"", "[\"x\",\"Y\",\"z\"]")]
    // paths
    [InlineData("getpath([\"a\",\"b\"])", "{\"a\":{\"b\":5}}", "5")]
    [InlineData("getpath([\"x\",\"y\"])", "{}", "null")]
    [InlineData("setpath([\"a\",1]; 9)", "{\"a\":[1,2]}", "{\"a\":[1,9]}")]
    [InlineData("delpaths([[\"a\",0],[\"b\"]])", "{\"a\":[1,2],\"b\":1}", "{\"a\":[2]}")]
    [InlineData("del(.a, .b)", "{\"a\":1,\"b\":2,\"c\":3}", "{\"c\":3}")]
    [InlineData("del(.[1,2])", "[1,2,3,4]", "[1,4]")]
    [InlineData("del(.[] | select(. == 2))", "[1,2,3]", "[1,3]")]
    [InlineData("[paths(type == \"number\")]", "{\"a\":1,\"b\":[2]}", "[[\"a\"],[\"b\",0]]")]
    [InlineData("[leaf_paths]", "{\"a\":1,\"b\":[2]}", "[[\"a\"],[\"b\",0]]")]
    [InlineData("path(getpath([\"a\",\"b\"]))", "null", "[\"a\",\"b\"]")]
    [InlineData("[path(first(.a,.b))]", "null", "[[\"a\"]]")]
    [InlineData("pick(.a.b)", "{\"a\":{\"b\":1,\"c\":2},\"d\":3}", "{\"a\":{\"b\":1}}")]
    [InlineData("[tostream]", "{\"a\":[1,2]}", "[[[\"a\",0],1],[[\"a\",1],2],[[\"a\",1]],[[\"a\"]]]")]
    [InlineData("fromstream(tostream)", "{\"a\":[1,{\"b\":null}]}", "{\"a\":[1,{\"b\":null}]}")]
    [InlineData("[1|truncate_stream([[0],1],[[1,0],2],[[1,0]],[[1]])]", "null", "[[[0],2],[[0]]]")]
    // entries
    [InlineData("to_entries", "{\"a\":1}", "[{\"key\":\"a\",\"value\":1}]")]
    [InlineData("from_entries", "[{\"key\":\"a\",\"value\":1},{\"k\":\"b\",\"v\":2},{\"name\":\"c\",\"value\":3},{\"Key\":\"d\",\"Value\":4}]", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}")]
    [InlineData("with_entries(.value += 1)", "{\"a\":1}", "{\"a\":2}")]
    [InlineData("with_entries(select(.key != \"a\"))", "{\"a\":1,\"b\":2}", "{\"b\":2}")]
    // collections
    [InlineData("keys, keys_unsorted, length", "{\"b\":1,\"a\":2}", "[\"a\",\"b\"] [\"b\",\"a\"] 2")]
    [InlineData("[.[] | length]", "[null,-3,\"ab\",[1],{\"a\":1}]", "[0,3,2,1,1]")]
    [InlineData("utf8bytelength", "\"aé\"", "3")]
    [InlineData("[values], [.[] | nulls]", "[1,null]", "[[1,null]] [null]")]
    [InlineData("map(type)", "[null,true,1,\"a\",[],{}]", "[\"null\",\"boolean\",\"number\",\"string\",\"array\",\"object\"]")]
    [InlineData("[.[] | booleans], [.[] | numbers], [.[] | strings], [.[] | arrays], [.[] | objects], [.[] | iterables], [.[] | scalars]",
        "[null,true,1,\"a\",[],{}]", "[true] [1] [\"a\"] [[]] [{}] [[],{}] [null,true,1,\"a\"]")]
    [InlineData("has(\"a\"), has(\"z\")", "{\"a\":1}", "true false")]
    [InlineData("has(0), has(3)", "[1]", "true false")]
    [InlineData("[.[] | in({\"a\":1})]", "[\"a\",\"b\"]", "[true,false]")]
    [InlineData("inside([1,2,3]), contains([1])", "[1,2]", "true true")]
    [InlineData("contains({a:[1]})", "{\"a\":[1,2],\"b\":0}", "true")]
    [InlineData("add", "[[1],[2]]", "[1,2]")]
    [InlineData("add", "[\"a\",\"b\",\"c\"]", "\"abc\"")]
    [InlineData("add", "[]", "null")]
    [InlineData("any, all", "[true,false]", "true false")]
    [InlineData("any(. > 2), all(. > 0)", "[1,2,3]", "true true")]
    [InlineData("any(.[]; . == 2), all(.[]; . < 3)", "[1,2,3]", "true false")]
    [InlineData("flatten, flatten(1)", "[1,[2,[3]]]", "[1,2,3] [1,2,[3]]")]
    [InlineData("sort, sort_by(-.)", "[3,1,2]", "[1,2,3] [3,2,1]")]
    [InlineData("group_by(.a) | map(length)", "[{\"a\":1},{\"a\":2},{\"a\":1}]", "[2,1]")]
    [InlineData("unique, unique_by(. % 2)", "[3,1,3,2]", "[1,2,3] [2,3]")]
    [InlineData("min, max, min_by(-.), max_by(-.)", "[3,1,2]", "1 3 3 1")]
    [InlineData("reverse", "[1,2,3]", "[3,2,1]")]
    [InlineData("indices(1), index(1), rindex(1)", "[1,2,1]", "[0,2] 0 2")]
    [InlineData("indices(\", \")", "\"a, b, c\"", "[1,4]")]
    [InlineData("transpose", "[[1,2],[3]]", "[[1,3],[2,null]]")]
    [InlineData("[combinations]", "[[1,2],[3,4]]", "[[1,3],[1,4],[2,3],[2,4]]")]
    [InlineData("[combinations(2)]", "[0,1]", "[[0,0],[0,1],[1,0],[1,1]]")]
    [InlineData("walk(if type == \"number\" then . + 1 else . end)", "{\"a\":[1,{\"b\":2}]}", "{\"a\":[2,{\"b\":3}]}")]
    [InlineData("IN(2, 3), IN(.[]; 5)", "[1,2]", "false false")]
    [InlineData(".[] | IN(2, 3)", "[1,2]", "false true")]
    [InlineData("INDEX(.id)", "[{\"id\":\"a\"},{\"id\":\"b\"}]", "{\"a\":{\"id\":\"a\"},\"b\":{\"id\":\"b\"}}")]
    [InlineData("[.[] | tostring]", "[1,\"a\",[1]]", "[\"1\",\"a\",\"[1]\"]")]
    [InlineData("[.[] | tonumber]", "[\"1\",\"-1.5\",2]", "[1,-1.5,2]")]
    [InlineData("tojson, (tojson | fromjson)", "{\"a\":[1]}", "\"{\\\"a\\\":[1]}\" {\"a\":[1]}")]
    [InlineData("infinite, -infinite, (nan | isnan), (1 | isinfinite), (1 | isnormal), (0 | isnormal)", "null", "1.7976931348623157e+308 -1.7976931348623157e+308 true false true false")]
    [InlineData("[.[] | not]", "[true,false,null,0]", "[false,true,true,false]")]
    // strings
    [InlineData("startswith(\"ab\"), endswith(\"bc\"), ltrimstr(\"a\"), rtrimstr(\"c\")", "\"abc\"", "true true \"bc\" \"ab\"")]
    [InlineData("split(\",\"), (split(\",\") | join(\"-\"))", "\"a,b\"", "[\"a\",\"b\"] \"a-b\"")]
    [InlineData("ascii_downcase, ascii_upcase", "\"aBé\"", "\"abé\" \"ABé\"")]
    [InlineData("ascii", "65", "\"A\"")]
    [InlineData("implode", "[65,66]", "\"AB\"")]
    [InlineData("explode", "\"AB\"", "[65,66]")]
    [InlineData("test(\"B\"; \"i\"), test(\"^b\")", "\"abc\"", "true false")]
    [InlineData("[match(\"a\"; \"g\") | .offset]", "\"aXa\"", "[0,2]")]
    [InlineData("match(\"(?<x>b)(c)?\") | .captures | map(.name)", "\"ab\"", "[\"x\",null]")]
    [InlineData("capture(\"(?<y>\\\\d{4})-(?<m>\\\\d{2})\")", "\"2024-05\"", "{\"y\":\"2024\",\"m\":\"05\"}")]
    [InlineData("[scan(\"\\\\d\")], [scan(\"(a)(b)\")]", "\"a1b2ab\"", "[\"1\",\"2\"] [[\"a\",\"b\"]]")]
    [InlineData("sub(\"(?<x>[a-z])\"; \"<\\(.x)>\"), gsub(\"[a-z]\"; \"_\")", "\"ab1\"", "\"<a>b1\" \"__1\"")]
    [InlineData("gsub(\"A\"; \"x\"; \"i\"), sub(\"a\"; \"x\"; \"g\")", "\"aAa\"", "\"xxx\" \"xAx\"")]
    [InlineData("[sub(\"a\"; \"x\", \"y\")]", "\"ab\"", "[\"xb\",\"yb\"]")]
    [InlineData("split(\"[,;]\"; null)", "\"a,b;c\"", "[\"a\",\"b\",\"c\"]")]
    [InlineData("test(\"a.c\"; \"s\"), test(\"a b\"; \"x\")", "\"a\\nc\"", "true false")]
    [InlineData("trim, ltrim, rtrim", "\"  a  \"", "\"a\" \"a  \" \"  a\"")]
    [InlineData("@text, @json", "[1,\"a\"]", "\"[1,\\\"a\\\"]\" \"[1,\\\"a\\\"]\"")]
    [InlineData("@csv, @tsv", "[1,\"a\\\"b\",null,true]", "\"1,\\\"a\\\"\\\"b\\\",,true\" \"1\\ta\\\"b\\t\\ttrue\"")]
    [InlineData("@html", "\"<a href='x'>&</a>\"", "\"&lt;a href=&apos;x&apos;&gt;&amp;&lt;/a&gt;\"")]
    [InlineData("@uri", "\"a b/ü\"", "\"a%20b%2F%C3%BC\"")]
    [InlineData("@sh", "[\"it's\", 1]", "\"'it'\\\\''s' 1\"")]
    [InlineData("@base64, (@base64 | @base64d)", "\"hello\"", "\"aGVsbG8=\" \"hello\"")]
    [InlineData("@base32, (@base32 | @base32d)", "\"hi\"", "\"NBUQ====\" \"hi\"")]
    [InlineData("format(\"csv\")", "[1,2]", "\"1,2\"")]
    // dates (UTC)
    [InlineData("todate, (todate | fromdate)", "1425599507", "\"2015-03-05T23:51:47Z\" 1425599507")]
    [InlineData("gmtime, (gmtime | mktime)", "1425599507", "[2015,2,5,23,51,47,4,63] 1425599507")]
    [InlineData("strftime(\"%Y-%m-%dT%H:%M:%SZ %a %j\")", "1425599507", "\"2015-03-05T23:51:47Z Thu 064\"")]
    [InlineData("strptime(\"%d/%m/%Y %H:%M\") | mktime", "\"05/03/2015 23:51\"", "1425599460")]
    [InlineData("fromdateiso8601, (fromdateiso8601 | todateiso8601)", "\"2015-03-05T23:51:47Z\"", "1425599507 \"2015-03-05T23:51:47Z\"")]
    [InlineData("date, (dateadd(\"seconds\"; 13) | todate)", "1425599507", "\"2015-03-05T23:51:47Z\" \"2015-03-05T23:52:00Z\"")]
    [InlineData("now | type", "null", "\"number\"")]
    // math
    [InlineData("[floor, ceil, round, fabs, trunc]", "-1.5", "[-2,-1,-2,1.5,-1]")]
    [InlineData("[sqrt, pow(.; 2), log, exp, log10, log2, exp2, exp10]", "4", "[2,16,1.3862943611198906,54.598150033144236,0.6020599913279624,2,16,10000]")]
    [InlineData("[significand, logb, frexp, modf]", "10", "[1.25,3,[0.625,4],[0,10]]")]
    [InlineData("[ldexp(3; 2), scalb(3; 2), scalbln(3; 2), fmin(1; 2), fmax(1; 2), fmod(7; 3), atan2(0; 1), copysign(3; -1), drem(7; 2)]", "null", "[12,12,12,1,2,1,0,-3,-1]")]
    [InlineData("[gamma, lgamma, tgamma]", "5", "[3.1780538303479458,3.1780538303479458,24]")]
    [InlineData("[sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, cbrt, expm1, log1p] | map(. * 1000 | floor)", "0.5", "[479,877,546,523,1047,463,521,1127,462,793,648,405]")]
    [InlineData("abs, toarray", "-3", "3 [-3]")]
    // misc
    [InlineData("debug, stderr, input_filename, input_line_number", "1", "1 1 null 0")]
    [InlineData("[inputs]", "1", "[]")]
    [InlineData("builtins | map(select(. == \"map/1\")) | length", "null", "1")]
    [InlineData("error", "\"boom\"", null)]
    [InlineData("isvalid(.a), isvalid(error)", "{}", "true false")]
    [InlineData("getpath([\"a\"]) |= 3", "{}", "{\"a\":3}")]
    [InlineData("splits(\"b\")", "\"abc\"", "\"a\" \"c\"")]
    [InlineData("ltrimstr(1), rtrimstr(null)", "\"x\"", "\"x\" \"x\"")]
    [InlineData("to_number", "\"12\"", "12")]
    public void Builtin(string filter, string input, string? expected)
    {
        if (expected == null)
        {
            Assert.ThrowsAny<JqException>(() => Jq.Run(filter, input));
            return;
        }
        Assert.Equal(expected, Jq.All(filter, input));
    }

    [Fact]
    public void The_builtin_list_covers_jackson_jq_and_jq_1_6()
    {
        var names = Jq.One("builtins");
        foreach (var n in new[]
        {
            "length/0", "utf8bytelength/0", "not/0", "keys/0", "keys_unsorted/0", "values/0", "has/1", "in/1", "map/1", "map_values/1",
            "path/1", "del/1", "to_entries/0", "from_entries/0", "with_entries/1", "select/1", "empty/0", "error/0", "error/1",
            "recurse/0", "recurse/1", "recurse/2", "recurse_down/0", "env/0", "builtins/0", "input_line_number/0", "add/0", "any/0",
            "any/1", "any/2", "all/0", "all/1", "all/2", "flatten/0", "flatten/1", "range/1", "range/2", "range/3", "floor/0", "sqrt/0",
            "pow/2", "log/0", "tostring/0", "tonumber/0", "type/0", "infinite/0", "nan/0", "isinfinite/0", "isnan/0", "isnormal/0",
            "sort/0", "sort_by/1", "group_by/1", "min/0", "max/0", "min_by/1", "max_by/1", "unique/0", "unique_by/1", "reverse/0",
            "contains/1", "inside/1", "indices/1", "index/1", "rindex/1", "startswith/1", "endswith/1", "combinations/0",
            "combinations/1", "ltrimstr/1", "rtrimstr/1", "explode/0", "implode/0", "split/1", "split/2", "join/1", "ascii_downcase/0",
            "ascii_upcase/0", "ascii/0", "while/2", "until/2", "repeat/1", "limit/2", "first/0", "first/1", "last/0", "last/1", "nth/1",
            "nth/2", "tojson/0", "fromjson/0", "todate/0", "fromdate/0", "date/0", "now/0", "mktime/0", "gmtime/0", "localtime/0",
            "strftime/1", "strptime/1", "todateiso8601/0", "fromdateiso8601/0", "dateadd/2", "datesub/2", "splits/1", "splits/2",
            "sub/2", "sub/3", "gsub/2", "gsub/3", "test/1", "test/2", "match/1", "match/2", "capture/1", "capture/2", "scan/1",
            "tostream/0", "fromstream/1", "truncate_stream/1", "getpath/1", "setpath/2", "delpaths/1", "paths/0", "paths/1",
            "leaf_paths/0", "transpose/0", "walk/1", "debug/0", "stderr/0", "input_filename/0", "isempty/1", "IN/1", "IN/2",
            "INDEX/1", "INDEX/2", "nulls/0", "booleans/0", "numbers/0", "strings/0", "arrays/0", "objects/0", "iterables/0",
            "scalars/0", "significand/0", "logb/0", "gamma/0", "lgamma/0", "tgamma/0", "frexp/0", "modf/0", "ldexp/2", "format/1",
        })
        {
            Assert.Contains("\"" + n + "\"", names);
        }
    }
}
