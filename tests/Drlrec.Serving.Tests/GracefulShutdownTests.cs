using System.Net;
using System.Net.Sockets;
using System.Text;
using Drlrec.Ranking;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

[Collection(ServiceCollection.Name)]
public sealed class GracefulShutdownTests
{
    /// <summary>Holds every Score call at a gate once armed, so a test can keep a request in flight.</summary>
    private sealed class Gate
    {
        public volatile bool Armed;
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly ManualResetEventSlim Open = new();
    }

    /// <summary>Before each Score call: once armed, say so and wait for the test to open the gate.</summary>
    private static Action Hold(Gate gate) => () =>
    {
        if (!gate.Armed) return;
        gate.Entered.TrySetResult();
        if (!gate.Open.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("the test never opened the gate");
    };

    [Fact]
    public async Task Stopping_waits_for_an_in_flight_request_and_refuses_new_connections()
    {
        var gate = new Gate();
        var torch = ScorerBackends.Resolve(ScorerBackends.Torch);
        await using var service = RankingService.Create(TinyService.Options() with { Workers = 1 },
            (model, options) => new HookedScorer(torch(model, options), Hold(gate)));
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        gate.Armed = true;

        var pending = client.PostAsync("/v1/rank", new StringContent(Requests.Valid().ToJsonString(), Encoding.UTF8, "application/json"));
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var stopping = service.StopAsync();

        await RefusesConnections(service.BaseAddress);
        Assert.False(stopping.IsCompleted);
        Assert.False(pending.IsCompleted);
        gate.Open.Set();
        using var response = await pending.WaitAsync(TimeSpan.FromSeconds(20));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, (await TinyService.Json(response)).GetProperty("slate").GetArrayLength());
    }

    /// <summary>Waits (up to 10 s) until the listening socket is closed.</summary>
    private static async Task RefusesConnections(Uri address)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(address.Host, address.Port);
            }
            catch (SocketException)
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("the service still accepts connections while stopping");
    }
}
