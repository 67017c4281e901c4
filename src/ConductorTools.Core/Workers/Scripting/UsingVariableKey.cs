using System.Text;

namespace ConductorTools.Workers.Scripting;

/// <summary>
/// The key under which PowerShell looks up a <c>$using:</c> value in the dictionary passed as the <c>--%</c> parameter
/// (the scheme ForEach-Object -Parallel, ThreadJob and Invoke-Command share): Base64 of the UTF-16 text of the
/// using expression, lower-cased when the expression is a plain variable (so <c>$using:X</c> and <c>$using:x</c> share
/// a key) and left as written otherwise (an index such as <c>$using:h['A']</c> is case-sensitive).
/// </summary>
public static class UsingVariableKey
{
    /// <param name="usingExpressionText">The expression as written, e.g. <c>$using:Limit</c>.</param>
    /// <param name="isPlainVariable">True when the expression is <c>$using:name</c> with no member or index access.</param>
    public static string For(string usingExpressionText, bool isPlainVariable)
    {
        if (string.IsNullOrEmpty(usingExpressionText)) throw new ArgumentException("The using expression text is empty.", nameof(usingExpressionText));
        var text = isPlainVariable ? usingExpressionText.ToLowerInvariant() : usingExpressionText;
        return Convert.ToBase64String(Encoding.Unicode.GetBytes(text));
    }
}
