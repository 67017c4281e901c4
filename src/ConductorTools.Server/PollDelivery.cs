using System.Net.Sockets;
using ConductorTools.Engine;
using ConductorTools.Model;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace ConductorTools.Server;

/// <summary>
/// Delivering tasks a poll (or update-v2) hands out. A long poll whose client has gone must not take a task: nobody
/// would run it until its response timeout (3,600 s by default). So the engine asks <see cref="StillThere"/> under its
/// lock just before the hand-out, and an answer that cannot be written gives its tasks back
/// (<see cref="EmbeddedConductor.ReturnClaimAsync"/>). A claim is given back only when nothing of the answer can have
/// reached the client (gone before writing, or the write failed): an answer the client may hold is never handed out
/// twice.
/// </summary>
internal static class PollDelivery
{
    /// <summary>Whether the client of <paramref name="context"/> is still connected: the request has not been aborted
    /// and, on a socket, the peer has not closed its side (the kernel knows of a FIN or reset before Kestrel reads it).</summary>
    public static Func<bool> StillThere(HttpContext context)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        var aborted = context.RequestAborted;
        return () => !aborted.IsCancellationRequested && (socket is null || PeerOpen(socket));
    }

    private static bool PeerOpen(Socket socket)
    {
        try
        {
            // Readable with nothing to read is end of stream (or an error). A pipelined next request is data, not a close.
            return !(socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Writes <paramref name="answer"/> (the claimed tasks as JSON: a list, or the single task), or, when the
    /// claim is empty, <paramref name="whenEmpty"/>; gives the claim back when the answer cannot be delivered.</summary>
    public static async Task DeliverAsync(HttpContext context, EmbeddedConductor engine, TaskClaim claim, Func<IReadOnlyList<ConductorTask>, object?> answer,
        Action<HttpContext>? whenEmpty = null)
    {
        if (claim.Tasks.Count == 0)
        {
            if (whenEmpty is not null) whenEmpty(context);
            else await context.WriteJsonAsync(answer(claim.Tasks));
            return;
        }
        if (!StillThere(context)())
        {
            await engine.ReturnClaimAsync(claim, CancellationToken.None);
            context.Abort();
            return;
        }
        try
        {
            await context.WriteJsonAsync(answer(claim.Tasks));
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        catch
        {
            // Not written (cannot be serialised, client gone) or cut off: either way the client holds no whole answer.
            await engine.ReturnClaimAsync(claim, CancellationToken.None);
            throw;
        }
    }
}
