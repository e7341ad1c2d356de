using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;
using Drlrec.Training;

namespace Drlrec.Tests.Distributed;

/// <summary>
/// Data-parallel training without MPI: ranks are threads of this process (<see cref="ThreadedWorld"/>), each with its own
/// copy of the networks, so that N ranks can be compared with one process on the same global minibatches.
/// </summary>
public sealed class DataParallelTests
{
    private static readonly FeatureVocabulary Vocabulary = FeatureVocabulary.Fit(ToyData.Lists(96, seed: 6), new FeatureConfig());
    private static readonly EncodedLists Data = EncodedLists.Encode(ToyData.Lists(96, seed: 6), Vocabulary);
    private static readonly FieldLayout Layout = FieldLayout.Of(ToyData.Schema);
    private static readonly QNetworkConfig Small = new() { EmbeddingDim = 8, Dropout = 0 };

    [Fact]
    public void Shares_are_contiguous_in_rank_order_cover_the_whole_and_differ_by_at_most_one()
    {
        for (int size = 1; size <= 5; size++)
            for (int total = 0; total <= 23; total++)
            {
                var shares = Enumerable.Range(0, size).Select(rank => Shares.Of(total, rank, size)).ToList();
                Assert.Equal(0, shares[0].Start);
                for (int r = 1; r < size; r++) Assert.Equal(shares[r - 1].Start + shares[r - 1].Count, shares[r].Start);
                Assert.Equal(total, shares.Sum(s => s.Count));
                Assert.True(shares.Max(s => s.Count) - shares.Min(s => s.Count) <= 1, $"{total} over {size}");
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => Shares.Of(10, 2, 2));
    }

    [Fact]
    public void The_ranks_shares_of_a_global_batch_in_rank_order_are_the_batch()
    {
        int[] batch = [17, 3, 40, 8, 21, 5, 33];
        var shares = ThreadedWorld.Run(3, world => world.ShareOf(batch));
        Assert.Equal([[17, 3], [40, 8], [21, 5, 33]], shares);
        Assert.Equal(batch, DataParallel.Single.ShareOf(batch));
    }

    [Fact]
    public void The_one_process_world_is_rank_0_of_1_and_its_collectives_return_their_input()
    {
        var world = DataParallel.Single;
        Assert.Equal((0, 1, true), (world.Rank, world.Size, world.IsRoot));
        float[] values = [1.5f, -2f];
        world.AllReduceSum(values);
        Assert.Equal([1.5f, -2f], values);
        Assert.Equal([1.5f, -2f], world.AllGather(values));
        Assert.Same(world, DataParallel.Open(DistributedMode.None));
    }

    /// <summary>
    /// The weighting itself: each share's TD loss (a mean over its own items) times n_r / n has gradients that sum to
    /// the gradient of the whole batch's loss. The shares have different item counts per list, so weighting by lists
    /// (or not at all) would not give it.
    /// </summary>
    [Fact]
    public void Item_weighted_share_gradients_sum_to_the_full_batch_gradient()
    {
        manual_seed(3);
        using var net = new QNetwork(Small, Layout, Vocabulary.Rows);
        int[] batch = Enumerable.Range(0, 24).ToArray();
        int[][] shares = [batch[..7], batch[7..15], batch[15..]];
        double Items(int[] lists) => lists.Sum(i => Data.Lengths[i]);
        Assert.NotEqual(Items(shares[0]) / shares[0].Length, Items(shares[1]) / shares[1].Length); // the weights matter

        // Fixed targets per list: drawn for the whole batch and sliced, so that each share sees the batch's y.
        var full = FullBatchGradient(net, batch, out var targets);
        var summed = shares
            .Select(share => ShareGradient(net, share, targets.narrow(0, share[0], share.Length), Items(share) / Items(batch)))
            .Aggregate((a, b) => a.Zip(b, (x, z) => x + z).ToArray());
        foreach (var (g, s) in full.Zip(summed))
            Assert.True(allclose(g, s, rtol: 1e-5, atol: 1e-6), $"max difference {(g - s).abs().max().item<float>()}");
        // Unweighted shares (each its own mean) would not sum to it.
        var unweighted = shares.Select(share => ShareGradient(net, share, targets.narrow(0, share[0], share.Length), 1.0 / shares.Length))
            .Aggregate((a, b) => a.Zip(b, (x, z) => x + z).ToArray());
        Assert.Contains(full.Zip(unweighted), p => !allclose(p.First, p.Second, rtol: 1e-5, atol: 1e-6));
    }

    private static Tensor[] FullBatchGradient(QNetwork net, int[] batch, out Tensor targets)
    {
        var b = Data.Batch(batch);
        manual_seed(11);
        targets = rand(b.Size, b.Length);
        return ShareGradient(net, batch, targets, 1.0);
    }

    private static Tensor[] ShareGradient(QNetwork net, int[] lists, Tensor targets, double weight)
    {
        net.zero_grad();
        var b = Data.Batch(lists);
        var loss = DoubleDqn.TdLoss(net.Forward(b).Q, targets, b.Mask) * weight;
        loss.backward();
        return net.parameters().Select(p => (p.grad ?? zeros_like(p)).detach().clone()).ToArray();
    }

