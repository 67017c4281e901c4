using System.Globalization;
using Azure.Core;
using ConductorTools.Http;

namespace ConductorTools.Hosting;

/// <summary>How a serverless host authenticates to Conductor.</summary>
public enum ConductorAuthMode
{
    /// <summary>No credentials (conductor-oss without auth, a local server).</summary>
    None,
    /// <summary>Orkes application access key: key id and secret exchanged for a token (<c>X-Authorization</c>).</summary>
    OrkesKey,
    /// <summary>The app's managed identity (Azure.Identity <c>ManagedIdentityCredential</c>): <c>Authorization: Bearer</c>.</summary>
    ManagedIdentity,
    /// <summary>Azure.Identity <c>DefaultAzureCredential</c> (developer machines; Azure CLI, environment, managed identity...).</summary>
    DefaultAzureCredential,
}

/// <summary>
/// Everything a serverless host (the Azure Functions app, its PowerShell variant) reads from app settings, bound
/// from flat key/value settings (app settings are environment variables; on Linux their names may only hold letters,
/// digits, <c>.</c> and <c>_</c>). <see cref="Bind"/> checks every setting and reports every problem at once.
/// </summary>
public sealed class ConductorHostSettings
{
    public const string ServerUrlKey = "CONDUCTOR_SERVER_URL";
    public const string AuthModeKey = "CONDUCTOR_AUTH_MODE";
    public const string AuthKeyKey = "CONDUCTOR_AUTH_KEY";
    public const string AuthSecretKey = "CONDUCTOR_AUTH_SECRET";
    public const string AuthScopeKey = "CONDUCTOR_AUTH_SCOPE";
    public const string ManagedIdentityClientIdKey = "CONDUCTOR_MANAGED_IDENTITY_CLIENT_ID";
    public const string PollScheduleKey = "CONDUCTOR_POLL_SCHEDULE";
    public const string FunctionTimeoutKey = "CONDUCTOR_FUNCTION_TIMEOUT";
    public const string SafetyMarginKey = "CONDUCTOR_SAFETY_MARGIN";
    public const string MaxCycleDurationKey = "CONDUCTOR_MAX_CYCLE_DURATION";
    public const string DrainTimeoutKey = "CONDUCTOR_DRAIN_TIMEOUT";
    public const string ConcurrencyKey = "CONDUCTOR_CONCURRENCY";
    public const string TaskConcurrencyKey = "CONDUCTOR_TASK_CONCURRENCY";
    public const string TaskGroupsKey = "CONDUCTOR_TASK_GROUPS";
    /// <summary><c>Timer</c> (default): the timer functions run the cycles. <c>FanOut</c>: the dispatcher timer puts work messages on a queue and the queue functions run the cycles.</summary>
    public const string DispatchModeKey = "CONDUCTOR_DISPATCH_MODE";
    /// <summary>The fan-out queue of the default group; a group's queue is this name + <c>-</c> + the group (lower case). The queue trigger reads it as <c>%CONDUCTOR_FANOUT_QUEUE%</c>.</summary>
    public const string FanOutQueueKey = "CONDUCTOR_FANOUT_QUEUE";
    /// <summary>The most cycles one group may have queued or running at once (its instance budget).</summary>
    public const string FanOutMaxCyclesKey = "CONDUCTOR_FANOUT_MAX_CYCLES";
    /// <summary>Set by App Service / Functions: the plan's SKU (Dynamic, FlexConsumption, ElasticPremium, ...).</summary>
    public const string WebsiteSkuKey = "WEBSITE_SKU";

    /// <summary>The group every worker not named in <see cref="TaskGroupsKey"/> belongs to.</summary>
    public const string DefaultGroup = "default";

    public static readonly TimeSpan DefaultSafetyMargin = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(60);
    public const string DefaultFanOutQueue = "conductor-cycles";
    public const int DefaultFanOutMaxCycles = 20;

