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

    private sealed class GatedScorer(IStepScorer inner, Gate gate) : IStepScorer
    {
        public string Backend => inner.Backend;
        public int FieldCount => inner.FieldCount;
        public int Heads => inner.Heads;
        public int HeadDim => inner.HeadDim;
        public int StateDim => inner.StateDim;

        public StepScores Score(StepInput input)
        {
            if (gate.Armed)
            {
                gate.Entered.TrySetResult();
                if (!gate.Open.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("the test never opened the gate");
            }
            return inner.Score(input);
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task Stopping_waits_for_an_in_flight_request_and_refuses_new_connections()
    {
        var gate = new Gate();
        var torch = ScorerBackends.Resolve(ScorerBackends.Torch);
        await using var service = RankingService.Create(TinyService.Options() with { Workers = 1 },
            (model, options) => new GatedScorer(torch(model, options), gate));
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
