using System.Collections;
using System.Text.Json;
using ConductorTools.Api;
using ConductorTools.Model;

namespace ConductorTools.Engine.Execution;

/// <summary>
/// The one nesting limit, enforced where data enters the engine (workflow input, task output, definitions), so that
/// everything the engine stores and answers stays well inside the JSON depth every reader allows (256): input and
/// output nest at most <see cref="MaxDataDepth"/> levels, definitions at most <see cref="MaxDefinitionDepth"/>, and the
/// engine's own wrapping adds a handful.
/// </summary>
internal static class PayloadLimits
{
    /// <summary>Deepest nesting of a workflow input, task output or other data value (an object or array is one level).</summary>
    public const int MaxDataDepth = 64;

    /// <summary>Deepest nesting of a workflow or task definition as JSON (tasks inside forks and switches, and their
    /// input templates).</summary>
    public const int MaxDefinitionDepth = 128;

    /// <summary>The largest task output, as JSON (conductor-oss's default <c>maxTaskOutputPayloadSizeThreshold</c>,
    /// 10240 KB): a bigger one fails its task with FAILED_WITH_TERMINAL_ERROR, as there (conductor-oss would first move
    /// outputs over 3 MB to external payload storage, which the embedded engine does not have).</summary>
    public const long MaxTaskOutputBytes = 10240L * 1024;

    /// <summary>The size of <paramref name="value"/> as UTF-8 JSON, counted without keeping the text.</summary>
    public static long JsonSize(object? value)
    {
        using var counter = new CountingStream();
        System.Text.Json.JsonSerializer.Serialize(counter, value, ConductorJson.Options);
        return counter.Length;
    }

    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
    }

    public static string TooDeep(string what) =>
        $"{what} is nested deeper than {MaxDataDepth} levels, the limit of this server; flatten it, or store the data elsewhere and pass a reference.";

    /// <summary>Throws a 400 naming the limit when <paramref name="value"/> nests deeper than <see cref="MaxDataDepth"/>.</summary>
    public static void CheckData(object? value, string what)
    {
        if (IsTooDeep(value))
        {
            throw ConductorException.BadRequest(TooDeep(what));
        }
    }

    public static bool IsTooDeep(object? value) => Depth(value, 0) > MaxDataDepth;

    /// <summary>The nesting depth, counted no further than one past the limit (so a hostile value cannot exhaust the stack).</summary>
    private static int Depth(object? value, int depth)
    {
        if (depth > MaxDataDepth) return depth;
        return value switch
        {
            null or string => depth,
            JsonElement { ValueKind: JsonValueKind.Object } element => Deepest(element.EnumerateObject().Select(p => (object?)p.Value), depth),
            JsonElement { ValueKind: JsonValueKind.Array } element => Deepest(element.EnumerateArray().Select(e => (object?)e), depth),
            JsonElement => depth,
            IDictionary<string, object?> map => Deepest(map.Values, depth),
            IDictionary dictionary => Deepest(dictionary.Values.Cast<object?>(), depth),
            IEnumerable list => Deepest(list.Cast<object?>(), depth),
            _ => depth,
        };
    }

    /// <summary>The depth of a container at <paramref name="depth"/> holding <paramref name="items"/>: one more than its own, or
    /// its deepest item's; it stops looking once past the limit.</summary>
    private static int Deepest(IEnumerable<object?> items, int depth)
    {
        var deepest = depth + 1;
        foreach (var item in items)
        {
            deepest = Math.Max(deepest, Depth(item, depth + 1));
            if (deepest > MaxDataDepth) break;
        }
        return deepest;
    }

    /// <summary>A validation error when a definition nests deeper than <see cref="MaxDefinitionDepth"/> as JSON, else null.</summary>
    public static ValidationError? CheckDefinition(object definition, string path, string what)
    {
        try
        {
            JsonSerializer.Serialize(definition, DefinitionDepthOptions);
            return null;
        }
        catch (JsonException)
        {
            return new ValidationError(path, $"{what} is nested deeper than {MaxDefinitionDepth} levels, the limit of this server; split it into sub-workflows.");
        }
    }

    private static readonly JsonSerializerOptions DefinitionDepthOptions = new(ConductorJson.Options) { MaxDepth = MaxDefinitionDepth };
}
