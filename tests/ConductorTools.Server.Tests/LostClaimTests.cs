using System.Net.Sockets;
using System.Text;
using ConductorTools.Model;

namespace ConductorTools.Server.Tests;

/// <summary>Issue 17, the lost-claim race: a long poll whose client has gone must not take a task server-side (it would
/// wait IN_PROGRESS for its response timeout with nobody running it).</summary>
public sealed class LostClaimTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_task_scheduled_after_a_client_abandoned_its_long_poll_goes_to_the_next_poller_at_once(bool reset)
    {
        // Several rounds: each is a fresh chance for the abandoned poll to win the task the moment it is scheduled.
        for (var round = 0; round < 10; round++)
        {
            var type = $"lost_claim_{reset}_{round}";
            var name = await server.OneTaskWorkflowAsync(type);
            var worker = "gone-" + round;

            using (var client = new TcpClient())
            {
                await client.ConnectAsync(server.Server.BaseAddress.Host, server.Server.BaseAddress.Port, Ct);
                var request = $"GET /api/tasks/poll/batch/{type}?count=2&timeout=5000&workerid={worker} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
                // The long poll is waiting once its poll is recorded (the first thing it does).
                while (!(await server.Server.Engine.GetPollDataAsync(type, Ct)).Any(p => p.WorkerId == worker))
                {
                    await Task.Delay(5, Ct);
                }
                if (reset) client.Client.LingerState = new LingerOption(true, 0);
                client.Client.Close();
            }
            var workflowId = await server.Server.Engine.StartWorkflowAsync(name, new Dictionary<string, object?>(), cancellationToken: Ct);

            using var answer = await server.Http.GetAsync($"tasks/poll/batch/{type}?count=1&timeout=0&workerid=next", Ct);
            var tasks = ConductorJson.Deserialize<List<ConductorTask>>(await answer.Content.ReadAsStringAsync(Ct))!;
            var state = Assert.Single((await server.Server.Engine.GetWorkflowAsync(workflowId, true, Ct)).Tasks);
            var polled = Assert.Single(tasks, t => t.WorkflowInstanceId == workflowId);
            Assert.Equal("next", state.WorkerId);
            Assert.Equal(ConductorTaskStatus.IN_PROGRESS, state.Status);
            Assert.Equal(1, polled.PollCount);
            Assert.Equal(1, state.PollCount);
        }
    }
}
