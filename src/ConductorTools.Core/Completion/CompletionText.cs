using System.Text;
using System.Text.RegularExpressions;

namespace ConductorTools.Completion;

/// <summary>One tab-completion candidate: what is inserted, what the menu shows, and its tooltip.</summary>
public sealed class CompletionCandidate
{
    public CompletionCandidate(string completionText, string listItemText, string toolTip)
    {
        CompletionText = completionText;
        ListItemText = listItemText;
        ToolTip = toolTip;
    }

    /// <summary>The text that replaces the word being completed (quoted when PowerShell needs quotes).</summary>
    public string CompletionText { get; }

    /// <summary>The plain value, as a completion menu lists it.</summary>
    public string ListItemText { get; }

    public string ToolTip { get; }

    public override string ToString() => CompletionText;
}

/// <summary>
/// The text side of PowerShell argument completion, without PowerShell: reading the word being completed (a leading
/// quote, an optional closing one, escapes inside), matching values against it (case-insensitive prefix, or a wildcard
/// pattern when the word has * ? or [), and quoting each candidate the way the user started to, or in single quotes
/// when a value would not survive as a bare word (spaces, $, quotes, a leading digit or dash, ...).
/// </summary>
public static class CompletionText
{
    // Characters PowerShell's parser treats as quotes (it accepts the typographic ones too).
    private const string SingleQuotes = "'\u2018\u2019\u201A\u201B";
    private const string DoubleQuotes = "\"\u201C\u201D\u201E";

    /// <summary>The word without its quotes and escapes, and the quote character the user typed (null when none).</summary>
    public static (string Prefix, char? Quote) ParseWord(string? wordToComplete)
    {
        var word = wordToComplete ?? "";
        if (word.Length == 0) return ("", null);
        var first = word[0];
        char? quote = SingleQuotes.IndexOf(first) >= 0 ? '\'' : DoubleQuotes.IndexOf(first) >= 0 ? '"' : null;
        if (quote is null) return (word, null);
        var inner = word.Substring(1);
        var quotes = quote == '\'' ? SingleQuotes : DoubleQuotes;
        // A closing quote (not one that is half of an escaped pair) ends the string.
        if (inner.Length > 0 && quotes.IndexOf(inner[inner.Length - 1]) >= 0 && !EndsWithEscapedQuote(inner, quote.Value, quotes))
        {
            inner = inner.Substring(0, inner.Length - 1);
        }
        return (quote == '\'' ? UnescapeSingle(inner) : UnescapeDouble(inner), quote);
    }

    private static bool EndsWithEscapedQuote(string inner, char quote, string quotes)
    {
        // Count the run of quote characters at the end: an even run is all escaped pairs ('' inside '...'); for double
        // quotes a preceding backtick escapes the last one.
        if (quote == '"' && inner.Length >= 2 && inner[inner.Length - 2] == '`') return true;
        var run = 0;
        for (var i = inner.Length - 1; i >= 0 && quotes.IndexOf(inner[i]) >= 0; i--) run++;
        return quote == '\'' && run % 2 == 0;
    }

    private static string UnescapeSingle(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            builder.Append(text[i]);
            if (SingleQuotes.IndexOf(text[i]) >= 0 && i + 1 < text.Length && SingleQuotes.IndexOf(text[i + 1]) >= 0) i++;
        }
        return builder.ToString();
    }

    private static string UnescapeDouble(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '`' && i + 1 < text.Length) i++;
            else if (DoubleQuotes.IndexOf(text[i]) >= 0 && i + 1 < text.Length && DoubleQuotes.IndexOf(text[i + 1]) >= 0) i++;
            builder.Append(text[i]);
        }
        return builder.ToString();
    }

    /// <summary>
    /// Whether <paramref name="value"/> matches the typed <paramref name="prefix"/>: a case-insensitive prefix, or, when the
    /// prefix holds wildcard characters, the wildcard pattern prefix + '*'.
    /// </summary>
    public static bool Matches(string value, string prefix)
    {
        if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        return HasWildcard(prefix) && WildcardRegex(prefix + "*") is { } regex && regex.IsMatch(value);
    }

    private static bool HasWildcard(string text) => text.IndexOfAny(new[] { '*', '?', '[' }) >= 0;

    /// <summary>A PowerShell wildcard pattern (* ? [set] [a-z], backtick escapes) as a regex; null when malformed.</summary>
    internal static Regex? WildcardRegex(string pattern)
    {
        var builder = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    builder.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*':
                    builder.Append(".*");
                    break;
                case '?':
                    builder.Append('.');
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) return null;
                    var set = pattern.Substring(i + 1, end - i - 1);
                    if (set.Length == 0) return null;
                    builder.Append('[');
                    foreach (var s in set) builder.Append(s is '\\' or '^' or '[' ? "\\" + s : s.ToString());
                    builder.Append(']');
                    i = end;
                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        try
        {
            return new Regex(builder.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="value"/> must be quoted to reach a parameter unchanged as a bare word. Plain names (a letter
    /// or underscore, then letters, digits, '_', '-' and '.') need no quotes; anything else is quoted, which is always safe:
    /// spaces, PowerShell's special characters, a leading digit (1kb is a number), a leading dash (a parameter name).
    /// </summary>
    public static bool NeedsQuotes(string value)
    {
        if (value.Length == 0) return true;
        if (!(char.IsLetter(value[0]) || value[0] == '_')) return true;
        foreach (var c in value)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '-' or '.')) return true;
        }
        return false;
    }

    /// <summary>
    /// <paramref name="value"/> as completion text: in the quote the user started with (escaped for it), else in single
    /// quotes when it needs them, else bare.
    /// </summary>
    public static string Quote(string value, char? quote)
    {
        if (quote == '"')
        {
            var builder = new StringBuilder("\"");
            foreach (var c in value)
            {
                if (c is '`' or '$' || DoubleQuotes.IndexOf(c) >= 0) builder.Append('`');
                builder.Append(c);
            }
            return builder.Append('"').ToString();
        }
        if (quote is null && !NeedsQuotes(value)) return value;
        var single = new StringBuilder("'");
        foreach (var c in value)
        {
            if (SingleQuotes.IndexOf(c) >= 0) single.Append(c);
            single.Append(c);
        }
        return single.Append('\'').ToString();
    }

    /// <summary>
    /// The candidates among <paramref name="values"/> (value and tooltip) that match <paramref name="wordToComplete"/>,
    /// sorted case-insensitively, without duplicates, quoted for insertion.
    /// </summary>
    public static IReadOnlyList<CompletionCandidate> Complete(string? wordToComplete, IEnumerable<KeyValuePair<string, string>> values)
    {
        var (prefix, quote) = ParseWord(wordToComplete);
        return values
            .Where(v => !string.IsNullOrEmpty(v.Key) && Matches(v.Key, prefix))
            .GroupBy(v => v.Key, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(v => v.Key, StringComparer.OrdinalIgnoreCase)
            .ThenBy(v => v.Key, StringComparer.Ordinal)
            .Select(v => new CompletionCandidate(Quote(v.Key, quote), v.Key, string.IsNullOrEmpty(v.Value) ? v.Key : v.Value))
            .ToList();
    }
}
