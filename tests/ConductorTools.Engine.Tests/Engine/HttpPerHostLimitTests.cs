using System.Net;
using System.Net.Sockets;
using System.Text;
using ConductorTools.Engine.Execution;
using ConductorTools.Model;

namespace ConductorTools.Engine.Tests.Engine;

/// <summary>Issue 17: HTTP tasks hanging on one host take at most a per-host share of the engine's HTTP slots, so calls
/// to other hosts still run.</summary>
public sealed class HttpPerHostLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static WorkflowDef Calling(string name, string uri) => new()
    {
        Name = name,
        Tasks =
        [
            new WorkflowTask
            {
                Name = "call", TaskReferenceName = "call", Type = WorkflowTaskTypes.Http,
                InputParameters = new()
                {
                    ["http_request"] = new Dictionary<string, object?> { ["uri"] = uri, ["method"] = "GET", ["readTimeOut"] = 120_000L },
                },
            },
        ],
    };

    [Fact]
    public async Task Calls_hanging_on_one_host_leave_slots_for_another()
    {
        // Host A accepts connections and never answers.
        using var hanging = new TcpListener(IPAddress.Loopback, 0);
        hanging.Start();
        var accepted = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var client = await hanging.AcceptTcpClientAsync(Ct);
                    lock (accepted) accepted.Add(client);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }, Ct);
        // Host B answers at once.
        using var quick = new TcpListener(IPAddress.Loopback, 0);
        quick.Start();
        var serving = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await quick.AcceptTcpClientAsync(Ct);
                    var stream = client.GetStream();
                    _ = await stream.ReadAsync(new byte[4096], Ct); // the request head (small; its content does not matter)
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"), Ct);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
            {
            }
        }, Ct);

        await using var engine = EmbeddedConductor.Open(new EmbeddedConductorOptions
        {
            DatabasePath = EmbeddedConductorOptions.InMemory, SweepInterval = TimeSpan.FromMilliseconds(100),
        });
        await engine.RegisterWorkflowDefAsync(Calling("to_a", $"http://127.0.0.1:{((IPEndPoint)hanging.LocalEndpoint).Port}/hang"), overwrite: true, Ct);
        await engine.RegisterWorkflowDefAsync(Calling("to_b", $"http://127.0.0.1:{((IPEndPoint)quick.LocalEndpoint).Port}/ok"), overwrite: true, Ct);
        // More hanging calls than the engine has slots in all.
        var toA = new List<string>();
        for (var i = 0; i < HttpTaskRunner.MaxConcurrentCalls + 8; i++)
        {
            toA.Add(await engine.StartWorkflowAsync("to_a", new Dictionary<string, object?>(), cancellationToken: Ct));
        }
        var toB = await engine.StartWorkflowAsync("to_b", new Dictionary<string, object?>(), cancellationToken: Ct);

        // B completes although A's calls never end (bounded wait for the outcome; A's calls would hold every slot for 120 s).
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await engine.GetWorkflowAsync(toB, false, Ct)).Status != WorkflowStatus.COMPLETED)
        {
            Assert.True(DateTime.UtcNow < until, "the call to host B never ran: host A's hanging calls hold the slots");
            await Task.Delay(50, Ct);
        }

        var inProgress = 0;
        foreach (var id in toA)
        {
            if ((await engine.GetWorkflowAsync(id, true, Ct)).Tasks.Single().Status == ConductorTaskStatus.IN_PROGRESS) inProgress++;
        }
        Assert.Equal(HttpTaskRunner.MaxConcurrentCallsPerHost, inProgress);
        hanging.Stop();
        quick.Stop();
        lock (accepted) accepted.ForEach(c => c.Dispose());
    }
}