    private const string KeyVaultReferencePrefix = "@Microsoft.KeyVault(";

    private ConductorHostSettings() { }

    /// <summary>Conductor's API base URL as configured, e.g. <c>https://play.orkes.io/api</c>.</summary>
    public Uri ServerUrl { get; private set; } = null!;

    public ConductorAuthMode AuthMode { get; private set; }

    /// <summary>Orkes access key id (<see cref="ConductorAuthMode.OrkesKey"/>).</summary>
    public string? KeyId { get; private set; }

    /// <summary>Orkes access key secret. Never logged: <see cref="ToString"/> and every error leave it out.</summary>
    public string? KeySecret { get; private set; }

    /// <summary>The Entra ID scope requested for Conductor (e.g. <c>api://conductor-gateway/.default</c>).</summary>
    public string? Scope { get; private set; }

    /// <summary>Client id of a user-assigned managed identity; null uses the system-assigned identity.</summary>
    public string? ManagedIdentityClientId { get; private set; }

    /// <summary>The timer schedule (NCRONTAB or TimeSpan) that the Functions host resolves from <see cref="PollScheduleKey"/>.</summary>
    public string PollSchedule { get; private set; } = "";

    /// <summary>Overrides the function timeout read from host.json / the plan default (for hosts that cannot read host.json).</summary>
    public FunctionTimeout? FunctionTimeoutOverride { get; private set; }

    /// <summary>Time kept free at the end of each invocation to hand back unfinished tasks and return.</summary>
    public TimeSpan SafetyMargin { get; private set; } = DefaultSafetyMargin;

    /// <summary>Caps a cycle below the function timeout (required in spirit when the timeout is unbounded).</summary>
    public TimeSpan? MaxCycleDuration { get; private set; }

    /// <summary>
    /// The longest a task is expected to run: no task is polled later than this before the deadline, and tasks still
    /// running just before the deadline are handed back. Also the drain when the host cancels an invocation: in-flight tasks may
    /// run this long after the cancellation (never past the deadline), then are handed back. Set it to your slowest
    /// handler's usual duration.
    /// </summary>
    public TimeSpan DrainTimeout { get; private set; } = DefaultDrainTimeout;

    /// <summary>Tasks of one type run at once in a cycle unless <see cref="TaskConcurrency"/> says otherwise; null: not set.</summary>
    public int? DefaultConcurrency { get; private set; }

    /// <summary>Per task type concurrency (<c>CONDUCTOR_TASK_CONCURRENCY=send_email=8;resize_image=2</c>).</summary>
    public IReadOnlyDictionary<string, int> TaskConcurrency { get; private set; } = new Dictionary<string, int>();

    /// <summary>Named groups of task types, one timer function each (<c>CONDUCTOR_TASK_GROUPS=mail=send_email,notify;media=resize_image</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> TaskGroups { get; private set; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The hosting plan from <c>WEBSITE_SKU</c>; <see cref="HostingPlan.Unknown"/> when running locally.</summary>
    public HostingPlan HostingPlan { get; private set; }

    /// <summary>Who runs the cycles: the timer functions (<see cref="DispatchMode.Timer"/>) or the queue functions fed by the dispatcher.</summary>
    public DispatchMode DispatchMode { get; private set; }

    /// <summary>The default group's fan-out queue name (<see cref="FanOutQueueKey"/>); see <see cref="FanOutQueueFor"/>.</summary>
    public string FanOutQueue { get; private set; } = DefaultFanOutQueue;

    /// <summary>The most cycles of one group queued or running at once (<see cref="FanOutMaxCyclesKey"/>).</summary>
    public int FanOutMaxCycles { get; private set; } = DefaultFanOutMaxCycles;

