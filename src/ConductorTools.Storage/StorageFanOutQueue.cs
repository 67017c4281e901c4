using Azure;
using Azure.Core;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using ConductorTools.Hosting;

namespace ConductorTools.Storage;

/// <summary>
/// A group's fan-out queue on Azure Storage (Azure.Storage.Queues). Messages are Base64-encoded, the encoding the Functions
/// queue trigger expects by default (extensions.queues.messageEncoding), so the trigger reads what the dispatcher sends.
/// The send and count side is what the dispatcher needs (<see cref="IFanOutQueue"/>); the receive side
/// (<see cref="ReceiveAsync"/>, <see cref="DeleteAsync"/>, <see cref="MoveToPoisonAsync"/>) is what the Functions host does
/// with a queue trigger, for consumers that are not the host (the tests' simulated instances, the bench, a self-hosted loop).
/// </summary>
public sealed class StorageFanOutQueue : IFanOutQueue
{
    /// <summary>The suffix of the poison queue the Functions queue trigger moves a message to after maxDequeueCount failures.</summary>
    public const string PoisonSuffix = "-poison";

    /// <summary>The Functions queue trigger's default maxDequeueCount.</summary>
    public const int DefaultMaxDequeueCount = 5;

    private readonly QueueClient _poison;
    private volatile bool _created;

    public StorageFanOutQueue(QueueClient client, QueueClient poison)
    {
        Client = client ?? throw new ArgumentNullException(nameof(client));
        _poison = poison ?? throw new ArgumentNullException(nameof(poison));
    }

    /// <summary>The queue.</summary>
    public QueueClient Client { get; }

    /// <summary>Its poison queue (<c>&lt;name&gt;-poison</c>).</summary>
    public QueueClient PoisonClient => _poison;

    public string Name => Client.Name;

    /// <summary>Client options with the trigger's encoding (Base64).</summary>
    public static QueueClientOptions Options() => new() { MessageEncoding = QueueMessageEncoding.Base64 };

    /// <summary>The queue <paramref name="queueName"/> of the account behind <paramref name="service"/>.</summary>
    public static StorageFanOutQueue For(QueueServiceClient service, string queueName)
    {
        if (service is null) throw new ArgumentNullException(nameof(service));
        return new StorageFanOutQueue(service.GetQueueClient(queueName), service.GetQueueClient(queueName + PoisonSuffix));
    }

    /// <summary>The queue <paramref name="queueName"/> of the account a connection string names (<c>UseDevelopmentStorage=true</c>: Azurite).</summary>
    public static StorageFanOutQueue FromConnectionString(string connectionString, string queueName) =>
        For(ServiceFromSettings(k => k == "connection" ? connectionString : null, "connection"), queueName);

