using System.Net;
using System.Net.Sockets;

namespace ConductorTools.Testing;

/// <summary>Loopback endpoints for tests that need a port of their own.</summary>
public static class Loopback
{
    /// <summary>A loopback port that was free a moment ago (for a server that must be restarted on the same port).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>An <see cref="HttpListener"/> started on a free loopback port; its base address is <c>http://127.0.0.1:{port}/</c>.</summary>
    public static HttpListener StartHttpListener(out int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another process took the port between the probe and the start: try another.
                listener.Close();
            }
        }
    }
}
