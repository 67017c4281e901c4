using System.Globalization;
using System.Text;

namespace ConductorTools.Engine.Expressions;

/// <summary>
/// Jayway-style JSONPath over plain values (maps, lists, scalars), the subset Conductor workflows use: dotted and
/// bracketed names (<c>a.b</c>, <c>['a b']</c>), indexes (<c>[0]</c>, <c>[-1]</c>, <c>[0,2]</c>), slices (<c>[1:3]</c>),
/// wildcards (<c>[*]</c>, <c>.*</c>), deep scan (<c>..id</c>), <c>.length()</c>, and filters
/// <c>[?(@.x &gt; 1 &amp;&amp; @.y == 'a')]</c> with ==, !=, &lt;, &lt;=, &gt;, &gt;=, &amp;&amp;, || and existence.
/// A definite path yields the value or null when missing; an indefinite one (wildcard, deep scan, filter, slice,
/// several indexes) yields a list of matches, as Jayway does.
/// </summary>
public static class JsonPath
{
    private static readonly object Missing = new();

    /// <summary>Evaluates <paramref name="path"/> (without the leading <c>$.</c>) on <paramref name="root"/>.</summary>
    /// <exception cref="FormatException">The path cannot be parsed.</exception>
    public static object? Evaluate(object? root, string path)
    {
        var segments = Parse(path);
        var nodes = new List<object?> { root };
        var indefinite = false;
        foreach (var segment in segments)
        {
            indefinite |= segment.Indefinite;
            var next = new List<object?>();
            foreach (var node in nodes)
            {
                segment.Apply(node, next);
            }
            nodes = next;
        }
        var found = nodes.Where(n => !ReferenceEquals(n, Missing)).ToList();
        if (indefinite) return found;
        return found.Count == 0 ? null : found[0];
    }

    private abstract class Segment
    {
        public virtual bool Indefinite => false;
        public abstract void Apply(object? node, List<object?> into);
    }

    private sealed class Property : Segment
    {
        private readonly string _name;
        public Property(string name) => _name = name;
        public override void Apply(object? node, List<object?> into)
        {
            if (node is IDictionary<string, object?> map && map.TryGetValue(_name, out var value)) into.Add(value);
        }
    }

    private sealed class Properties : Segment
    {
        private readonly string[] _names;
        public Properties(string[] names) => _names = names;
        public override bool Indefinite => true;
        public override void Apply(object? node, List<object?> into)
        {
            if (node is not IDictionary<string, object?> map) return;
            foreach (var name in _names)
            {
                if (map.TryGetValue(name, out var value)) into.Add(value);
            }
        }
    }

    private sealed class Wildcard : Segment
    {
        public override bool Indefinite => true;
        public override void Apply(object? node, List<object?> into)
        {
            if (node is IDictionary<string, object?> map) into.AddRange(map.Values);
            else if (node is IList<object?> list) into.AddRange(list);
        }
    }

    private sealed class Indexes : Segment
    {
        private readonly int[] _indexes;
        public Indexes(int[] indexes) => _indexes = indexes;
        public override bool Indefinite => _indexes.Length > 1;
        public override void Apply(object? node, List<object?> into)
        {
            if (node is not IList<object?> list) return;
            foreach (var index in _indexes)
            {
                var i = index < 0 ? list.Count + index : index;
                if (i >= 0 && i < list.Count) into.Add(list[i]);
            }
        }
    }

    private sealed class Slice : Segment
    {
        private readonly int? _start, _end;
        public Slice(int? start, int? end) { _start = start; _end = end; }
        public override bool Indefinite => true;
        public override void Apply(object? node, List<object?> into)
        {
            if (node is not IList<object?> list) return;
            int Norm(int v) => Math.Max(0, Math.Min(list.Count, v < 0 ? list.Count + v : v));
            var from = _start is { } s ? Norm(s) : 0;
            var to = _end is { } e ? Norm(e) : list.Count;
            for (var i = from; i < to; i++) into.Add(list[i]);
        }
    }

