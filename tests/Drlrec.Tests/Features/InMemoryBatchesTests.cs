using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Features;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Features;

public sealed class InMemoryBatchesTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(160, seed: 4), null, new DataConfig(), new FeatureConfig { ItemStatistics = false });

    [Fact]
    public void An_epoch_is_the_seeded_permutation_cut_into_consecutive_batches()
    {
        var order = Enumerable.Range(0, Data.Train.Count).ToArray();
        new Random(9).Shuffle(order);

        var batches = new InMemoryBatches(Data.Train, batchSize: 50).Epoch(1, shuffleSeed: 9).ToList();

        Assert.Equal(order.Chunk(50).Select(c => c.ToArray()), batches.Select(b => b.Indices!));
        Assert.Equal(batches.Select(b => b.Indices!.Sum(i => Data.Train.Lengths[i])), batches.Select(b => b.Items));
    }

    [Fact]
    public void Max_steps_per_epoch_ends_an_epoch_early()
    {
        var batches = new InMemoryBatches(Data.Train, batchSize: 10, maxStepsPerEpoch: 3);

        Assert.Equal(3, batches.StepsPerEpoch);
        Assert.Equal(3, batches.Epoch(1, 2).Count());
        Assert.Equal((Data.Train.Count + 9) / 10, new InMemoryBatches(Data.Train, 10, maxStepsPerEpoch: 10_000).StepsPerEpoch);
    }
}