    /// <summary>Networks from one seed, one pair per rank (the same weights everywhere, as every rank starts).</summary>
    private static (QNetwork Online, QNetwork Target)[] Replicas(int count) => Enumerable.Range(0, count).Select(_ =>
    {
        manual_seed(1);
        return (new QNetwork(Small, Layout, Vocabulary.Rows), new QNetwork(Small, Layout, Vocabulary.Rows));
    }).ToArray();

    /// <summary>Global batches of 16 lists in a shuffled order, then short ones: three lists (a rank of three gets one), one
    /// list (the other ranks have nothing to train on and still take part in the step).</summary>
    private static readonly int[][] GlobalBatches = Enumerable.Range(0, 4)
        .Select(s => Enumerable.Range(0, 16).Select(i => (s * 37 + i * 5) % Data.Count).ToArray())
        .Append([90, 91, 12]).Append([7]).ToArray();

    /// <summary>Each global batch's loss, the gradient the first update applied (summed over ranks, clipped) and the
    /// weights after the last, trained by the ranks of <paramref name="world"/>.</summary>
    private static (float[] Losses, float[] FirstGradient, float[] Weights) Train((QNetwork Online, QNetwork Target) nets, DataParallel world)
    {
        using var learner = new DqnLearner(nets.Online, nets.Target, Layout, new DqnConfig { SyncEvery = 2 }, world: world);
        float[] firstGradient = [];
        var losses = GlobalBatches.Select((batch, s) =>
        {
            using var scope = NewDisposeScope();
            float loss = learner.Step(Data.Batch(world.ShareOf(batch)));
            if (s == 0) firstGradient = Flatten(nets.Online.parameters().Select(p => p.grad ?? zeros_like(p)));
            return loss;
        }).ToArray();
        return (losses, firstGradient, Flatten(nets.Online.parameters().Concat(nets.Target.parameters())));
    }

    private static float[] Flatten(IEnumerable<Tensor> tensors) => tensors.SelectMany(t => t.detach().flatten().data<float>().ToArray()).ToArray();

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Data_parallel_steps_end_where_one_process_ends(int ranks)
    {
        var replicas = Replicas(ranks + 1);
        try
        {
            var one = Train(replicas[0], DataParallel.Single);
            var parallel = ThreadedWorld.Run(ranks, world => Train(replicas[world.Rank + 1], world));
            foreach (var rank in parallel)
            {
                // The summed gradient is the one-process gradient of the global batch (float rounding apart).
                double gradientScale = one.FirstGradient.Max(Math.Abs);
                double gradientDifference = one.FirstGradient.Zip(rank.FirstGradient).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(gradientDifference <= 1e-5 * gradientScale, $"first gradient differs by up to {gradientDifference} (scale {gradientScale})");
                for (int s = 0; s < one.Losses.Length; s++)
                    Assert.True(Math.Abs(one.Losses[s] - rank.Losses[s]) <= 1e-5 * Math.Abs(one.Losses[s]), $"step {s + 1}: {one.Losses[s]} vs {rank.Losses[s]}");
                // Adam's step lr·m/(√v + ε) is about lr·sign(g) wherever |g| is near ε, so rounding-level gradient
                // differences there move a weight by up to lr (1e-3) per step; elsewhere the weights agree far closer.
                double weightDifference = one.Weights.Zip(rank.Weights).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(weightDifference < 1e-3, $"weights differ by up to {weightDifference}");
            }
            // Every rank holds the same weights (they applied the same summed gradient), bit for bit.
            Assert.All(parallel, rank => Assert.Equal(parallel[0].Weights, rank.Weights));
            // The runs did learn: the weights moved from the shared start.
            var start = Replicas(1)[0].Online.parameters().SelectMany(p => p.detach().flatten().data<float>().ToArray()).ToArray();
            Assert.NotEqual(start, one.Weights.Take(start.Length).ToArray());
        }
        finally
        {
            foreach (var (online, target) in replicas)
            {
                online.Dispose();
                target.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Validation_scored_in_shares_and_gathered_equals_one_process(int ranks)
    {
        manual_seed(2);
        using var net = new QNetwork(Small, Layout, Vocabulary.Rows);
        var one = QScorer.Evaluate(net, Data, batchSize: 16);
        var gathered = ThreadedWorld.Run(ranks, world => QScorer.Evaluate(net, Data, world, batchSize: 16));
        foreach (var metrics in gathered)
        {
            Assert.Equal(one.Items, metrics.Items);
            Assert.Equal(one.Lists, metrics.Lists);
            Assert.Equal(one.Auc, metrics.Auc, 6);
            Assert.Equal(one.Gauc, metrics.Gauc, 6);
            Assert.Equal(one.Ndcg10, metrics.Ndcg10, 6);
        }
    }
}

public sealed class MpiWorldTests
{
    [Fact]
    public void A_missing_mpich_library_is_an_error_that_says_what_to_install()
    {
        var error = Assert.Throws<MpiUnavailableException>(() => MpiWorld.LoadMpich("libmpich-absent.so.12"));
        Assert.Contains("libmpich-absent.so.12", error.Message);
        Assert.Contains("apt-get install mpich", error.Message);
        Assert.Contains("Open MPI does not work", error.Message);
        Assert.IsAssignableFrom<InvalidOperationException>(error); // the CLI reports it as bad input: a message and exit code 1
    }
}
