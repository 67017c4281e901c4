namespace ConductorTools.Bench.Workers;

internal sealed class CountingHandler : DelegatingHandler
{
    private long _requests;

    public CountingHandler(HttpMessageHandler inner) : base(inner) { }

    public long Requests => Interlocked.Read(ref _requests);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        return base.SendAsync(request, cancellationToken);
    }
}