    private sealed class DeepScan : Segment
    {
        private readonly string? _name; // null: every node
        public DeepScan(string? name) => _name = name;
        public override bool Indefinite => true;
        public override void Apply(object? node, List<object?> into)
        {
            if (node is IDictionary<string, object?> map)
            {
                foreach (var pair in map)
                {
                    if (_name is null || pair.Key == _name) into.Add(pair.Value);
                }
                foreach (var value in map.Values) Apply(value, into);
            }
            else if (node is IList<object?> list)
            {
                if (_name is null) into.AddRange(list);
                foreach (var item in list) Apply(item, into);
            }
        }
    }

    private sealed class Length : Segment
    {
        public override void Apply(object? node, List<object?> into)
        {
            switch (node)
            {
                case IList<object?> list: into.Add((long)list.Count); break;
                case IDictionary<string, object?> map: into.Add((long)map.Count); break;
                case string s: into.Add((long)s.Length); break;
            }
        }
    }

    private sealed class Filter : Segment
    {
        private readonly string _expression;
        public Filter(string expression) => _expression = expression;
        public override bool Indefinite => true;
        public override void Apply(object? node, List<object?> into)
        {
            IEnumerable<object?> candidates = node switch
            {
                IList<object?> list => list,
                IDictionary<string, object?> map => new[] { (object?)map },
                _ => Array.Empty<object?>(),
            };
            foreach (var item in candidates)
            {
                if (Matches(_expression, item)) into.Add(item);
            }
        }
    }

    private static List<Segment> Parse(string path)
    {
        var segments = new List<Segment>();
        var i = 0;
        if (path.StartsWith("$", StringComparison.Ordinal)) i = 1;
        while (i < path.Length)
        {
            var c = path[i];
            if (c == '.' && i + 1 < path.Length && path[i + 1] == '.')
            {
                i += 2;
                if (i < path.Length && path[i] == '*') { segments.Add(new DeepScan(null)); i++; continue; }
                if (i < path.Length && path[i] == '[') { segments.Add(new DeepScan(null)); continue; }
                var name = ReadName(path, ref i);
                segments.Add(new DeepScan(name));
            }
            else if (c == '.')
            {
                i++;
                if (i < path.Length && path[i] == '*') { segments.Add(new Wildcard()); i++; continue; }
                var name = ReadName(path, ref i);
                if (name == "length" && path.Substring(i).StartsWith("()", StringComparison.Ordinal)) { segments.Add(new Length()); i += 2; }
                else segments.Add(new Property(name));
            }
            else if (c == '[')
            {
                var close = FindBracketEnd(path, i);
                segments.Add(ParseBracket(path.Substring(i + 1, close - i - 1).Trim()));
                i = close + 1;
            }
            else
            {
                var name = ReadName(path, ref i);
                if (name == "length" && path.Substring(i).StartsWith("()", StringComparison.Ordinal) && segments.Count > 0) { segments.Add(new Length()); i += 2; }
                else segments.Add(new Property(name));
            }
        }
        return segments;
    }

    private static string ReadName(string path, ref int i)
    {
        var start = i;
        while (i < path.Length && path[i] != '.' && path[i] != '[' && path[i] != '(') i++;
        if (i == start) throw new FormatException($"Expected a property name at position {start} of '{path}'.");
        return path.Substring(start, i - start);
    }

    private static int FindBracketEnd(string path, int open)
    {
        var depth = 0;
        char? quote = null;
        for (var i = open; i < path.Length; i++)
        {
            var c = path[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c is '\'' or '"') quote = c;
            else if (c == '[') depth++;
            else if (c == ']' && --depth == 0) return i;
        }
        throw new FormatException($"Unclosed '[' in '{path}'.");
    }

