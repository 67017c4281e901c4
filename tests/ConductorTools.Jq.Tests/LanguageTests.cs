namespace ConductorTools.Jq.Tests;

public sealed class LanguageTests
{
    [Theory]
    [InlineData(".", "{\"a\":1}", "{\"a\":1}")]
    [InlineData(".a.b", "{\"a\":{\"b\":2}}", "2")]
    [InlineData(".a?.b", "{\"a\":null}", "null")]
    [InlineData(".[\"a\"]", "{\"a\":3}", "3")]
    [InlineData(".\"a b\"", "{\"a b\":3}", "3")]
    [InlineData(".a.\"b\"", "{\"a\":{\"b\":4}}", "4")]
    [InlineData(".[1]", "[1,2,3]", "2")]
    [InlineData(".[-1]", "[1,2,3]", "3")]
    [InlineData(".[1:]", "[1,2,3]", "[2,3]")]
    [InlineData(".[:-1]", "[1,2,3]", "[1,2]")]
    [InlineData(".[1:2]", "\"abc\"", "\"b\"")]
    [InlineData(".[]", "[1,2]", "1 2")]
    [InlineData(".[]", "{\"a\":1,\"b\":2}", "1 2")]
    [InlineData(".[]?", "3", "")]
    [InlineData("..", "[1,[2]]", "[1,[2]] 1 [2] 2")]
    [InlineData(".a, .b", "{\"a\":1,\"b\":2}", "1 2")]
    [InlineData(".a | . + 1", "{\"a\":1}", "2")]
    [InlineData("[.[] | . * 2]", "[1,2]", "[2,4]")]
    [InlineData("{a, b: 2, \"c\": 3, (\"d\"): 4}", "{\"a\":1}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}")]
    [InlineData("1 as $x | {$x}", "null", "{\"x\":1}")]
    [InlineData("{$__loc__}", "null", "{\"__loc__\":{\"file\":\"<top-level>\",\"line\":1}}")]
    [InlineData("{a: (1,2)}", "null", "{\"a\":1} {\"a\":2}")]
    [InlineData("{(\"a\",\"b\"): 1}", "null", "{\"a\":1} {\"b\":1}")]
    [InlineData(".a // \"d\"", "{}", "\"d\"")]
    [InlineData("(false, null, 1) // 2", "null", "1")]
    [InlineData("empty // 2", "null", "2")]
    [InlineData("reduce .[] as $x (0; . + $x)", "[1,2,3]", "6")]
    [InlineData("foreach .[] as $x (0; . + $x)", "[1,2,3]", "1 3 6")]
    [InlineData("foreach .[] as $x (0; . + $x; [$x, .])", "[1,2]", "[1,1] [2,3]")]
    [InlineData("def f: . * 2; map(f)", "[1,2]", "[2,4]")]
    [InlineData("def f(g): [g, g]; f(.a)", "{\"a\":1}", "[1,1]")]
    [InlineData("def f($a; $b): $a * $b; f(2; 3)", "null", "6")]
    [InlineData("def f(a; $b): a + $b; f(.x; 1)", "{\"x\":1}", "2")]
    [InlineData("def fac: if . <= 1 then 1 else . * (. - 1 | fac) end; fac", "20", "2432902008176640000")]
    [InlineData("def f: def g: 3; g * 2; f", "null", "6")]
    [InlineData("try error(\"x\") catch .", "null", "\"x\"")]
    [InlineData("try error({a:1}) catch .a", "null", "1")]
    [InlineData("[.[] | try if . == 2 then error(\"e\") else . end]", "[1,2,3]", "[1,3]")]
    [InlineData("error(\"x\")?", "null", "")]
    [InlineData("if . then 1 elif . == false then 2 else 3 end", "false", "2")]
    [InlineData("if . then 1 end", "false", "false")]
    [InlineData(". as [$a, {b: $c}] | [$a, $c]", "[1,{\"b\":2}]", "[1,2]")]
    [InlineData(". as {a: $x, $b} | [$x, $b]", "{\"a\":1,\"b\":2}", "[1,2]")]
    [InlineData(". as {(\"a\"): $x} | $x", "{\"a\":1}", "1")]
    [InlineData(".[] as [$a] ?// $a | $a", "[[1],2]", "1 2")]
    [InlineData("\"x\\(1 + 2)y\"", "null", "\"x3y\"")]
    [InlineData("\"\\(.a) \\(.b)\"", "{\"a\":\"s\",\"b\":[1]}", "\"s [1]\"")]
    [InlineData("@base64 \"v=\\(.)\"", "\"hi\"", "\"v=aGk=\"")]
    [InlineData("@json \"v=\\(.)\"", "\"hi\"", "\"v=\\\"hi\\\"\"")]
    [InlineData(".a = 1", "{}", "{\"a\":1}")]
    [InlineData(".a |= . + 1", "{\"a\":1}", "{\"a\":2}")]
    [InlineData(".a += 2", "{\"a\":1}", "{\"a\":3}")]
    [InlineData(".a -= 2", "{\"a\":1}", "{\"a\":-1}")]
    [InlineData(".a *= 2", "{\"a\":3}", "{\"a\":6}")]
    [InlineData(".a /= 2", "{\"a\":3}", "{\"a\":1.5}")]
    [InlineData(".a %= 2", "{\"a\":3}", "{\"a\":1}")]
    [InlineData(".a //= 5", "{\"a\":null}", "{\"a\":5}")]
    [InlineData(".[] += 1", "[1,2]", "[2,3]")]
    [InlineData(".a.b.c = 1", "null", "{\"a\":{\"b\":{\"c\":1}}}")]
    [InlineData(".[2] = 1", "null", "[null,null,1]")]
    [InlineData(".[1:] = [9]", "[1,2,3]", "[1,9]")]
    [InlineData("(.[] | select(. > 1)) |= . * 10", "[1,2,3]", "[1,20,30]")]
    [InlineData("label $out | 1, 2, break $out, 3", "null", "1 2")]
    [InlineData("[label $f | range(10) | ., (select(. == 2) | break $f)]", "null", "[0,1,2]")]
    [InlineData("path(.a[0].b)", "null", "[\"a\",0,\"b\"]")]
    [InlineData("[path(..)]", "[[1]]", "[[],[0],[0,0]]")]
    [InlineData("path(.a | select(.b == 0))", "{\"a\":{\"b\":0}}", "[\"a\"]")]
    [InlineData("[paths]", "{\"a\":[1]}", "[[\"a\"],[\"a\",0]]")]
    [InlineData("$__loc__", "null", "{\"file\":\"<top-level>\",\"line\":1}")]
    [InlineData("\n\n$__loc__.line", "null", "3")]
    [InlineData("$ENV", "null", "{}")]
    [InlineData("env", "null", "{}")]
    [InlineData(".a # comment\n| . + 1", "{\"a\":1}", "2")]
    [InlineData("-(1, 2)", "null", "-1 -2")]
    [InlineData("(1,2) + (10,20)", "null", "11 12 21 22")]
    [InlineData("[.[] | (. > 1) and (. < 3), (. == 1) or false]", "[1,2]", "[false,true,true,false]")]
    [InlineData("1, 2 | . * 10", "null", "10 20")]
    [InlineData("reduce empty as $x (0; . + 1)", "null", "0")]
    [InlineData("[limit(3; repeat(1))]", "null", "[null,1,1]")]
    [InlineData("[first(range(10; 0; -1))]", "null", "[10]")]
    [InlineData(".a[1:] |= map(. * 10)", "{\"a\":[1,2,3]}", "{\"a\":[1,20,30]}")]
    [InlineData("{\"if\":1,\"then\":2} | {if, then}", "null", "{\"if\":1,\"then\":2}")]
    public void Evaluates(string filter, string input, string expected) => Assert.Equal(expected, Jq.All(filter, input));