    /// <summary>
    /// The queue service of a Functions connection setting, the way the queue trigger finds it: <c>&lt;name&gt;</c> holds a
    /// connection string (<c>UseDevelopmentStorage=true</c> for Azurite); or, identity-based, <c>&lt;name&gt;__queueServiceUri</c>
    /// or <c>&lt;name&gt;__accountName</c> with <paramref name="credential"/>, by default the app's managed identity
    /// (<c>&lt;name&gt;__clientId</c> for a user-assigned one), which needs the Storage Queue Data Contributor role.
    /// </summary>
    /// <exception cref="ConductorSettingsException">No usable connection setting.</exception>
    public static QueueServiceClient ServiceFromSettings(Func<string, string?> setting, string connectionName = "AzureWebJobsStorage", TokenCredential? credential = null)
    {
        if (setting is null) throw new ArgumentNullException(nameof(setting));
        string? Get(string key) => setting(key) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var connectionString = Get(connectionName);
        if (connectionString is not null)
        {
            try
            {
                return new QueueServiceClient(connectionString, Options());
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new ConductorSettingsException(new[] { $"{connectionName} is not a storage connection string ({e.Message}): use DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net, or UseDevelopmentStorage=true for Azurite." });
            }
        }
        var uri = Get(connectionName + "__queueServiceUri")
            ?? (Get(connectionName + "__accountName") is { } account ? $"https://{account}.queue.core.windows.net" : null);
        if (uri is null)
            throw new ConductorSettingsException(new[] { $"{connectionName} is not set: the fan-out queue needs a storage connection string (UseDevelopmentStorage=true for Azurite), or {connectionName}__accountName / {connectionName}__queueServiceUri with the app's identity." });
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var serviceUri))
            throw new ConductorSettingsException(new[] { $"{connectionName}__queueServiceUri '{uri}' is not an absolute URL, e.g. https://<account>.queue.core.windows.net." });
        credential ??= Get(connectionName + "__clientId") is { } clientId
            ? new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new Azure.Identity.ManagedIdentityCredential(Azure.Identity.ManagedIdentityId.SystemAssigned);
        return new QueueServiceClient(serviceUri, credential, Options());
    }

    public async Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            QueueProperties properties = await Client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
            return properties.ApproximateMessagesCount;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return 0;   // not created yet: the first send creates it
        }
    }

    public async Task SendAsync(string message, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        if (message is null) throw new ArgumentNullException(nameof(message));
        if (!_created)
        {
            await Client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _created = true;
        }
        await Client.SendMessageAsync(message, visibilityTimeout: null, timeToLive: timeToLive, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the next message, hidden from other consumers for <paramref name="visibility"/>; null when none is visible.</summary>
    public async Task<QueueMessage?> ReceiveAsync(TimeSpan visibility, CancellationToken cancellationToken = default)
    {
        try
        {
            QueueMessage? message = await Client.ReceiveMessageAsync(visibility, cancellationToken).ConfigureAwait(false);
            return message;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes a message once its cycle is over. A message that expired or was taken again meanwhile is already gone: false.</summary>
    public async Task<bool> DeleteAsync(QueueMessage message, CancellationToken cancellationToken = default)
    {
        if (message is null) throw new ArgumentNullException(nameof(message));
        try
        {
            await Client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
            return false;
        }
    }

    /// <summary>Moves a message that failed too often to the poison queue (as the Functions host does), then deletes it here.</summary>
    public async Task MoveToPoisonAsync(QueueMessage message, CancellationToken cancellationToken = default)
    {
        if (message is null) throw new ArgumentNullException(nameof(message));
        await _poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _poison.SendMessageAsync(message.Body, visibilityTimeout: null, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken).ConfigureAwait(false);
        await DeleteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a failed message visible again after <paramref name="delay"/> (the host's extensions.queues.visibilityTimeout).</summary>
    public async Task ReleaseAsync(QueueMessage message, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (message is null) throw new ArgumentNullException(nameof(message));
        try
        {
            await Client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: delay, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 400)
        {
        }
    }
}

/// <summary>What <see cref="FanOutQueueConsumer.RunOnceAsync"/> did with one message.</summary>
public enum FanOutDelivery
{
    /// <summary>No visible message.</summary>
    None,
    /// <summary>The body succeeded; the message was deleted.</summary>
    Completed,
    /// <summary>The body failed; the message becomes visible again for a retry.</summary>
    Failed,
    /// <summary>The body failed on the last allowed delivery; the message is on the poison queue.</summary>
    Poisoned,
}

/// <summary>
/// What the Functions host's queue listener does for a queue trigger, for consumers that are not the host: take one message
/// (hidden for the invocation's length), run the function body, delete the message on success; on failure make it visible
/// again, or move it to the poison queue when it was delivered maxDequeueCount times. The tests' simulated instances and the
/// bench run the queue function's body through it.
/// </summary>
public sealed class FanOutQueueConsumer
{
    private readonly StorageFanOutQueue _queue;

    public FanOutQueueConsumer(StorageFanOutQueue queue, TimeSpan visibility, int maxDequeueCount = StorageFanOutQueue.DefaultMaxDequeueCount)
    {
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        if (visibility <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(visibility), "The visibility must be positive.");
        if (maxDequeueCount < 1) throw new ArgumentOutOfRangeException(nameof(maxDequeueCount), "maxDequeueCount must be at least 1.");
        Visibility = visibility;
        MaxDequeueCount = maxDequeueCount;
    }

    /// <summary>How long a taken message stays hidden (<see cref="FanOutDispatch.ReceiveVisibility"/>).</summary>
    public TimeSpan Visibility { get; }

    public int MaxDequeueCount { get; }

    /// <summary>How soon a failed message is visible again (the host's extensions.queues.visibilityTimeout, default 0).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Takes one message and runs <paramref name="body"/> with its text.</summary>
    public async Task<FanOutDelivery> RunOnceAsync(Func<string, CancellationToken, Task> body, CancellationToken cancellationToken = default)
    {
        if (body is null) throw new ArgumentNullException(nameof(body));
        var message = await _queue.ReceiveAsync(Visibility, cancellationToken).ConfigureAwait(false);
        if (message is null) return FanOutDelivery.None;
        string text;
        try
        {
            text = message.Body.ToString();
        }
        catch (FormatException)
        {
            text = "";
        }
        try
        {
            await body(text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (message.DequeueCount >= MaxDequeueCount)
            {
                await _queue.MoveToPoisonAsync(message, cancellationToken).ConfigureAwait(false);
                return FanOutDelivery.Poisoned;
            }
            await _queue.ReleaseAsync(message, RetryDelay, cancellationToken).ConfigureAwait(false);
            return FanOutDelivery.Failed;
        }
        await _queue.DeleteAsync(message, cancellationToken).ConfigureAwait(false);
        return FanOutDelivery.Completed;
    }
}
