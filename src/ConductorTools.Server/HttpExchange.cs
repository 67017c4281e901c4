using System.Globalization;
using System.Text;
using System.Text.Json;
using ConductorTools.Model;
using Microsoft.AspNetCore.Http;

namespace ConductorTools.Server;

/// <summary>Reading requests and writing responses the way conductor-oss does (JSON bodies, text/plain ids).</summary>
internal static class HttpExchange
{
    /// <summary>The JSON body as <typeparamref name="T"/>; a clear 400 when it is empty, null or malformed.</summary>
    public static async Task<T> ReadJsonAsync<T>(this HttpContext context, string what) where T : class
    {
        if (context.Request.ContentLength == 0)
        {
            throw new BadRequestException($"The request body is empty; expected {what} as JSON.");
        }
        T? value;
        try
        {
            value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, ConductorJson.Options, context.RequestAborted);
        }
        catch (JsonException ex) when (IsDepthError(ex))
        {
            throw new BadRequestException(TooDeep(what), ex);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
            throw new BadRequestException($"The request body is not valid JSON for {what}{where}: {FirstSentence(ex.Message)}", ex);
        }
        return value ?? throw new BadRequestException($"The request body is null; expected {what} as JSON.");
    }

    /// <summary>The JSON body when there is one, else null (for endpoints whose body is optional).</summary>
    public static async Task<T?> ReadOptionalJsonAsync<T>(this HttpContext context, string what) where T : class
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return null;
        }
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(text, ConductorJson.Options);
        }
        catch (JsonException ex) when (IsDepthError(ex))
        {
            throw new BadRequestException(TooDeep(what), ex);
        }
        catch (JsonException ex)
        {
            throw new BadRequestException($"The request body is not valid JSON for {what}: {FirstSentence(ex.Message)}", ex);
        }
    }

    public static async Task<string> ReadTextAsync(this HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    /// <summary>The body as JSON, written completely or not at all: serialised first, so a value that cannot be written
    /// fails before any byte is sent (and gets a whole error body instead).</summary>
    public static async Task WriteJsonAsync<T>(this HttpContext context, T value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, ConductorJson.Options);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    /// <summary>The nesting limit of request bodies, which is the engine's limit for data (input, output): the JSON
    /// reader allows more, so the engine's own check names it for anything between.</summary>
    private static bool IsDepthError(JsonException ex) => ex.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase);

    private static string TooDeep(string what) =>
        $"The request body ({what}) is nested deeper than the limit of this server (data may nest 64 levels); flatten it, or store the data elsewhere and pass a reference.";

    /// <summary>A bare id as <c>text/plain</c>, as Conductor answers starts and updates.</summary>
    public static Task WriteTextAsync(this HttpContext context, string? text)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text ?? "", context.RequestAborted);
    }

    /// <summary>Fires when the server begins to stop (long waits end then and answer with what they have).</summary>
    public static CancellationToken ServerStopping(HttpContext context) =>
        context.RequestServices.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime)) is Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime
            ? lifetime.ApplicationStopping
            : CancellationToken.None;

    public static void NoContent(this HttpContext context) => context.Response.StatusCode = StatusCodes.Status204NoContent;

    public static string Route(this HttpContext context, string name) =>
        context.Request.RouteValues.TryGetValue(name, out var value) && value is string s && s.Length > 0
            ? s
            : throw new BadRequestException($"The path has no {name}.");

    public static string? Query(this HttpContext context, string name)
    {
        var value = context.Request.Query[name];
        return value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
    }

    public static IReadOnlyList<string> QueryAll(this HttpContext context, string name) =>
        context.Request.Query[name].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();

    public static bool QueryBool(this HttpContext context, string name, bool defaultValue)
    {
        var text = context.Query(name);
        if (text is null) return defaultValue;
        return bool.TryParse(text, out var value)
            ? value
            : throw new BadRequestException($"Query parameter '{name}' must be true or false; got '{text}'.");
    }

    public static int? QueryInt(this HttpContext context, string name)
    {
        var text = context.Query(name);
        if (text is null) return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadRequestException($"Query parameter '{name}' must be an integer; got '{text}'.");
    }

    public static long? QueryLong(this HttpContext context, string name)
    {
        var text = context.Query(name);
        if (text is null) return null;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadRequestException($"Query parameter '{name}' must be an integer; got '{text}'.");
    }

    /// <summary>An enum from a path or query value, by its exact name as Conductor spells it.</summary>
    public static TEnum ParseEnum<TEnum>(string text, string name) where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(text, ignoreCase: false, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : throw new BadRequestException($"'{text}' is not a valid {name}; use one of {string.Join(", ", Enum.GetNames<TEnum>())}.");

    /// <summary>The JSON reader's message without its position suffix and with .NET type names in plain words.</summary>
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var text = cut > 0 ? message[..cut] : message;
        foreach (var (type, words) in TypeWords)
        {
            text = text.Replace(type, words, StringComparison.Ordinal);
        }
        return text;
    }

    private static readonly (string Type, string Words)[] TypeWords =
    [
        ("System.Int32", "an integer"), ("System.Int64", "an integer"), ("System.Boolean", "true or false"),
        ("System.String", "a string"), ("System.Double", "a number"),
    ];
}
