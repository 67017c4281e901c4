using System.Collections.Concurrent;
using ConductorTools.Model;

namespace ConductorTools.Workers;

/// <summary>
/// Results that could not be delivered yet. With a directory each is one JSON file, written before the in-memory
/// entry is trusted, so a crash or exit loses nothing and the next run delivers them.
/// </summary>
internal sealed class ResultOutbox
{
    private readonly string? _directory;
    private readonly ConcurrentDictionary<string, TaskResult> _pending = new(StringComparer.Ordinal);

    public ResultOutbox(string? directory)
    {
        _directory = directory;
        if (directory is null) return;
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(directory, "*.json"))
        {
            var result = ConductorJson.Deserialize<TaskResult>(File.ReadAllText(file));
            if (result is not null && !string.IsNullOrEmpty(result.TaskId)) _pending[result.TaskId] = result;
        }
    }

    public bool IsDurable => _directory is not null;

    public int Count => _pending.Count;

    public void Add(TaskResult result)
    {
        if (_directory is not null)
        {
            var path = PathFor(result.TaskId);
            var temp = path + ".tmp";
            File.WriteAllText(temp, ConductorJson.Serialize(result));
            if (File.Exists(path)) File.Delete(path);
            File.Move(temp, path);
        }
        _pending[result.TaskId] = result;
    }

    public IReadOnlyList<TaskResult> Snapshot() => _pending.Values.ToList();

    public void Remove(string taskId)
    {
        _pending.TryRemove(taskId, out _);
        if (_directory is not null)
        {
            var path = PathFor(taskId);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    private string PathFor(string taskId)
    {
        var safe = new string(taskId.Select(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' ? c : '_').ToArray());
        return Path.Combine(_directory!, safe + ".json");
    }
}