    [Fact]
    public void Outputs_are_lazy_so_infinite_generators_can_be_limited_by_the_caller()
    {
        var f = JqFilter.Parse("range(1e12)");
        var first = f.EvaluateJson("null").Take(3).ToList();
        Assert.Equal(new[] { "0", "1", "2" }, first);
        var rec = JqFilter.Parse("def f: 1, f; f").EvaluateJson("null").Take(5).ToList();
        Assert.Equal(5, rec.Count);
    }

    [Fact]
    public void Keys_keep_insertion_order_except_where_jq_sorts()
    {
        Assert.Equal("{\"b\":1,\"a\":2}", Jq.One("{b:1, a:2}"));
        Assert.Equal("[\"a\",\"b\"]", Jq.One("{b:1, a:2} | keys"));
        Assert.Equal("[\"b\",\"a\"]", Jq.One("{b:1, a:2} | keys_unsorted"));
        Assert.Equal("{\"b\":3,\"a\":2}", Jq.One("{b:1, a:2} + {b:3}"));
        Assert.Equal("[{\"key\":\"b\",\"value\":1},{\"key\":\"a\",\"value\":2}]", Jq.One("{b:1, a:2} | to_entries"));
    }

    [Fact]
    public void Values_order_as_jq_does()
    {
        Assert.Equal("[null,false,true,-1,0,1.5,\"\",\"a\",\"b\",[],[0],[1,2],{},{\"a\":1},{\"b\":0}]",
            Jq.One("[{\"b\":0}, [1,2], \"b\", 1.5, true, {\"a\":1}, null, [0], \"\", -1, {}, false, \"a\", 0, []] | sort"));
        Assert.Equal("true", Jq.One("{a:1,b:2} < {a:1,c:0}"));
        Assert.Equal("true", Jq.One("[1,2] < [1,2,3]"));
        Assert.Equal("true", Jq.One("1 == 1.0"));
    }

