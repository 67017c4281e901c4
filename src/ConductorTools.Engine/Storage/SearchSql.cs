using System.Globalization;
using System.Text;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Storage;

/// <summary>
/// Translates Conductor's search parameters into SQL over the indexed columns (used only by <see cref="SqliteStore"/>). Supported <c>query</c> syntax (a subset
/// of the index's SQL-like language): conditions <c>field = value</c>, <c>!=</c>/<c>&lt;&gt;</c>, <c>&gt;</c>, <c>&gt;=</c>,
/// <c>&lt;</c>, <c>&lt;=</c>, <c>field IN (a, b)</c>, joined with <c>AND</c> and <c>OR</c> (AND binds tighter) and grouped
/// with parentheses; values bare, 'single' or "double" quoted.
/// <c>freeText</c> <c>*</c> (or empty) matches everything, any other text matches ids, names and correlation ids
/// exactly or a substring of the stored JSON. <c>sort</c> is <c>field[:ASC|DESC]</c> items separated by <c>|</c>.
/// Anything else is rejected with a 400 naming the unsupported part.
/// </summary>
internal sealed class SearchSql
{
    private static readonly Dictionary<string, string> WorkflowColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["workflowType"] = "name", ["workflowName"] = "name", ["workflowId"] = "id", ["status"] = "status",
        ["correlationId"] = "correlation_id", ["version"] = "version", ["startTime"] = "create_time",
        ["createTime"] = "create_time", ["updateTime"] = "update_time", ["endTime"] = "end_time",
        ["parentWorkflowId"] = "parent_id",
    };

    private static readonly Dictionary<string, string> TaskColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["taskType"] = "task_type", ["taskDefName"] = "def_name", ["taskId"] = "id", ["status"] = "status",
        ["workflowId"] = "workflow_id", ["referenceTaskName"] = "ref_name", ["updateTime"] = "update_time",
    };

    /// <summary>How deep parentheses may nest in a query (each level is a level of recursion here and in SQLite's parser).</summary>
    public const int MaxNesting = 32;

    private readonly List<object?> _arguments = new();

    private SearchSql() { }

    public string Where { get; private set; } = "1=1";

    public IReadOnlyList<object?> Arguments => _arguments;

    public string OrderBy { get; private set; } = "rowid";

    public int Start { get; private set; }

    public int Size { get; private set; }

    public static SearchSql ForWorkflows(SearchRequest request) =>
        Build(request, WorkflowColumns, "create_time DESC", new[] { "id", "name", "correlation_id" });

    public static SearchSql ForTasks(SearchRequest request) =>
        Build(request, TaskColumns, "update_time DESC", new[] { "id", "workflow_id", "task_type", "ref_name" });

    private static SearchSql Build(SearchRequest request, Dictionary<string, string> columns, string defaultOrder, string[] freeTextColumns)
    {
        if (request.Size > 5000)
        {
            throw ConductorException.BadRequest($"Cannot return more than 5000 workflows. Please use pagination (size was {request.Size}).");
        }
        if (request.Start < 0 || request.Size < 0)
        {
            throw ConductorException.BadRequest("start and size must not be negative.");
        }
        var query = new SearchSql { Start = request.Start, Size = request.Size };
        var conditions = new List<string>();
        if (!string.IsNullOrWhiteSpace(request.Query))
        {
            CheckNesting(request.Query!);
            conditions.Add(query.Expression(request.Query!, columns));
        }
        var freeText = request.FreeText?.Trim();
        if (!string.IsNullOrEmpty(freeText) && freeText != "*")
        {
            var p = query.Add(freeText);
            var like = query.Add("%" + freeText + "%");
            conditions.Add("(" + string.Join(" OR ", freeTextColumns.Select(c => c + " = " + p)) + " OR json LIKE " + like + ")");
        }
        if (conditions.Count > 0)
        {
            query.Where = string.Join(" AND ", conditions);
        }
        query.OrderBy = defaultOrder;
        if (!string.IsNullOrWhiteSpace(request.Sort))
        {
            var parts = new List<string>();
            foreach (var item in request.Sort!.Split('|'))
            {
                var pieces = item.Split(':');
                if (!columns.TryGetValue(pieces[0].Trim(), out var column))
                {
                    throw ConductorException.BadRequest($"Cannot sort by '{pieces[0].Trim()}': the embedded engine sorts by {string.Join(", ", columns.Keys)}.");
                }
                // field, field:ASC or field:DESC; anything else is refused rather than read as ascending.
                var direction = pieces.Length == 1 ? "ASC" : pieces[1].Trim().ToUpperInvariant();
                if (pieces.Length > 2 || direction is not ("ASC" or "DESC"))
                {
                    throw ConductorException.BadRequest($"Cannot read the sort '{item.Trim()}': use field, field:ASC or field:DESC, several separated by |.");
                }
                parts.Add(column + " " + direction);
            }
            query.OrderBy = string.Join(", ", parts);
        }
        return query;
    }

    /// <summary>Refuses a query whose parentheses nest deeper than <see cref="MaxNesting"/> (outside quotes).</summary>
    private static void CheckNesting(string text)
    {
        var depth = 0;
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is not null)
            {
                if (c == quote) quote = null;
            }
            else if (c is '\'' or '"') quote = c;
            else if (c == '(' && ++depth > MaxNesting)
            {
                throw ConductorException.BadRequest($"The search query nests parentheses deeper than {MaxNesting} levels; simplify it.");
            }
            else if (c == ')') depth--;
        }
    }

    private string Add(object? value)
    {
        _arguments.Add(value);
        return "$p" + (_arguments.Count - 1).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>OR of AND-groups of conditions or parenthesised expressions, as SQL.</summary>
    private string Expression(string text, Dictionary<string, string> columns)
    {
        var alternatives = SplitTopLevel(text, "OR").Select(alternative =>
        {
            var all = SplitTopLevel(alternative, "AND").Select(part =>
            {
                var trimmed = part.Trim();
                if (trimmed.Length == 0)
                {
                    throw ConductorException.BadRequest($"An AND or OR has nothing on one side in: {text}");
                }
                return IsGroup(trimmed) ? "(" + Expression(trimmed.Substring(1, trimmed.Length - 2), columns) + ")" : Condition(trimmed, columns);
            }).ToList();
            return all.Count == 1 ? all[0] : string.Join(" AND ", all);
        }).ToList();
        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" OR ", alternatives) + ")";
    }

    /// <summary>Whether the text is one parenthesised group: its first '(' closes at its last character.</summary>
    private static bool IsGroup(string text)
    {
        if (text[0] != '(' || text[text.Length - 1] != ')')
        {
            return false;
        }
        var depth = 0;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == quote) quote = null;
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i == text.Length - 1;
        }
        throw ConductorException.BadRequest($"Unbalanced parentheses in: {text}");
    }

    /// <summary>Splits on a keyword outside quotes and parentheses.</summary>
    private static List<string> SplitTopLevel(string query, string keyword)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var depth = 0;
        char? quote = null;
        for (var i = 0; i < query.Length; i++)
        {
            var c = query[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                current.Append(c);
                continue;
            }
            if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                if (--depth < 0)
                {
                    throw ConductorException.BadRequest($"Unbalanced parentheses in: {query}");
                }
            }
            else if (depth == 0 && IsKeywordAt(query, i, keyword))
            {
                parts.Add(current.ToString());
                current.Clear();
                i += keyword.Length - 1;
                continue;
            }
            current.Append(c);
        }
        if (depth != 0 || quote is not null)
        {
            throw ConductorException.BadRequest($"Unbalanced parentheses or quotes in: {query}");
        }
        parts.Add(current.ToString());
        return parts;
    }

    private static bool IsKeywordAt(string text, int index, string keyword) =>
        index + keyword.Length <= text.Length
        && string.Compare(text, index, keyword, 0, keyword.Length, StringComparison.OrdinalIgnoreCase) == 0
        && (index == 0 || char.IsWhiteSpace(text[index - 1]))
        && (index + keyword.Length == text.Length || char.IsWhiteSpace(text[index + keyword.Length]));

    private string Condition(string clause, Dictionary<string, string> columns)
    {
        clause = clause.Trim();
        var fieldEnd = 0;
        while (fieldEnd < clause.Length && (char.IsLetterOrDigit(clause[fieldEnd]) || clause[fieldEnd] == '_' || clause[fieldEnd] == '.'))
        {
            fieldEnd++;
        }
        var field = clause.Substring(0, fieldEnd);
        if (!columns.TryGetValue(field, out var column))
        {
            throw ConductorException.BadRequest($"Cannot search on '{field}' in '{clause}': the embedded engine searches {string.Join(", ", columns.Keys)}.");
        }
        var rest = clause.Substring(fieldEnd).Trim();
        if (rest.StartsWith("IN", StringComparison.OrdinalIgnoreCase) && rest.Substring(2).TrimStart().StartsWith("(", StringComparison.Ordinal))
        {
            var open = rest.IndexOf('(');
            var close = ClosingParenthesis(rest, open)
                ?? throw ConductorException.BadRequest($"Missing ')' in: {clause}");
            var after = rest.Substring(close + 1).Trim();
            if (after.Length > 0)
            {
                throw ConductorException.BadRequest($"Cannot read '{after}' after the IN (...) list in: {clause}");
            }
            var values = SplitValues(rest.Substring(open + 1, close - open - 1)).Select(v => Value(v, column, clause)).ToList();
            return column + " IN (" + string.Join(", ", values.Select(Add)) + ")";
        }
        foreach (var op in new[] { ">=", "<=", "!=", "<>", "=", ">", "<" })
        {
            if (rest.StartsWith(op, StringComparison.Ordinal))
            {
                var value = Value(rest.Substring(op.Length).Trim(), column, clause);
                return column + " " + (op == "!=" ? "<>" : op) + " " + Add(value);
            }
        }
        throw ConductorException.BadRequest($"Cannot read the condition '{clause}': use field = value, field IN (a,b), or >, >=, <, <=, !=.");
    }

    /// <summary>The index of the ')' that closes the '(' at <paramref name="open"/> (quotes skipped), or null.</summary>
    private static int? ClosingParenthesis(string text, int open)
    {
        var depth = 0;
        char? quote = null;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == quote) quote = null;
            }
            else if (c is '\'' or '"') quote = c;
            else if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i;
        }
        return null;
    }

    /// <summary>An IN list's items, split on commas outside quotes.</summary>
    private static List<string> SplitValues(string list)
    {
        var items = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        foreach (var c in list)
        {
            if (quote is null && c == ',')
            {
                items.Add(current.ToString().Trim());
                current.Clear();
                continue;
            }
            if (quote is not null && c == quote) quote = null;
            else if (quote is null && c is '\'' or '"') quote = c;
            current.Append(c);
        }
        items.Add(current.ToString().Trim());
        return items;
    }

    /// <summary>One value: 'single' or "double" quoted (anything inside), or a bare word (no spaces, quotes or
    /// parentheses). Text that is neither, such as a second word, is refused rather than read into the value.</summary>
    private static object? Value(string text, string column, string clause)
    {
        if (text.Length > 0 && (text[0] == '\'' || text[0] == '"'))
        {
            var end = text.IndexOf(text[0], 1);
            if (end < 0)
            {
                throw ConductorException.BadRequest($"Missing closing quote in: {clause}");
            }
            if (end != text.Length - 1)
            {
                throw ConductorException.BadRequest($"Cannot read '{text.Substring(end + 1).Trim()}' after the value {text.Substring(0, end + 1)} in: {clause}");
            }
            text = text.Substring(1, text.Length - 2);
        }
        else if (text.Length == 0)
        {
            throw ConductorException.BadRequest($"A value is missing in: {clause}");
        }
        else if (text.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '(' or ')'))
        {
            throw ConductorException.BadRequest($"Cannot read the value '{text}' in: {clause}; quote a value that has spaces ('a b').");
        }
        if (column is "version" or "create_time" or "update_time" or "end_time")
        {
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                return number;
            }
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                return date.ToUnixTimeMilliseconds();
            }
            throw ConductorException.BadRequest($"'{text}' is not a number or a date for {column}.");
        }
        return text;
    }
}
