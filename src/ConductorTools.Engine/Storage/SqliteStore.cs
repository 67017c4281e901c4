using ConductorTools.Api;
using ConductorTools.Model;
using Microsoft.Data.Sqlite;

namespace ConductorTools.Engine.Storage;

/// <summary>
/// The engine's SQLite persistence: one connection, used only under the engine's writer lock. Models are kept as
/// Conductor JSON (<see cref="ConductorJson"/>) next to the few columns that are queried on. Every mutation runs inside
/// the transaction opened by <see cref="Begin"/>, so a crash leaves the last committed state.
/// </summary>
internal sealed class SqliteStore : IDisposable
{
    private const int SchemaVersion = 2;

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<long, WorkflowDef> _definitions = new();
    private SqliteTransaction? _transaction;

    public SqliteStore(string databasePath) : this(databasePath, TimeSpan.FromSeconds(10)) { }

    public SqliteStore(string databasePath, TimeSpan busyTimeout)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = databasePath == EmbeddedConductorOptions.InMemory ? SqliteOpenMode.Memory : SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        };
        IsFile = databasePath != EmbeddedConductorOptions.InMemory;
        _connection = new SqliteConnection(builder.ToString());
        _connection.Open();
        if (IsFile)
        {
            // WAL: readers never block the writer and a commit is one append. synchronous=NORMAL in WAL mode keeps every
            // committed transaction across a process crash (kill -9); only an OS crash/power loss can drop the last ones.
            Execute("PRAGMA journal_mode=WAL;");
            Execute("PRAGMA synchronous=NORMAL;");
        }
        SetBusyTimeout(busyTimeout);
        // A bigger page cache and memory-mapped reads keep lookups by id cheap as the file grows.
        Execute("PRAGMA cache_size=-65536;");
        Execute("PRAGMA temp_store=MEMORY;");
        if (IsFile)
        {
            Execute("PRAGMA mmap_size=1073741824;");
        }
        CreateSchema();
    }

    public bool IsFile { get; }

    private void CreateSchema()
    {
        Execute(@"
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task_defs(name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workflow_defs(name TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY(name, version));
CREATE TABLE IF NOT EXISTS workflows(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL, correlation_id TEXT,
  parent_id TEXT, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, end_time INTEGER NOT NULL,
  wake_at INTEGER, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_workflows_name_status ON workflows(name, status, create_time);
CREATE INDEX IF NOT EXISTS ix_workflows_status_time ON workflows(status, create_time);
CREATE INDEX IF NOT EXISTS ix_workflows_correlation ON workflows(correlation_id);
CREATE INDEX IF NOT EXISTS ix_workflows_wake ON workflows(wake_at) WHERE wake_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS tasks(
  id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, seq INTEGER NOT NULL, ref_name TEXT NOT NULL, task_type TEXT NOT NULL,
  def_name TEXT NOT NULL, status TEXT NOT NULL, update_time INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_tasks_workflow ON tasks(workflow_id, seq);
CREATE INDEX IF NOT EXISTS ix_tasks_def_status ON tasks(def_name, status);
CREATE TABLE IF NOT EXISTS queue(
  task_id TEXT PRIMARY KEY, queue_name TEXT NOT NULL, visible_at INTEGER NOT NULL, priority INTEGER NOT NULL,
  enqueued INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ix_queue_due ON queue(queue_name, visible_at, priority DESC, enqueued);
CREATE TABLE IF NOT EXISTS poll_data(
  task_type TEXT NOT NULL, domain TEXT NOT NULL, worker_id TEXT NOT NULL, last_poll_time INTEGER NOT NULL,
  PRIMARY KEY(task_type, domain, worker_id));
CREATE TABLE IF NOT EXISTS definitions(id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task_logs(id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, log TEXT NOT NULL, created_time INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ix_task_logs_task ON task_logs(task_id, id);
");
        // Schema 1 kept the definition snapshot inside each workflow's JSON; such rows still load (def_id null).
        if (String("SELECT name FROM pragma_table_info('workflows') WHERE name = 'def_id'") is null)
        {
            Execute("ALTER TABLE workflows ADD COLUMN def_id INTEGER;");
        }
        using var tx = _connection.BeginTransaction();
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', $v)";
        cmd.Parameters.AddWithValue("$v", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    // ---- transactions -------------------------------------------------------------------------------------------

    public void Begin() => _transaction = _connection.BeginTransaction();

    /// <summary>How long an operation waits for another connection's lock before failing with SQLITE_BUSY: SQLite's own
    /// busy timeout, and Microsoft.Data.Sqlite's retry loop around it (the command timeout, whole seconds, at least 1).</summary>
    public void SetBusyTimeout(TimeSpan timeout)
    {
        var milliseconds = (long)Math.Max(0, timeout.TotalMilliseconds);
        Execute("PRAGMA busy_timeout=" + milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + ";");
        _connection.DefaultTimeout = (int)Math.Max(1, Math.Ceiling(milliseconds / 1000.0));
    }

    public void Commit()
    {
        _transaction?.Commit();
        _transaction?.Dispose();
        _transaction = null;
    }

    public void Rollback()
    {
        try
        {
            _transaction?.Rollback();
        }
        finally
        {
            _transaction?.Dispose();
            _transaction = null;
            // Snapshot ids written by the rolled-back transaction may be reused.
            _definitions.Clear();
        }
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>A cached prepared command (SQLite statements are re-used, parameters re-bound).</summary>
    private SqliteCommand Cmd(string sql, params (string Name, object? Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            _commands[sql] = cmd;
        }
        cmd.Transaction = _transaction;
        cmd.CommandTimeout = _connection.DefaultTimeout;
        cmd.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    private int NonQuery(string sql, params (string, object?)[] parameters) => Cmd(sql, parameters).ExecuteNonQuery();

    private List<string> Strings(string sql, params (string, object?)[] parameters)
    {
        var list = new List<string>();
        using var reader = Cmd(sql, parameters).ExecuteReader();
        while (reader.Read())
        {
            list.Add(reader.GetString(0));
        }
        return list;
    }

    private string? String(string sql, params (string, object?)[] parameters)
    {
        using var reader = Cmd(sql, parameters).ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) ? reader.GetString(0) : null;
    }

    private long? Long(string sql, params (string, object?)[] parameters)
    {
        using var reader = Cmd(sql, parameters).ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) ? reader.GetInt64(0) : null;
    }

    public bool Ping() => Long("SELECT 1") == 1;

    // ---- task definitions ---------------------------------------------------------------------------------------

    public TaskDef? GetTaskDef(string name) =>
        String("SELECT json FROM task_defs WHERE name = $n", ("$n", name)) is { } json ? ConductorJson.Deserialize<TaskDef>(json) : null;

    public List<TaskDef> GetTaskDefs() =>
        Strings("SELECT json FROM task_defs ORDER BY name").Select(j => ConductorJson.Deserialize<TaskDef>(j)!).ToList();

    public void PutTaskDef(TaskDef def) =>
        NonQuery("INSERT OR REPLACE INTO task_defs(name, json) VALUES ($n, $j)", ("$n", def.Name), ("$j", ConductorJson.Serialize(def)));

    public bool DeleteTaskDef(string name) => NonQuery("DELETE FROM task_defs WHERE name = $n", ("$n", name)) > 0;

    // ---- workflow definitions -----------------------------------------------------------------------------------

    public WorkflowDef? GetWorkflowDef(string name, int? version)
    {
        var json = version is null
            ? String("SELECT json FROM workflow_defs WHERE name = $n ORDER BY version DESC LIMIT 1", ("$n", name))
            : String("SELECT json FROM workflow_defs WHERE name = $n AND version = $v", ("$n", name), ("$v", version.Value));
        return json is null ? null : ConductorJson.Deserialize<WorkflowDef>(json);
    }

    public List<WorkflowDef> GetWorkflowDefs() =>
        Strings("SELECT json FROM workflow_defs ORDER BY name, version").Select(j => ConductorJson.Deserialize<WorkflowDef>(j)!).ToList();

    public void PutWorkflowDef(WorkflowDef def) =>
        NonQuery("INSERT OR REPLACE INTO workflow_defs(name, version, json) VALUES ($n, $v, $j)",
            ("$n", def.Name), ("$v", def.Version), ("$j", ConductorJson.Serialize(def)));

    public bool DeleteWorkflowDef(string name, int version) =>
        NonQuery("DELETE FROM workflow_defs WHERE name = $n AND version = $v", ("$n", name), ("$v", version)) > 0;

    // ---- workflows ----------------------------------------------------------------------------------------------

    /// <summary>The workflow without its tasks, and its stored JSON (to detect changes on save).</summary>
    /// <summary>The workflow without its tasks (its definition attached), its stored JSON and timer.</summary>
    public (Workflow Workflow, string Json, long? WakeAt, long? DefinitionId)? GetWorkflow(string id)
    {
        string json;
        long? wake;
        long? definitionId;
        using (var reader = Cmd("SELECT json, wake_at, def_id FROM workflows WHERE id = $id", ("$id", id)).ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }
            json = reader.GetString(0);
            wake = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            definitionId = reader.IsDBNull(2) ? null : reader.GetInt64(2);
        }
        var workflow = ConductorJson.Deserialize<Workflow>(json)!;
        if (definitionId is { } defId)
        {
            workflow.WorkflowDefinition = GetDefinition(defId);
        }
        return (workflow, json, wake, definitionId);
    }

    // ---- definition snapshots: stored once per distinct content, shared (read-only) by the workflows using them ----

    public WorkflowDef GetDefinition(long id)
    {
        if (!_definitions.TryGetValue(id, out var def))
        {
            var json = String("SELECT json FROM definitions WHERE id = $id", ("$id", id))
                ?? throw new InvalidOperationException($"Definition snapshot {id} is missing from the database.");
            def = ConductorJson.Deserialize<WorkflowDef>(json)!;
            _definitions[id] = def;
        }
        return def;
    }

    public bool IsCachedDefinition(long id, WorkflowDef def) => _definitions.TryGetValue(id, out var cached) && ReferenceEquals(cached, def);

    /// <summary>Stores a definition snapshot (or finds the identical one) and returns its id. The object becomes the
    /// shared cached instance, so it must not be changed afterwards.</summary>
    public long PutDefinition(WorkflowDef def)
    {
        var json = ConductorJson.Serialize(def);
        string hash;
        using (var sha = System.Security.Cryptography.SHA256.Create())
        {
            hash = Convert.ToBase64String(sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(json)));
        }
        var id = Long("SELECT id FROM definitions WHERE hash = $h", ("$h", hash));
        if (id is null)
        {
            NonQuery("INSERT INTO definitions(hash, json) VALUES ($h, $j)", ("$h", hash), ("$j", json));
            id = Long("SELECT last_insert_rowid()");
        }
        if (!_definitions.ContainsKey(id!.Value))
        {
            _definitions[id.Value] = def;
        }
        return id.Value;
    }

    /// <summary>Forgets cached definitions created by a transaction that rolled back.</summary>
    public void ClearDefinitionCache() => _definitions.Clear();

    public void SetWake(string workflowId, long? wakeAt) =>
        NonQuery("UPDATE workflows SET wake_at = $w WHERE id = $id", ("$id", workflowId), ("$w", wakeAt));

    public void PutWorkflow(Workflow workflow, string json, long? wakeAt, long? definitionId) =>
        // An upsert touches only the indexes whose columns changed (REPLACE would delete and re-insert every entry).
        NonQuery(@"INSERT INTO workflows(id, name, version, status, correlation_id, parent_id, create_time, update_time, end_time, wake_at, json, def_id)
VALUES ($id, $n, $v, $s, $c, $p, $ct, $ut, $et, $w, $j, $d)
ON CONFLICT(id) DO UPDATE SET name = excluded.name, version = excluded.version, status = excluded.status,
  correlation_id = excluded.correlation_id, parent_id = excluded.parent_id, create_time = excluded.create_time,
  update_time = excluded.update_time, end_time = excluded.end_time, wake_at = excluded.wake_at, json = excluded.json,
  def_id = excluded.def_id",
            ("$id", workflow.WorkflowId), ("$n", workflow.WorkflowName ?? ""), ("$v", workflow.WorkflowVersion),
            ("$s", workflow.Status.ToString()), ("$c", workflow.CorrelationId), ("$p", workflow.ParentWorkflowId),
            ("$ct", workflow.CreateTime ?? 0), ("$ut", workflow.UpdateTime ?? 0), ("$et", workflow.EndTime),
            ("$w", wakeAt), ("$j", json), ("$d", definitionId));

    /// <summary>Brings a workflow's next timer check forward to <paramref name="at"/> if it is earlier.</summary>
    public void WakeNoLaterThan(string workflowId, long at) =>
        NonQuery("UPDATE workflows SET wake_at = $at WHERE id = $id AND (wake_at IS NULL OR wake_at > $at)",
            ("$id", workflowId), ("$at", at));

    public List<string> DueWorkflows(long now, int limit) =>
        Strings("SELECT id FROM workflows WHERE wake_at IS NOT NULL AND wake_at <= $now ORDER BY wake_at LIMIT $l", ("$now", now), ("$l", limit));

    public long? NextWake() => Long("SELECT MIN(wake_at) FROM workflows WHERE wake_at IS NOT NULL");

    public void DeleteWorkflow(string id)
    {
        NonQuery("DELETE FROM task_logs WHERE task_id IN (SELECT id FROM tasks WHERE workflow_id = $id)", ("$id", id));
        NonQuery("DELETE FROM queue WHERE task_id IN (SELECT id FROM tasks WHERE workflow_id = $id)", ("$id", id));
        NonQuery("DELETE FROM tasks WHERE workflow_id = $id", ("$id", id));
        NonQuery("DELETE FROM workflows WHERE id = $id", ("$id", id));
    }

    /// <summary>One page of workflow JSON rows matching a search request, and the total number of matches.</summary>
    /// <exception cref="ConductorException">A 400 when the query, sort or paging cannot be understood.</exception>
    public (long Total, List<string> Json) SearchWorkflows(SearchRequest request) => Search("workflows", SearchSql.ForWorkflows(request));

    /// <summary>One page of task JSON rows matching a search request, and the total number of matches.</summary>
    public (long Total, List<string> Json) SearchTasks(SearchRequest request) => Search("tasks", SearchSql.ForTasks(request));

    private (long Total, List<string> Json) Search(string table, SearchSql query)
    {
        var parameters = query.Arguments.Select((a, i) => ("$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), a)).ToArray();
        var total = Long("SELECT COUNT(*) FROM " + table + " WHERE " + query.Where, parameters) ?? 0;
        var page = Strings("SELECT json FROM " + table + " WHERE " + query.Where + " ORDER BY " + query.OrderBy
            + " LIMIT " + query.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + " OFFSET " + query.Start.ToString(System.Globalization.CultureInfo.InvariantCulture), parameters);
        return (total, page);
    }

    public List<string> RunningWorkflowIds(string name, int version, long? startTime, long? endTime) =>
        Strings(@"SELECT id FROM workflows WHERE name = $n AND version = $v AND status IN ('RUNNING','PAUSED')
AND ($st IS NULL OR create_time >= $st) AND ($et IS NULL OR create_time <= $et) ORDER BY create_time",
            ("$n", name), ("$v", version), ("$st", startTime), ("$et", endTime));

    public List<string> CorrelatedWorkflowIds(string name, string correlationId, bool includeClosed) =>
        Strings(@"SELECT id FROM workflows WHERE name = $n AND correlation_id = $c
AND ($all = 1 OR status IN ('RUNNING','PAUSED')) ORDER BY create_time",
            ("$n", name), ("$c", correlationId), ("$all", includeClosed ? 1 : 0));

    // ---- tasks --------------------------------------------------------------------------------------------------

    public List<(ConductorTask Task, string Json)> GetTasks(string workflowId)
    {
        var list = new List<(ConductorTask, string)>();
        foreach (var json in Strings("SELECT json FROM tasks WHERE workflow_id = $w ORDER BY seq", ("$w", workflowId)))
        {
            list.Add((ConductorJson.Deserialize<ConductorTask>(json)!, json));
        }
        return list;
    }

    /// <summary>One task as stored (its <c>workflowTask</c> is attached by the caller from <paramref name="definition"/>,
    /// its workflow's definition snapshot), with the stored JSON.</summary>
    public (ConductorTask Task, string Json)? GetTask(string taskId, out WorkflowDef? definition)
    {
        definition = null;
        string json;
        long? definitionId;
        using (var reader = Cmd("SELECT t.json, w.def_id FROM tasks t LEFT JOIN workflows w ON w.id = t.workflow_id WHERE t.id = $id",
            ("$id", taskId)).ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }
            json = reader.GetString(0);
            definitionId = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }
        if (definitionId is { } defId)
        {
            definition = GetDefinition(defId);
        }
        return (ConductorJson.Deserialize<ConductorTask>(json)!, json);
    }

    public string? GetTaskWorkflowId(string taskId) => String("SELECT workflow_id FROM tasks WHERE id = $id", ("$id", taskId));

    public void PutTask(ConductorTask task, string json) =>
        NonQuery(@"INSERT INTO tasks(id, workflow_id, seq, ref_name, task_type, def_name, status, update_time, json)
VALUES ($id, $w, $s, $r, $t, $d, $st, $u, $j)
ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, ref_name = excluded.ref_name, task_type = excluded.task_type,
  def_name = excluded.def_name, status = excluded.status, update_time = excluded.update_time, json = excluded.json",
            ("$id", task.TaskId), ("$w", task.WorkflowInstanceId), ("$s", task.Seq), ("$r", task.ReferenceTaskName ?? ""),
            ("$t", task.TaskType ?? ""), ("$d", task.TaskDefName ?? ""), ("$st", task.Status?.ToString() ?? ""),
            ("$u", task.UpdateTime), ("$j", json));

    public void DeleteTask(string taskId)
    {
        NonQuery("DELETE FROM queue WHERE task_id = $id", ("$id", taskId));
        NonQuery("DELETE FROM tasks WHERE id = $id", ("$id", taskId));
    }

    public List<string> TaskIdsByTypeAndStatus(string taskType, string status) =>
        Strings("SELECT id FROM tasks WHERE task_type = $t AND status = $s", ("$t", taskType), ("$s", status));

    public int CountTasks(string defName, string status) =>
        (int)(Long("SELECT COUNT(*) FROM tasks WHERE def_name = $d AND status = $s", ("$d", defName), ("$s", status)) ?? 0);

    // ---- queues -------------------------------------------------------------------------------------------------

    public void Enqueue(string taskId, string queueName, long visibleAt, int priority, long enqueued) =>
        NonQuery("INSERT OR REPLACE INTO queue(task_id, queue_name, visible_at, priority, enqueued) VALUES ($id, $q, $v, $p, $e)",
            ("$id", taskId), ("$q", queueName), ("$v", visibleAt), ("$p", priority), ("$e", enqueued));

    public void Dequeue(string taskId) => NonQuery("DELETE FROM queue WHERE task_id = $id", ("$id", taskId));

    public void Postpone(string taskId, long visibleAt) =>
        NonQuery("UPDATE queue SET visible_at = $v WHERE task_id = $id", ("$id", taskId), ("$v", visibleAt));

    public List<string> DueTaskIds(string queueName, long now, int limit) =>
        Strings("SELECT task_id FROM queue WHERE queue_name = $q AND visible_at <= $now ORDER BY visible_at, priority DESC, enqueued LIMIT $l",
            ("$q", queueName), ("$now", now), ("$l", limit));

    public long? NextVisibleAt(string queueName) =>
        Long("SELECT MIN(visible_at) FROM queue WHERE queue_name = $q", ("$q", queueName));

    /// <summary>A queued task's place in its queue (to put it back where it was), or null when it is not queued.</summary>
    public (long VisibleAt, int Priority, long Enqueued)? QueueEntry(string taskId)
    {
        using var reader = Cmd("SELECT visible_at, priority, enqueued FROM queue WHERE task_id = $id", ("$id", taskId)).ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2)) : null;
    }

    public string? QueueOf(string taskId) => String("SELECT queue_name FROM queue WHERE task_id = $id", ("$id", taskId));

    public bool IsQueued(string taskId) => Long("SELECT 1 FROM queue WHERE task_id = $id", ("$id", taskId)) == 1;

    /// <summary>Size of every queue that holds a task (the engine's reserved <c>_system:</c> queues left out).</summary>
    public Dictionary<string, int> QueueSizes()
    {
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        using var reader = Cmd("SELECT queue_name, COUNT(*) FROM queue WHERE substr(queue_name, 1, 8) <> '_system:' GROUP BY queue_name ORDER BY queue_name").ExecuteReader();
        while (reader.Read())
        {
            sizes[reader.GetString(0)] = reader.GetInt32(1);
        }
        return sizes;
    }

    public int QueueSize(string queueName) =>
        (int)(Long("SELECT COUNT(*) FROM queue WHERE queue_name = $q", ("$q", queueName)) ?? 0);

    // ---- poll data and logs -------------------------------------------------------------------------------------

    /// <summary>Last poll per (task type, domain, worker). Kept in memory (every poll records one) and written to the
    /// database at most once a second per key, so busy pollers do not turn every empty poll into a disk write.</summary>
    private Dictionary<(string Type, string Domain, string Worker), (long Last, long Persisted)>? _polls;

    private Dictionary<(string Type, string Domain, string Worker), (long Last, long Persisted)> Polls
    {
        get
        {
            if (_polls is null)
            {
                _polls = new();
                using var reader = Cmd("SELECT task_type, domain, worker_id, last_poll_time FROM poll_data").ExecuteReader();
                while (reader.Read())
                {
                    var time = reader.GetInt64(3);
                    _polls[(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = (time, time);
                }
            }
            return _polls;
        }
    }

    /// <summary>At most this many (task type, domain, worker) keys are kept: pollers with ever new worker ids or task
    /// types cannot grow memory and the table without bound.</summary>
    public const int MaxPollKeys = 10_000;

    public void RecordPoll(string taskType, string? domain, string? workerId, long now)
    {
        var key = (taskType, domain ?? "", workerId ?? "");
        if (!Polls.TryGetValue(key, out var entry) && Polls.Count >= MaxPollKeys)
        {
            ForgetOldestPolls(MaxPollKeys / 10);
        }
        var persisted = entry.Persisted;
        if (now - persisted >= 1000)
        {
            NonQuery("INSERT OR REPLACE INTO poll_data(task_type, domain, worker_id, last_poll_time) VALUES ($t, $d, $w, $now)",
                ("$t", taskType), ("$d", domain ?? ""), ("$w", workerId ?? ""), ("$now", now));
            persisted = now;
        }
        Polls[key] = (now, persisted);
    }

    /// <summary>Forgets the <paramref name="count"/> least recently polled keys, in memory and in the table.</summary>
    private void ForgetOldestPolls(int count)
    {
        foreach (var pair in Polls.OrderBy(p => p.Value.Last).Take(count).ToList())
        {
            Polls.Remove(pair.Key);
            NonQuery("DELETE FROM poll_data WHERE task_type = $t AND domain = $d AND worker_id = $w",
                ("$t", pair.Key.Type), ("$d", pair.Key.Domain), ("$w", pair.Key.Worker));
        }
    }

    public long? LastPollTime(string taskType, string domain)
    {
        long? last = null;
        foreach (var pair in Polls)
        {
            if (pair.Key.Type == taskType && pair.Key.Domain == domain && (last is null || pair.Value.Last > last))
            {
                last = pair.Value.Last;
            }
        }
        return last;
    }

    public List<PollData> GetPollData(string? taskType) =>
        Polls.Where(p => taskType is null || p.Key.Type == taskType)
            .OrderBy(p => p.Key.Type, StringComparer.Ordinal)
            .OrderBy(p => p.Key.Domain, StringComparer.Ordinal).ThenBy(p => p.Key.Worker, StringComparer.Ordinal)
            .Select(p => new PollData
            {
                QueueName = p.Key.Domain.Length == 0 ? p.Key.Type : p.Key.Domain + ":" + p.Key.Type,
                Domain = p.Key.Domain.Length == 0 ? null : p.Key.Domain,
                WorkerId = p.Key.Worker.Length == 0 ? null : p.Key.Worker,
                LastPollTime = p.Value.Last,
            }).ToList();

    public void AddLog(string taskId, string log, long createdTime) =>
        NonQuery("INSERT INTO task_logs(task_id, log, created_time) VALUES ($t, $l, $c)", ("$t", taskId), ("$l", log), ("$c", createdTime));

    public List<TaskExecLog> GetLogs(string taskId)
    {
        var list = new List<TaskExecLog>();
        using var reader = Cmd("SELECT log, created_time FROM task_logs WHERE task_id = $t ORDER BY id", ("$t", taskId)).ExecuteReader();
        while (reader.Read())
        {
            list.Add(new TaskExecLog(reader.GetString(0), taskId, reader.GetInt64(1)));
        }
        return list;
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        foreach (var cmd in _commands.Values)
        {
            cmd.Dispose();
        }
        _commands.Clear();
        _connection.Dispose();
    }
}
