using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Learning;

public sealed class DqnLearnerTests
{
    private static PreparedData Data() => PreparedData.Prepare(ToyData.Lists(240, seed: 4), null, new DataConfig(), new());

    [Fact]
    public void Training_steps_leave_no_live_tensors_behind()
    {
        var data = Data();
        manual_seed(1);
        using var online = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, data.Layout.Count, data.Vocabulary.Rows);
        using var target = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, data.Layout.Count, data.Vocabulary.Rows);
        using var learner = new DqnLearner(online, target, data.Layout, new DqnConfig());
        void Step(int s)
        {
            using var scope = NewDisposeScope();
            learner.Step(data.Train.Batch(Enumerable.Range(s * 8, 8).ToArray()));
        }
        Step(0); // the optimizer allocates its moment buffers on the first step
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int s = 1; s < 6; s++) Step(s);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