    /// <summary>
    /// The Storage queue of <paramref name="group"/>'s work messages: <see cref="FanOutQueue"/> for the default group,
    /// <c>&lt;FanOutQueue&gt;-&lt;group&gt;</c> (lower case) for a named one. One queue per group, so the approximate
    /// message count of a queue is that group's cycles in flight and each queue function scales on its own.
    /// </summary>
    /// <exception cref="ConductorSettingsException">The resulting name is not a valid queue name (or leaves no room for its <c>-poison</c> queue).</exception>
    public string FanOutQueueFor(string group)
    {
        if (group is null) throw new ArgumentNullException(nameof(group));
        var name = string.Equals(group, DefaultGroup, StringComparison.Ordinal) ? FanOutQueue : FanOutQueue + "-" + group.ToLowerInvariant();
        if (QueueNameProblem(name) is { } problem)
            throw new ConductorSettingsException(new[] { $"The fan-out queue of group '{group}' would be '{name}' ({FanOutQueueKey} + '-' + group), which {problem}: rename the group or shorten {FanOutQueueKey}." });
        return name;
    }

    /// <summary>Why <paramref name="name"/> is not a Storage queue name whose <c>-poison</c> queue is also valid; null when it is.</summary>
    public static string? QueueNameProblem(string name)
    {
        if (name.Length < 3 || name.Length > 56) return "is not 3 to 56 characters long (the queue trigger's '-poison' queue must fit in 63)";
        if (!name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')) return "holds characters other than lower-case letters, digits and '-'";
        if (name[0] == '-' || name[name.Length - 1] == '-' || name.Contains("--")) return "starts or ends with '-' or holds '--'";
        return null;
    }

    /// <summary>Binds from an <c>IConfiguration</c>-like lookup (e.g. <c>key =&gt; configuration[key]</c> or environment variables).</summary>
    /// <exception cref="ConductorSettingsException">One or more settings are missing or wrong; the message lists them all.</exception>
    public static ConductorHostSettings Bind(Func<string, string?> setting)
    {
        if (setting is null) throw new ArgumentNullException(nameof(setting));
        var problems = new List<string>();
        var s = new ConductorHostSettings();
        string? Get(string key)
        {
            var value = setting(key);
            return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
        }

        var url = Get(ServerUrlKey);
        if (url is null)
            problems.Add($"{ServerUrlKey} is not set: give Conductor's API URL, e.g. https://developer.orkescloud.com/api or http://localhost:8080/api.");
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            problems.Add($"{ServerUrlKey} '{url}' is not an absolute http(s) URL, e.g. https://developer.orkescloud.com/api.");
        else
            s.ServerUrl = uri;

        BindAuth(s, Get, problems);

        var schedule = Get(PollScheduleKey);
        if (schedule is null)
            problems.Add($"{PollScheduleKey} is not set: the timer trigger reads its schedule from it, e.g. '0 */1 * * * *' (every minute, NCRONTAB with seconds).");
        else if (!IsValidSchedule(schedule))
            problems.Add($"{PollScheduleKey} '{schedule}' is neither an NCRONTAB expression (5 or 6 fields, e.g. '0 */1 * * * *') nor a TimeSpan (e.g. '00:01:00', Dedicated plans only).");
        else
            s.PollSchedule = schedule;

        var timeout = Get(FunctionTimeoutKey);
        if (timeout is not null)
        {
            if (FunctionTimeout.TryParse(timeout, out var parsed))
                s.FunctionTimeoutOverride = parsed with { Source = FunctionTimeoutKey };
            else
                problems.Add($"{FunctionTimeoutKey} '{timeout}' is not a timeout: use hh:mm:ss as in host.json's functionTimeout (e.g. 00:10:00), or -1 for unbounded.");
        }

        var margin = Get(SafetyMarginKey);
        if (margin is not null)
        {
            if (TryParseDuration(margin, out var m) && m >= TimeSpan.Zero)
                s.SafetyMargin = m;
            else
                problems.Add($"{SafetyMarginKey} '{margin}' is not a duration: use hh:mm:ss, e.g. 00:00:30.");
        }

        var maxCycle = Get(MaxCycleDurationKey);
        if (maxCycle is not null)
        {
            if (TryParseDuration(maxCycle, out var c) && c > TimeSpan.Zero)
                s.MaxCycleDuration = c;
            else
                problems.Add($"{MaxCycleDurationKey} '{maxCycle}' is not a positive duration: use hh:mm:ss, e.g. 00:10:00.");
        }

        var drain = Get(DrainTimeoutKey);
        if (drain is not null)
        {
            if (TryParseDuration(drain, out var d) && d >= TimeSpan.Zero)
                s.DrainTimeout = d;
            else
                problems.Add($"{DrainTimeoutKey} '{drain}' is not a duration: use hh:mm:ss, e.g. 00:01:00 (your slowest task's usual run time).");
        }

        var concurrency = Get(ConcurrencyKey);
        if (concurrency is not null)
        {
            if (int.TryParse(concurrency, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1024)
                s.DefaultConcurrency = n;
            else
                problems.Add($"{ConcurrencyKey} '{concurrency}' is not a number from 1 to 1024 (tasks of one type run at once).");
        }

        s.TaskConcurrency = ParseConcurrencyMap(Get(TaskConcurrencyKey), problems);
        s.TaskGroups = ParseGroups(Get(TaskGroupsKey), problems);
        s.HostingPlan = FunctionTimeout.PlanFromSku(Get(WebsiteSkuKey));

        var mode = Get(DispatchModeKey);
        if (mode is not null)
        {
            switch (mode.Replace("-", "").Replace("_", "").ToUpperInvariant())
            {
                case "TIMER": s.DispatchMode = DispatchMode.Timer; break;
                case "FANOUT": case "QUEUE": s.DispatchMode = DispatchMode.FanOut; break;
                default: problems.Add($"{DispatchModeKey} '{mode}' is not a dispatch mode: use Timer (the timer functions run the cycles) or FanOut (the dispatcher queues work messages, the queue functions run the cycles)."); break;
            }
        }
        var queue = Get(FanOutQueueKey);
        if (queue is not null)
        {
            if (QueueNameProblem(queue) is { } problem)
                problems.Add($"{FanOutQueueKey} '{queue}' {problem}; e.g. {DefaultFanOutQueue}.");
            else
                s.FanOutQueue = queue;
        }
        var maxCycles = Get(FanOutMaxCyclesKey);
        if (maxCycles is not null)
        {
            if (int.TryParse(maxCycles, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000)
                s.FanOutMaxCycles = n;
            else
                problems.Add($"{FanOutMaxCyclesKey} '{maxCycles}' is not a number from 1 to 1000 (cycles of one group queued or running at once; keep it within the plan's instance limit).");
        }

        if (problems.Count > 0)
            throw new ConductorSettingsException(problems);
        return s;
    }

    /// <summary>Binds from the process environment, where app settings live in a Functions app.</summary>
    public static ConductorHostSettings FromEnvironment() => Bind(Environment.GetEnvironmentVariable);

    /// <summary>
    /// How many tasks of <paramref name="taskType"/> run at once in one cycle: <see cref="TaskConcurrencyKey"/>, else
    /// <see cref="ConcurrencyKey"/>; null when neither is set (the worker's own options decide).
    /// </summary>
    public int? ConcurrencyFor(string taskType) =>
        TaskConcurrency.TryGetValue(taskType, out var n) ? n : DefaultConcurrency;

    /// <summary>
    /// Client options for <see cref="HttpConductorApi"/>. <paramref name="credential"/> is the Azure.Identity credential
    /// for <see cref="ConductorAuthMode.ManagedIdentity"/> / <see cref="ConductorAuthMode.DefaultAzureCredential"/>
    /// (the host creates it, so Core does not depend on Azure.Identity); it must be null for the other modes.
    /// </summary>
    public ConductorClientOptions ToClientOptions(TokenCredential? credential = null)
    {
        var needsCredential = AuthMode is ConductorAuthMode.ManagedIdentity or ConductorAuthMode.DefaultAzureCredential;
        if (needsCredential && credential is null)
            throw new ArgumentException($"Auth mode {AuthMode} needs a TokenCredential (ManagedIdentityCredential / DefaultAzureCredential from Azure.Identity).", nameof(credential));
        if (!needsCredential && credential is not null)
            throw new ArgumentException($"Auth mode {AuthMode} does not use a TokenCredential; set {AuthModeKey} and {AuthScopeKey} to use one.", nameof(credential));
        var options = new ConductorClientOptions { ServerUrl = ServerUrl };
        if (AuthMode == ConductorAuthMode.OrkesKey)
        {
            options.KeyId = KeyId;
            options.KeySecret = KeySecret;
        }
        else if (needsCredential)
        {
            options.Credential = credential;
            options.CredentialScopes = new List<string> { Scope! };
        }
        return options;
    }

    /// <summary>
    /// The task types a timer function for <paramref name="group"/> works on, given every task type with a registered
    /// worker: the group's list, or for <see cref="DefaultGroup"/> (unless configured) every type in no other group.
    /// Also checks that the settings only name registered task types.
    /// </summary>
    /// <exception cref="ConductorSettingsException">An unknown group or a task type with no registered worker.</exception>
    public IReadOnlyList<string> TaskTypesFor(string group, IEnumerable<string> registeredTaskTypes)
    {
        var registered = registeredTaskTypes.ToList();
        var known = new HashSet<string>(registered, StringComparer.Ordinal);
        var problems = new List<string>();
        var registeredList = registered.Count == 0 ? "none" : string.Join(", ", registered);
        foreach (var pair in TaskGroups)
        {
            foreach (var type in pair.Value.Where(t => !known.Contains(t)))
                problems.Add($"{TaskGroupsKey} puts task type '{type}' in group '{pair.Key}' but no worker is registered for it (registered: {registeredList}).");
        }
        foreach (var type in TaskConcurrency.Keys.Where(t => !known.Contains(t)))
            problems.Add($"{TaskConcurrencyKey} sets a concurrency for task type '{type}' but no worker is registered for it (registered: {registeredList}).");

        IReadOnlyList<string> result;
        if (TaskGroups.TryGetValue(group, out var types))
        {
            result = types;
        }
        else if (string.Equals(group, DefaultGroup, StringComparison.Ordinal))
        {
            var grouped = new HashSet<string>(TaskGroups.Values.SelectMany(t => t), StringComparer.Ordinal);
            result = registered.Where(t => !grouped.Contains(t)).ToList();
        }
        else
        {
            var groups = TaskGroups.Count == 0 ? "none" : string.Join(", ", TaskGroups.Keys);
            problems.Add($"Task group '{group}' is not defined in {TaskGroupsKey} (defined: {groups}; '{DefaultGroup}' holds every task type in no group).");
            result = Array.Empty<string>();
        }
        if (problems.Count > 0)
            throw new ConductorSettingsException(problems);
        return result;
    }

    /// <summary>A description for logs: URL, auth mode and schedule; never the secret.</summary>
    public override string ToString() =>
        $"server {ServerUrl}, auth {AuthMode}{(AuthMode == ConductorAuthMode.OrkesKey ? $" (key id {KeyId})" : Scope is null ? "" : $" (scope {Scope})")}, " +
        $"schedule '{PollSchedule}', safety margin {SafetyMargin}, plan {HostingPlan}" +
        (DispatchMode == DispatchMode.FanOut ? $", fan-out through queue {FanOutQueue} (at most {FanOutMaxCycles} cycles per group)" : "");

    private static void BindAuth(ConductorHostSettings s, Func<string, string?> get, List<string> problems)
    {
        var key = get(AuthKeyKey);
        var secret = get(AuthSecretKey);
        var scope = get(AuthScopeKey);
        s.ManagedIdentityClientId = get(ManagedIdentityClientIdKey);

        // An unresolved Key Vault reference reaches the app as its literal text: say so instead of failing later with 401.
        foreach (var (name, value) in new[] { (AuthKeyKey, key), (AuthSecretKey, secret) })
        {
            if (value is not null && value.StartsWith(KeyVaultReferencePrefix, StringComparison.OrdinalIgnoreCase))
                problems.Add($"{name} is a Key Vault reference that the platform did not resolve: give the app's managed identity the " +
                    "'Key Vault Secrets User' role on the vault (or an access policy with Get secret), check the reference's status " +
                    "under the app's Environment variables, and use the identity named by keyVaultReferenceIdentity if it is user-assigned.");
        }

        var modeText = get(AuthModeKey);
        ConductorAuthMode mode;
        if (modeText is null)
        {
            // Inferred: credentials present say which mode is meant.
            mode = key is not null || secret is not null ? ConductorAuthMode.OrkesKey
                : scope is not null ? ConductorAuthMode.ManagedIdentity
                : ConductorAuthMode.None;
        }
        else if (!TryParseMode(modeText, out mode))
        {
            problems.Add($"{AuthModeKey} '{modeText}' is not an auth mode: use None, OrkesKey, ManagedIdentity or DefaultAzureCredential.");
            return;
        }

        switch (mode)
        {
            case ConductorAuthMode.OrkesKey:
                if (key is null) problems.Add($"{AuthKeyKey} is not set: Orkes key/secret auth needs the access key id (and {AuthSecretKey}).");
                if (secret is null) problems.Add($"{AuthSecretKey} is not set: Orkes key/secret auth needs the access key secret (store it in Key Vault and use a Key Vault reference).");
                break;
            case ConductorAuthMode.ManagedIdentity:
            case ConductorAuthMode.DefaultAzureCredential:
                if (scope is null)
                    problems.Add($"{AuthScopeKey} is not set: {mode} auth requests a token for it, e.g. api://<app-id-of-the-api-in-front-of-Conductor>/.default.");
                else if (scope.IndexOf(' ') >= 0)
                    problems.Add($"{AuthScopeKey} '{scope}' holds several scopes: managed identity tokens are for exactly one, e.g. api://<app-id>/.default.");
                if (key is not null || secret is not null)
                    problems.Add($"{AuthKeyKey}/{AuthSecretKey} are set but {AuthModeKey} is {mode}: remove them or set {AuthModeKey}=OrkesKey.");
                break;
            case ConductorAuthMode.None:
                if (key is not null || secret is not null)
                    problems.Add($"{AuthKeyKey}/{AuthSecretKey} are set but {AuthModeKey} is None: remove them or set {AuthModeKey}=OrkesKey.");
                break;
        }
        if (s.ManagedIdentityClientId is not null && mode == ConductorAuthMode.OrkesKey)
            problems.Add($"{ManagedIdentityClientIdKey} is set but auth is OrkesKey: it only selects the identity for ManagedIdentity/DefaultAzureCredential auth.");

        s.AuthMode = mode;
        s.KeyId = mode == ConductorAuthMode.OrkesKey ? key : null;
        s.KeySecret = mode == ConductorAuthMode.OrkesKey ? secret : null;
        s.Scope = mode is ConductorAuthMode.ManagedIdentity or ConductorAuthMode.DefaultAzureCredential ? scope : null;
    }

    private static bool TryParseMode(string text, out ConductorAuthMode mode)
    {
        switch (text.Replace("-", "").Replace("_", "").ToUpperInvariant())
        {
            case "NONE": mode = ConductorAuthMode.None; return true;
            case "ORKESKEY": case "KEY": case "KEYSECRET": mode = ConductorAuthMode.OrkesKey; return true;
            case "MANAGEDIDENTITY": case "MSI": mode = ConductorAuthMode.ManagedIdentity; return true;
            case "DEFAULTAZURECREDENTIAL": case "DEFAULT": mode = ConductorAuthMode.DefaultAzureCredential; return true;
            default: mode = default; return false;
        }
    }

    private static bool IsValidSchedule(string schedule)
    {
        // %NAME% is resolved by the host before it parses the schedule; the value seen here is already resolved.
        if (TryParseDuration(schedule, out var interval))
            return interval > TimeSpan.Zero;
        var fields = schedule.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length is 5 or 6 && fields.All(f => f.All(c => char.IsLetterOrDigit(c) || "*/,-?".IndexOf(c) >= 0));
    }

    internal static bool TryParseDuration(string text, out TimeSpan value) =>
        TimeSpan.TryParseExact(text, new[] { @"hh\:mm\:ss", @"h\:mm\:ss", @"d\.hh\:mm\:ss", @"hh\:mm\:ss\.FFFFFFF" }, CultureInfo.InvariantCulture, out value);

    private static Dictionary<string, int> ParseConcurrencyMap(string? text, List<string> problems)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        if (text is null) return map;
        foreach (var entry in text.Split(';').Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            var eq = entry.IndexOf('=');
            var type = eq > 0 ? entry.Substring(0, eq).Trim() : "";
            var number = eq > 0 ? entry.Substring(eq + 1).Trim() : "";
            if (type.Length == 0 || !int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 1024)
                problems.Add($"{TaskConcurrencyKey} entry '{entry}' is not taskType=number (1 to 1024); separate entries with ';', e.g. send_email=8;resize_image=2.");
            else if (map.ContainsKey(type))
                problems.Add($"{TaskConcurrencyKey} names task type '{type}' twice.");
            else
                map[type] = n;
        }
        return map;
    }

    private static Dictionary<string, IReadOnlyList<string>> ParseGroups(string? text, List<string> problems)
    {
        var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (text is null) return groups;
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in text.Split(';').Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            var eq = entry.IndexOf('=');
            var name = eq > 0 ? entry.Substring(0, eq).Trim() : "";
            var types = eq > 0 ? entry.Substring(eq + 1).Split(',').Select(t => t.Trim()).Where(t => t.Length > 0).ToList() : new List<string>();
            if (name.Length == 0 || types.Count == 0)
            {
                problems.Add($"{TaskGroupsKey} entry '{entry}' is not group=taskType,taskType; separate groups with ';', e.g. mail=send_email,notify;media=resize_image.");
                continue;
            }
            if (groups.ContainsKey(name))
            {
                problems.Add($"{TaskGroupsKey} defines group '{name}' twice.");
                continue;
            }
            foreach (var type in types)
            {
                if (owner.TryGetValue(type, out var other))
                    problems.Add($"{TaskGroupsKey} puts task type '{type}' in groups '{other}' and '{name}': a task type belongs to one group (one timer polls it).");
                else
                    owner[type] = name;
            }
            groups[name] = types;
        }
        return groups;
    }
}

/// <summary>Who runs the bounded cycles of a Functions app.</summary>
public enum DispatchMode
{
    /// <summary>The timer functions (<c>ConductorWorkers[_group]</c>) run one cycle per tick: one instance per group.</summary>
    Timer,
    /// <summary>The dispatcher timers (<c>ConductorDispatcher[_group]</c>) put work messages on the group's queue and the queue
    /// functions (<c>ConductorFanOut[_group]</c>) run one cycle per message, on as many instances as the platform adds.</summary>
    FanOut,
}

/// <summary>Settings are missing or wrong; <see cref="Exception.Message"/> lists every problem and what to do.</summary>
public sealed class ConductorSettingsException : Exception
{
    public ConductorSettingsException(IReadOnlyList<string> problems)
        : base("ConductorTools settings are not valid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}