    [Fact]
    public void Integers_stay_exact_in_64_bits_as_jackson_jq_keeps_longs()
    {
        Assert.Equal("9007199254740993", Jq.One("."
            , "9007199254740993"));
        Assert.Equal("9223372036854775807", Jq.One(". + 0", "9223372036854775807"));
        Assert.Equal("9007199254740994", Jq.One(". + 1", "9007199254740993"));
        Assert.Equal("2", Jq.One("4 / 2"));
        Assert.Equal("0.5", Jq.One("1 / 2"));
        Assert.Equal("18446744073709552000", Jq.One("9223372036854775807 * 2"));
    }

    [Fact]
    public void Strings_slice_and_count_by_code_point()
    {
        Assert.Equal("4", Jq.One("length", "\"aé😀b\""));
        Assert.Equal("\"é😀\"", Jq.One(".[1:3]", "\"aé😀b\""));
        Assert.Equal("[97,233,128512,98]", Jq.One("explode", "\"aé😀b\""));
        Assert.Equal("\"aé😀b\"", Jq.One("explode | implode", "\"aé😀b\""));
        Assert.Equal("[2]", Jq.One("indices(\"😀\")", "\"aé😀b\""));
    }

    [Fact]
    public void A_compiled_filter_is_safe_to_share_between_threads()
    {
        var f = JqFilter.Parse("[.[] | select(.x > 1) | {id: .x, n: (.s | length)}] | length");
        var input = "[" + string.Join(",", Enumerable.Range(0, 40).Select(i => $"{{\"x\":{i % 5},\"s\":\"{new string('a', i)}\"}}")) + "]";
        var results = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 200, _ => results.Add(f.EvaluateJson(input).Single()));
        Assert.All(results, r => Assert.Equal("24", r));
    }
}

public sealed class ReduceInPlaceTests
{
    [Theory]
    [InlineData("reduce .[] as $x ({}; .[$x.k] = $x.v)", "[{\"k\":\"a\",\"v\":1},{\"k\":\"b\",\"v\":2},{\"k\":\"a\",\"v\":3}]", "{\"a\":3,\"b\":2}")]
    [InlineData("reduce .[] as $x ({}; .[$x.k] += $x.v)", "[{\"k\":\"a\",\"v\":1},{\"k\":\"b\",\"v\":2},{\"k\":\"a\",\"v\":3}]", "{\"a\":4,\"b\":2}")]
    [InlineData("reduce .[] as $x ({}; .[$x.k] += [$x.v])", "[{\"k\":\"a\",\"v\":1},{\"k\":\"a\",\"v\":3}]", "{\"a\":[1,3]}")]
    [InlineData("reduce .[] as $x ({}; .[$x.k] |= (. // 0) + 1)", "[{\"k\":\"a\"},{\"k\":\"a\"},{\"k\":\"b\"}]", "{\"a\":2,\"b\":1}")]
    [InlineData("reduce .[] as $x ({}; .[$x.k] |= empty)", "[{\"k\":\"a\"}]", "{}")]
    [InlineData("reduce .[] as $x ({}; .[$x.k] //= $x.v)", "[{\"k\":\"a\",\"v\":1},{\"k\":\"a\",\"v\":2}]", "{\"a\":1}")]
    [InlineData("reduce .[] as $x ([]; . + [$x * 2])", "[1,2,3]", "[2,4,6]")]
    [InlineData("reduce .[] as $x (null; .[$x] = $x)", "[2,0]", "[0,null,2]")]
    [InlineData("reduce .[] as $x ({}; . + {($x): 1})", "[\"a\",\"b\"]", "{\"a\":1,\"b\":1}")]
    [InlineData(". as $in | reduce range(2) as $i ($in; .[\"n\\($i)\"] = $i) | [., $in]", "{\"z\":0}", "[{\"z\":0,\"n0\":0,\"n1\":1},{\"z\":0}]")]
    [InlineData("[{}] as [$init] | reduce (1,2) as $i ($init; .[\"k\\($i)\"] = $i) | [., $init]", "null", "[{\"k1\":1,\"k2\":2},{}]")]
    [InlineData("reduce .[] as $x ({}; .[$x, \"all\"] += 1)", "[\"a\",\"b\"]", "{\"a\":1,\"all\":2,\"b\":1}")]
    [InlineData("INDEX(.[]; .id)", "[{\"id\":1},{\"id\":2}]", "{\"1\":{\"id\":1},\"2\":{\"id\":2}}")]
    public void Same_answers_as_the_generic_update(string filter, string input, string expected) => Assert.Equal(expected, Jq.All(filter, input));

    [Fact]
    public void Building_a_large_object_in_a_reduce_is_linear()
    {
        var input = "[" + string.Join(",", Enumerable.Range(0, 50_000).Select(i => $"{{\"id\":\"k{i}\",\"v\":{i}}}")) + "]";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("50000", Jq.One("reduce .[] as $i ({}; .[$i.id] = $i.v) | length", input));
        Assert.Equal("50000", Jq.One("map({(.id): .v}) | add | length", input));
        Assert.Equal("50000", Jq.One("reduce .[] as $i ([]; . + [$i.v]) | length", input));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), sw.Elapsed.ToString());
    }
}
