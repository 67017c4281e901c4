using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ConductorTools.Jq;

internal enum Tk { Eof, Ident, Field, Var, Num, Quote, Format, Op, Keyword }

internal readonly struct Token
{
    public readonly Tk Type;
    public readonly string Text;
    public readonly int Start;
    public readonly int End;
    public Token(Tk type, string text, int start, int end) { Type = type; Text = text; Start = start; End = end; }
    public bool Is(string op) => (Type == Tk.Op || Type == Tk.Keyword) && Text == op;
}

/// <summary>A recursive-descent parser for the jq language (jq 1.6 grammar and precedence, plus a few jq 1.7 forms).</summary>
internal sealed class Parser
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "def", "if", "then", "elif", "else", "end", "as", "reduce", "foreach", "try", "catch", "label",
        "import", "include", "and", "or", "__loc__",
    };

    private static readonly string[] Ops =
    {
        "?//", "//=", "|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "//", "..",
        ".", "[", "]", "{", "}", "(", ")", "|", ",", ":", ";", "=", "<", ">", "+", "-", "*", "/", "%", "?",
    };

    private readonly string _s;
    private int _pos;
    private Token? _peek;

    public Parser(string text) => _s = text;

    public Ast ParseProgram()
    {
        SkipWs();
        if (_pos >= _s.Length) return new AIdentity { Pos = 0 };
        var e = ParsePipe();
        var t = Peek();
        if (t.Type != Tk.Eof) throw Error(t, "end of input or an operator");
        return e;
    }

    // ---- lexer ----

    private void SkipWs()
    {
        while (_pos < _s.Length)
        {
            char c = _s[_pos];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { _pos++; continue; }
            if (c == '#') { while (_pos < _s.Length && _s[_pos] != '\n') _pos++; continue; }
            break;
        }
    }

    private static bool IdentStart(char c) => c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    private static bool IdentChar(char c) => IdentStart(c) || (c >= '0' && c <= '9');

    private Token Peek()
    {
        if (_peek is { } p) return p;
        var t = Lex();
        _peek = t;
        return t;
    }

    private Token Next()
    {
        var t = Peek();
        _peek = null;
        _pos = t.End;
        return t;
    }

    private Token Lex()
    {
        SkipWs();
        int start = _pos;
        if (_pos >= _s.Length) return new Token(Tk.Eof, "", start, start);
        char c = _s[_pos];
        if (c == '"') return new Token(Tk.Quote, "\"", start, start + 1);
        if (IdentStart(c))
        {
            int i = _pos;
            while (i < _s.Length && (IdentChar(_s[i]) || (_s[i] == ':' && i + 1 < _s.Length && _s[i + 1] == ':' && i + 2 < _s.Length && IdentStart(_s[i + 2]))))
                i += _s[i] == ':' ? 2 : 1;
            var word = _s.Substring(start, i - start);
            return new Token(Keywords.Contains(word) ? Tk.Keyword : Tk.Ident, word, start, i);
        }
        if (c >= '0' && c <= '9' || (c == '.' && _pos + 1 < _s.Length && char.IsDigit(_s[_pos + 1])))
        {
            int i = _pos;
            while (i < _s.Length && char.IsDigit(_s[i])) i++;
            if (i < _s.Length && _s[i] == '.') { i++; while (i < _s.Length && char.IsDigit(_s[i])) i++; }
            if (i < _s.Length && (_s[i] == 'e' || _s[i] == 'E'))
            {
                int j = i + 1;
                if (j < _s.Length && (_s[j] == '+' || _s[j] == '-')) j++;
                if (j < _s.Length && char.IsDigit(_s[j])) { i = j; while (i < _s.Length && char.IsDigit(_s[i])) i++; }
            }
            return new Token(Tk.Num, _s.Substring(start, i - start), start, i);
        }
        if (c == '.' && _pos + 1 < _s.Length && IdentStart(_s[_pos + 1]))
        {
            int i = _pos + 1;
            while (i < _s.Length && IdentChar(_s[i])) i++;
            return new Token(Tk.Field, _s.Substring(start + 1, i - start - 1), start, i);
        }
        if (c == '$')
        {
            int i = _pos + 1;
            if (i < _s.Length && IdentStart(_s[i]))
            {
                while (i < _s.Length && (IdentChar(_s[i]) || (_s[i] == ':' && i + 1 < _s.Length && _s[i + 1] == ':'))) i += _s[i] == ':' ? 2 : 1;
                var name = _s.Substring(start + 1, i - start - 1);
                return new Token(Tk.Var, name, start, i);
            }
            throw Error(start, "a variable name after '$'", "'$'");
        }
        if (c == '@')
        {
            int i = _pos + 1;
            while (i < _s.Length && IdentChar(_s[i])) i++;
            if (i == _pos + 1) throw Error(start, "a format name after '@'", "'@'");
            return new Token(Tk.Format, _s.Substring(start + 1, i - start - 1), start, i);
        }
        foreach (var op in Ops)
        {
            if (string.CompareOrdinal(_s, _pos, op, 0, op.Length) == 0)
                return new Token(Tk.Op, op, start, start + op.Length);
        }
        throw Error(start, "a term or an operator", "character '" + c + "'");
    }

    // ---- errors ----

    private JqParseException Error(Token t, string expected) =>
        Error(t.Start, expected, t.Type == Tk.Eof ? "end of input" : "'" + Describe(t) + "'");

    private string Describe(Token t) => t.Type switch
    {
        Tk.Field => "." + t.Text,
        Tk.Var => "$" + t.Text,
        Tk.Format => "@" + t.Text,
        _ => t.Text,
    };

    private JqParseException Error(int pos, string expected, string found)
    {
        int line = 1, col = 1;
        for (int i = 0; i < pos && i < _s.Length; i++)
        {
            if (_s[i] == '\n') { line++; col = 1; } else col++;
        }
        return new JqParseException(
            $"syntax error at line {line}, column {col}: unexpected {found}, expected {expected}",
            pos, line, col, expected);
    }

    private Token Expect(string op, string? what = null)
    {
        var t = Peek();
        if (!t.Is(op)) throw Error(t, what ?? "'" + op + "'");
        return Next();
    }

    private int LineOf(int pos)
    {
        int line = 1;
        for (int i = 0; i < pos && i < _s.Length; i++) if (_s[i] == '\n') line++;
        return line;
    }

    // ---- grammar ----

    public Ast ParsePipe()
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var left = ParseComma();
        var t = Peek();
        if (t.Is("|"))
        {
            Next();
            var right = ParsePipe();
            return new APipe { Left = left, Right = right, Pos = t.Start };
        }
        return left;
    }

    private Ast ParseComma()
    {
        var left = ParseAlt();
        while (Peek().Is(","))
        {
            var t = Next();
            var right = ParseAlt();
            left = new AComma { Left = left, Right = right, Pos = t.Start };
        }
        return left;
    }

    private Ast ParseAlt()
    {
        var left = ParseAssign();
        var t = Peek();
        if (t.Is("//"))
        {
            Next();
            var right = ParseAlt();
            return new ABinary { Op = "//", Left = left, Right = right, Pos = t.Start };
        }
        return left;
    }

    private static readonly HashSet<string> AssignOps = new() { "=", "|=", "+=", "-=", "*=", "/=", "%=", "//=" };

    private Ast ParseAssign()
    {
        var left = ParseOr();
        var t = Peek();
        if (t.Type == Tk.Op && AssignOps.Contains(t.Text))
        {
            Next();
            var right = ParseAlt();
            return new ABinary { Op = t.Text, Left = left, Right = right, Pos = t.Start };
        }
        return left;
    }

    private Ast ParseOr()
    {
        var left = ParseAnd();
        while (Peek().Is("or"))
        {
            var t = Next();
            left = new ABinary { Op = "or", Left = left, Right = ParseAnd(), Pos = t.Start };
        }
        return left;
    }

    private Ast ParseAnd()
    {
        var left = ParseCompare();
        while (Peek().Is("and"))
        {
            var t = Next();
            left = new ABinary { Op = "and", Left = left, Right = ParseCompare(), Pos = t.Start };
        }
        return left;
    }

    private Ast ParseCompare()
    {
        var left = ParseAdditive();
        var t = Peek();
        if (t.Type == Tk.Op && (t.Text == "==" || t.Text == "!=" || t.Text == "<" || t.Text == "<=" || t.Text == ">" || t.Text == ">="))
        {
            Next();
            var right = ParseAdditive();
            var n = Peek();
            if (n.Type == Tk.Op && (n.Text == "==" || n.Text == "!=" || n.Text == "<" || n.Text == "<=" || n.Text == ">" || n.Text == ">="))
                throw Error(n, "an operator other than a comparison (comparisons do not chain)");
            return new ABinary { Op = t.Text, Left = left, Right = right, Pos = t.Start };
        }
        return left;
    }

    private Ast ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (true)
        {
            var t = Peek();
            if (t.Is("+") || t.Is("-"))
            {
                Next();
                left = new ABinary { Op = t.Text, Left = left, Right = ParseMultiplicative(), Pos = t.Start };
            }
            else return left;
        }
    }

    private Ast ParseMultiplicative()
    {
        var left = ParseUnary();
        while (true)
        {
            var t = Peek();
            if (t.Is("*") || t.Is("/") || t.Is("%"))
            {
                Next();
                left = new ABinary { Op = t.Text, Left = left, Right = ParseUnary(), Pos = t.Start };
            }
            else return left;
        }
    }

    private Ast ParseUnary()
    {
        var t = Peek();
        if (t.Is("-"))
        {
            Next();
            return new ANeg { Body = ParseUnary(), Pos = t.Start };
        }
        return ParsePostfix(true);
    }

    private Ast ParsePostfix(bool allowAs)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var first = Peek();
        var term = ParsePrimary();
        // `?` right after an index step makes only that step optional (jq: `.[]?.b?` skips the outputs .b fails on).
        bool suffix = term is AIndex or ASlice or AIterate && (first.Type == Tk.Field || first.Is("."));
        while (true)
        {
            var t = Peek();
            if (t.Type == Tk.Field)
            {
                Next();
                term = new AIndex { Target = term, Key = new ALiteral { Value = JStr.Of(t.Text), Pos = t.Start }, Pos = t.Start };
                suffix = true;
            }
            else if (t.Is("."))
            {
                int save = _pos;
                Next();
                var n = Peek();
                if (n.Type == Tk.Quote)
                {
                    Next();
                    var key = ParseString(null, n.Start);
                    term = new AIndex { Target = term, Key = key, Pos = t.Start };
                }
                else if (n.Is("["))
                {
                    Next();
                    term = ParseBracketSuffix(term, n.Start);
                }
                else throw Error(n, "a field name, a string or '[' after '.'");
                _ = save;
                suffix = true;
            }
            else if (t.Is("["))
            {
                Next();
                term = ParseBracketSuffix(term, t.Start);
                suffix = true;
            }
            else if (t.Is("?"))
            {
                Next();
                switch (term)
                {
                    case AIndex { Optional: false } ix when suffix: ix.Optional = true; break;
                    case ASlice { Optional: false } sl when suffix: sl.Optional = true; break;
                    case AIterate { Optional: false } it when suffix: it.Optional = true; break;
                    default: term = new ATry { Body = term, Pos = t.Start }; break;
                }
                suffix = false;
            }
            else if (allowAs && t.Is("as"))
            {
                Next();
                var patterns = new List<APattern> { ParsePattern() };
                while (Peek().Is("?//"))
                {
                    Next();
                    patterns.Add(ParsePattern());
                }
                Expect("|", "'|' after the binding's patterns");
                var body = ParsePipe();
                return new ABind { Source = term, Patterns = patterns, Body = body, Pos = t.Start };
            }
            else return term;
        }
    }

    private Ast ParseBracketSuffix(Ast target, int pos)
    {
        if (Peek().Is("]")) { Next(); return new AIterate { Target = target, Pos = pos }; }
        if (Peek().Is(":"))
        {
            Next();
            var to = ParsePipe();
            Expect("]");
            return new ASlice { Target = target, To = to, Pos = pos };
        }
        var e = ParsePipe();
        if (Peek().Is(":"))
        {
            Next();
            Ast? to = null;
            if (!Peek().Is("]")) to = ParsePipe();
            Expect("]");
            return new ASlice { Target = target, From = e, To = to, Pos = pos };
        }
        Expect("]", "']' or ':'");
        return new AIndex { Target = target, Key = e, Pos = pos };
    }

    private Ast ParsePrimary()
    {
        var t = Peek();
        switch (t.Type)
        {
            case Tk.Num:
            {
                Next();
                JV v;
                try { v = JsonText.ParseNumberText(t.Text.StartsWith(".", StringComparison.Ordinal) ? "0" + t.Text : t.Text); }
                catch (FormatException) { throw Error(t, "a number"); }
                return new ALiteral { Value = v, Pos = t.Start };
            }
            case Tk.Quote:
                Next();
                return ParseString(null, t.Start);
            case Tk.Format:
            {
                Next();
                if (Peek().Type == Tk.Quote)
                {
                    var q = Next();
                    return ParseString(t.Text, q.Start);
                }
                return new AFormat { Name = t.Text, Pos = t.Start };
            }
            case Tk.Field:
                Next();
                return new AIndex { Target = new AIdentity { Pos = t.Start }, Key = new ALiteral { Value = JStr.Of(t.Text), Pos = t.Start }, Pos = t.Start };
            case Tk.Var:
                Next();
                if (t.Text == "__loc__") return new ALoc { Line = LineOf(t.Start), Pos = t.Start };
                return new AVar { Name = t.Text, Pos = t.Start };
            case Tk.Ident:
            {
                Next();
                if (t.Text == "break" && Peek().Type == Tk.Var)
                {
                    var v = Next();
                    return new ABreak { Name = v.Text, Pos = t.Start };
                }
                if (t.Text == "null") return new ALiteral { Value = JNull.Instance, Pos = t.Start };
                if (t.Text == "true") return new ALiteral { Value = JBool.True, Pos = t.Start };
                if (t.Text == "false") return new ALiteral { Value = JBool.False, Pos = t.Start };
                var call = new ACall { Name = t.Text, Pos = t.Start };
                if (Peek().Is("("))
                {
                    Next();
                    call.Args.Add(ParsePipe());
                    while (Peek().Is(";")) { Next(); call.Args.Add(ParsePipe()); }
                    Expect(")", "';' or ')'");
                }
                return call;
            }
            case Tk.Keyword:
                return ParseKeywordTerm(t);
            case Tk.Op:
                break;
            default:
                throw Error(t, "a term");
        }
        switch (t.Text)
        {
            case ".":
            {
                Next();
                var n = Peek();
                if (n.Type == Tk.Quote && n.Start == t.End)
                {
                    Next();
                    return new AIndex { Target = new AIdentity { Pos = t.Start }, Key = ParseString(null, n.Start), Pos = t.Start };
                }
                if (n.Is("[") && n.Start == t.End)
                {
                    Next();
                    return ParseBracketSuffix(new AIdentity { Pos = t.Start }, n.Start);
                }
                return new AIdentity { Pos = t.Start };
            }
            case "..":
                Next();
                return new ARecurseAll { Pos = t.Start };
            case "(":
            {
                Next();
                var e = ParsePipe();
                Expect(")");
                return e;
            }
            case "[":
            {
                Next();
                if (Peek().Is("]")) { Next(); return new AArray { Pos = t.Start }; }
                var e = ParsePipe();
                Expect("]", "']' or an operator");
                return new AArray { Body = e, Pos = t.Start };
            }
            case "{":
                Next();
                return ParseObject(t.Start);
        }
        throw Error(t, "a term");
    }

    private Ast ParseKeywordTerm(Token t)
    {
        switch (t.Text)
        {
            case "__loc__":
                break;
            case "def":
            {
                var def = ParseFuncDef();
                var rest = ParsePipe();
                return new ADefThen { Def = def, Rest = rest, Pos = t.Start };
            }
            case "label":
            {
                Next();
                var v = Peek();
                if (v.Type != Tk.Var) throw Error(v, "a $name after 'label'");
                Next();
                Expect("|", "'|' after the label");
                return new ALabel { Name = v.Text, Body = ParsePipe(), Pos = t.Start };
            }
            case "if":
            {
                Next();
                return ParseIfRest(t.Start);
            }
            case "try":
            {
                Next();
                var body = ParsePostTerm();
                Ast? c = null;
                if (Peek().Is("catch")) { Next(); c = ParsePostTerm(); }
                return new ATry { Body = body, Catch = c, Pos = t.Start };
            }
            case "reduce":
            {
                Next();
                var src = ParsePostfix(false);
                Expect("as", "'as' after reduce's source");
                var p = ParsePattern();
                Expect("(");
                var init = ParsePipe();
                Expect(";");
                var upd = ParsePipe();
                Expect(")");
                return new AReduce { Source = src, Pattern = p, Init = init, Update = upd, Pos = t.Start };
            }
            case "foreach":
            {
                Next();
                var src = ParsePostfix(false);
                Expect("as", "'as' after foreach's source");
                var p = ParsePattern();
                Expect("(");
                var init = ParsePipe();
                Expect(";");
                var upd = ParsePipe();
                Ast? ext = null;
                if (Peek().Is(";")) { Next(); ext = ParsePipe(); }
                Expect(")", "';' or ')'");
                return new AForeach { Source = src, Pattern = p, Init = init, Update = upd, Extract = ext, Pos = t.Start };
            }
        }
        throw Error(t, "a term");
    }

    private Ast ParsePostTerm()
    {
        var t = Peek();
        if (t.Is("-")) { Next(); return new ANeg { Body = ParsePostTerm(), Pos = t.Start }; }
        return ParsePostfix(false);
    }

    private Ast ParseIfRest(int pos)
    {
        var cond = ParsePipe();
        Expect("then", "'then'");
        var then = ParsePipe();
        var t = Peek();
        if (t.Is("elif"))
        {
            Next();
            return new AIf { Cond = cond, Then = then, Else = ParseIfRest(t.Start), Pos = pos };
        }
        if (t.Is("else"))
        {
            Next();
            var els = ParsePipe();
            Expect("end", "'end'");
            return new AIf { Cond = cond, Then = then, Else = els, Pos = pos };
        }
        if (t.Is("end")) { Next(); return new AIf { Cond = cond, Then = then, Pos = pos }; }
        throw Error(t, "'elif', 'else' or 'end'");
    }

    private AFuncDef ParseFuncDef()
    {
        var d = Next();
        var name = Peek();
        if (name.Type != Tk.Ident && name.Type != Tk.Keyword) throw Error(name, "a function name after 'def'");
        Next();
        var def = new AFuncDef { Name = name.Text, Pos = d.Start };
        if (Peek().Is("("))
        {
            Next();
            while (true)
            {
                var p = Next();
                if (p.Type == Tk.Var) def.Params.Add("$" + p.Text);
                else if (p.Type == Tk.Ident) def.Params.Add(p.Text);
                else throw Error(p, "a parameter name");
                if (Peek().Is(";")) { Next(); continue; }
                Expect(")", "';' or ')'");
                break;
            }
        }
        Expect(":", "':' after the function's name and parameters");
        def.Body = ParsePipe();
        Expect(";", "';' ending the function definition");
        return def;
    }

    private Ast ParseObject(int pos)
    {
        var obj = new AObject { Pos = pos };
        if (Peek().Is("}")) { Next(); return obj; }
        while (true)
        {
            var t = Peek();
            Ast key;
            Ast? value = null;
            if (t.Type == Tk.Var)
            {
                Next();
                key = new ALiteral { Value = JStr.Of(t.Text), Pos = t.Start };
                value = t.Text == "__loc__" ? new ALoc { Line = LineOf(t.Start), Pos = t.Start } : new AVar { Name = t.Text, Pos = t.Start };
            }
            else if (t.Type == Tk.Keyword && t.Text == "__loc__")
            {
                Next();
                throw Error(t, "an object key");
            }
            else if (t.Type == Tk.Ident || t.Type == Tk.Keyword)
            {
                Next();
                key = new ALiteral { Value = JStr.Of(t.Text), Pos = t.Start };
                if (Peek().Is(":")) { Next(); value = ParseObjectValue(); }
                else value = new AIndex { Target = new AIdentity { Pos = t.Start }, Key = key, Pos = t.Start };
            }
            else if (t.Type == Tk.Quote || t.Type == Tk.Format)
            {
                Next();
                string? fmt = null;
                if (t.Type == Tk.Format)
                {
                    fmt = t.Text;
                    var q = Peek();
                    if (q.Type != Tk.Quote) throw Error(q, "a string after the format");
                    Next();
                }
                key = ParseString(fmt, t.Start);
                if (Peek().Is(":")) { Next(); value = ParseObjectValue(); }
                else value = new AIndex { Target = new AIdentity { Pos = t.Start }, Key = key, Pos = t.Start };
            }
            else if (t.Type == Tk.Num)
            {
                Next();
                key = new ALiteral { Value = JsonText.ParseNumberText(t.Text), Pos = t.Start };
                Expect(":");
                value = ParseObjectValue();
            }
            else if (t.Is("("))
            {
                Next();
                key = ParsePipe();
                Expect(")");
                Expect(":", "':' after a computed key");
                value = ParseObjectValue();
            }
            else throw Error(t, "an object key (a name, a string, a $variable or a parenthesized expression)");
            obj.Entries.Add((key, value));
            var sep = Peek();
            if (sep.Is(",")) { Next(); continue; }
            if (sep.Is("}")) { Next(); return obj; }
            throw Error(sep, "',' or '}'");
        }
    }

    private Ast ParseObjectValue()
    {
        var v = ParseAlt();
        while (Peek().Is("|"))
        {
            var t = Next();
            v = new APipe { Left = v, Right = ParseAlt(), Pos = t.Start };
        }
        return v;
    }

    private APattern ParsePattern()
    {
        var t = Peek();
        if (t.Type == Tk.Var) { Next(); return new PVar { Name = t.Text, Pos = t.Start }; }
        if (t.Is("["))
        {
            Next();
            var p = new PArray { Pos = t.Start };
            if (Peek().Is("]")) throw Error(Peek(), "a pattern");
            while (true)
            {
                p.Items.Add(ParsePattern());
                if (Peek().Is(",")) { Next(); continue; }
                Expect("]", "',' or ']'");
                return p;
            }
        }
        if (t.Is("{"))
        {
            Next();
            var p = new PObject { Pos = t.Start };
            while (true)
            {
                var k = Peek();
                if (k.Type == Tk.Var)
                {
                    Next();
                    APattern? sub = null;
                    if (Peek().Is(":")) { Next(); sub = ParsePattern(); }
                    p.Entries.Add((k.Text, null, sub));
                }
                else if (k.Type == Tk.Ident || k.Type == Tk.Keyword)
                {
                    Next();
                    Expect(":", "':' and a pattern");
                    p.Entries.Add((null, new ALiteral { Value = JStr.Of(k.Text), Pos = k.Start }, ParsePattern()));
                }
                else if (k.Type == Tk.Quote)
                {
                    Next();
                    var key = ParseString(null, k.Start);
                    Expect(":", "':' and a pattern");
                    p.Entries.Add((null, key, ParsePattern()));
                }
                else if (k.Is("("))
                {
                    Next();
                    var key = ParsePipe();
                    Expect(")");
                    Expect(":", "':' and a pattern");
                    p.Entries.Add((null, key, ParsePattern()));
                }
                else throw Error(k, "an object pattern key");
                if (Peek().Is(",")) { Next(); continue; }
                Expect("}", "',' or '}'");
                return p;
            }
        }
        throw Error(t, "a pattern ($name, [...] or {...})");
    }

    /// <summary>Parses a string literal whose opening quote is consumed; handles escapes and \( ) interpolation.</summary>
    private Ast ParseString(string? format, int pos)
    {
        _peek = null;
        var node = new AString { Format = format, Pos = pos };
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _s.Length) throw Error(_pos, "'\"' closing the string", "end of input");
            char c = _s[_pos++];
            if (c == '"') break;
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _s.Length) throw Error(_pos, "an escape", "end of input");
            char e = _s[_pos++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                {
                    if (_pos + 4 > _s.Length || !int.TryParse(_s.Substring(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                        throw Error(_pos, "four hex digits after \\u", "'" + (_pos < _s.Length ? _s.Substring(_pos, Math.Min(4, _s.Length - _pos)) : "") + "'");
                    _pos += 4;
                    sb.Append((char)code);
                    break;
                }
                case '(':
                {
                    if (sb.Length > 0) { node.Parts.Add(sb.ToString()); sb.Clear(); }
                    var e2 = ParsePipe();
                    var close = Peek();
                    if (!close.Is(")")) throw Error(close, "')' closing the interpolation");
                    _peek = null;
                    _pos = close.End;
                    node.Parts.Add(e2);
                    break;
                }
                default:
                    throw Error(_pos - 2, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX \\( )", "'\\" + e + "'");
            }
        }
        if (sb.Length > 0 || node.Parts.Count == 0) node.Parts.Add(sb.ToString());
        _peek = null;
        return node;
    }
}