    private static Segment ParseBracket(string content)
    {
        if (content == "*") return new Wildcard();
        if (content.StartsWith("?", StringComparison.Ordinal))
        {
            var expression = content.Substring(1).Trim();
            if (expression.StartsWith("(", StringComparison.Ordinal) && expression.EndsWith(")", StringComparison.Ordinal))
            {
                expression = expression.Substring(1, expression.Length - 2);
            }
            return new Filter(expression);
        }
        if (content.StartsWith("'", StringComparison.Ordinal) || content.StartsWith("\"", StringComparison.Ordinal))
        {
            var names = SplitTopLevel(content, ',').Select(n => Unquote(n.Trim())).ToArray();
            return names.Length == 1 ? new Property(names[0]) : new Properties(names);
        }
        if (content.Contains(':'))
        {
            var parts = content.Split(':');
            return new Slice(ParseOptionalInt(parts[0]), ParseOptionalInt(parts[1]));
        }
        var indexes = content.Split(',').Select(p => int.Parse(p.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
        return new Indexes(indexes);
    }

    private static int? ParseOptionalInt(string text) =>
        string.IsNullOrWhiteSpace(text) ? null : int.Parse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static string Unquote(string text) =>
        text.Length >= 2 && (text[0] == '\'' || text[0] == '"') && text[text.Length - 1] == text[0] ? text.Substring(1, text.Length - 2) : text;

    private static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var depth = 0;
        foreach (var c in text)
        {
            if (quote is not null)
            {
                if (c == quote) quote = null;
                current.Append(c);
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
            if (c == separator && depth == 0)
            {
                parts.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        parts.Add(current.ToString());
        return parts;
    }

    // ---- filters: "@.a > 1 && @.b == 'x' || @.c"

    private static bool Matches(string expression, object? item)
    {
        foreach (var alternative in SplitOperator(expression, "||"))
        {
            if (SplitOperator(alternative, "&&").All(term => Term(term.Trim(), item))) return true;
        }
        return false;
    }

    private static List<string> SplitOperator(string text, string op)
    {
        var parts = new List<string>();
        var start = 0;
        char? quote = null;
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c is '\'' or '"') quote = c;
            else if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
            else if (depth == 0 && string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
            {
                parts.Add(text.Substring(start, i - start));
                start = i + op.Length;
                i += op.Length - 1;
            }
        }
        parts.Add(text.Substring(start));
        return parts;
    }

    private static readonly string[] Comparisons = { "==", "!=", "<=", ">=", "<", ">" };

    private static bool Term(string term, object? item)
    {
        if (term.StartsWith("(", StringComparison.Ordinal) && term.EndsWith(")", StringComparison.Ordinal))
        {
            return Matches(term.Substring(1, term.Length - 2), item);
        }
        foreach (var op in Comparisons)
        {
            var parts = SplitOperator(term, op);
            if (parts.Count != 2) continue;
            var left = Operand(parts[0].Trim(), item, out var leftFound);
            var right = Operand(parts[1].Trim(), item, out var rightFound);
            if (!leftFound || !rightFound) return op == "!=" && leftFound != rightFound;
            return Compare(left, right, op);
        }
        Operand(term, item, out var exists);
        return exists;
    }

    private static object? Operand(string text, object? item, out bool found)
    {
        found = true;
        if (text.StartsWith("@", StringComparison.Ordinal))
        {
            var path = text.Substring(1);
            if (path.Length == 0) return item;
            var nodes = new List<object?> { item };
            foreach (var segment in Parse(path))
            {
                var next = new List<object?>();
                foreach (var node in nodes) segment.Apply(node, next);
                nodes = next;
            }
            found = nodes.Count > 0;
            return found ? nodes[0] : null;
        }
        if (text.Length >= 2 && (text[0] == '\'' || text[0] == '"')) return Unquote(text);
        if (text == "true") return true;
        if (text == "false") return false;
        if (text == "null") return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        throw new FormatException($"Cannot read '{text}' in a JSONPath filter.");
    }

    private static bool Compare(object? left, object? right, string op)
    {
        int? order = null;
        if (IsNumber(left) && IsNumber(right))
        {
            order = Convert.ToDouble(left, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(right, CultureInfo.InvariantCulture));
        }
        else if (left is string ls && right is string rs)
        {
            order = string.CompareOrdinal(ls, rs);
        }
        return op switch
        {
            "==" => order is not null ? order == 0 : Equals(left, right),
            "!=" => order is not null ? order != 0 : !Equals(left, right),
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            ">=" => order >= 0,
            _ => false,
        };
    }

    private static bool IsNumber(object? value) => value is long or int or double or float or decimal;
}
