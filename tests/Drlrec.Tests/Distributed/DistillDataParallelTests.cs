using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;
using Drlrec.Training;

namespace Drlrec.Tests.Distributed;

/// <summary>Distillation steps by ranks (threads, <see cref="ThreadedWorld"/>) against one process on the same global batches.</summary>
public sealed class DistillDataParallelTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(200, seed: 3), null, new DataConfig(), new FeatureConfig { ItemStatistics = false });
    private static readonly QNetworkConfig Small = new() { EmbeddingDim = 8, Dropout = 0 };

    /// <summary>Global batches of the toy training lists: two full, a short one, and one list (two of three ranks get none).</summary>
    internal static readonly int[][] GlobalBatches =
    [
        Enumerable.Range(0, 16).ToArray(),
        Enumerable.Range(0, 16).Select(i => 40 + 3 * i).ToArray(),
        [120, 7, 99],
        [61],
    ];

    private sealed record RankRun(DistillLossParts[] Parts, float[] FirstGradient, float[] Weights);

    /// <summary>The frozen teacher and its cached signals, shared (read only) by every rank.</summary>
    private sealed class Teacher : IDisposable
    {
        public Teacher()
        {
            manual_seed(5);
            Online = new QNetwork(Small with { EmbeddingDim = 16 }, Data.Layout.Count, Data.Vocabulary.Rows);
            Target = new QNetwork(Small with { EmbeddingDim = 16 }, Data.Layout.Count, Data.Vocabulary.Rows);
            Online.eval();
            Target.eval();
            using (no_grad())
                foreach (var p in Target.parameters()) p.add_(randn_like(p) * 0.5); // TD errors that vary, so confidence does
            Cache = TeacherSignals.Compute(Online, Target, Data.Train, Data.Layout, new DqnConfig());
            Catalog = new Drlrec.Data.LoggedItemCatalog(Data.TrainLists);
            Encoded = EncodedCatalog.Encode(Catalog, Data.Vocabulary, Data.Layout);
        }

        public QNetwork Online { get; }
        public QNetwork Target { get; }
        public TeacherSignals Cache { get; }
        public Drlrec.Data.LoggedItemCatalog Catalog { get; }
        public EncodedCatalog Encoded { get; }

        public void Dispose()
        {
            Online.Dispose();
            Target.Dispose();
            Encoded.Dispose();
        }
    }

    /// <summary>Student replicas from one seed (as every rank starts).</summary>
    private static (QNetwork Online, QNetwork Target, HintLoss Hint)[] Students(int count) => Enumerable.Range(0, count).Select(_ =>
    {
        manual_seed(6);
        return (new QNetwork(Small, Data.Layout.Count, Data.Vocabulary.Rows), new QNetwork(Small, Data.Layout.Count, Data.Vocabulary.Rows),
            new HintLoss(Small.HintDim, Small.HintDim));
    }).ToArray();

    private static RankRun Train(Teacher teacher, (QNetwork Online, QNetwork Target, HintLoss Hint) student, DistillConfig config, DataParallel world)
    {
        using var learner = new DqnLearner(student.Online, student.Target, Data.Layout, new DqnConfig(), student.Hint.parameters(), world);
        var explore = new ExploreFilter(new CandidateRetriever(teacher.Catalog, Data.TrainLists, 0.4, 0.3), teacher.Encoded, Data.Layout, poolSize: 12, k: 3);
        var distill = new DistillLearner(learner, teacher.Online, teacher.Target, null, teacher.Cache, student.Hint, explore, Data.Train,
            config with { StatesPerBatch = 4 }, seed: 1);
        float[] first = [];
        var parts = GlobalBatches.Select((batch, s) =>
        {
            using var scope = NewDisposeScope();
            var indices = world.ShareOf(batch);
            distill.Step(Data.Train.Batch(indices), indices);
            if (s == 0) first = Flatten(student.Online.parameters().Select(p => p.grad ?? zeros_like(p)));
            return distill.Last;
        }).ToArray();
        return new RankRun(parts, first, Flatten(student.Online.parameters()));
    }

    private static float[] Flatten(IEnumerable<Tensor> tensors) => tensors.SelectMany(t => t.detach().flatten().data<float>().ToArray()).ToArray();

    private static (RankRun One, RankRun[] Ranks) RunBoth(DistillConfig config, int ranks)
    {
        using var teacher = new Teacher();
        var students = Students(ranks + 1);
        try
        {
            var one = Train(teacher, students[0], config, DataParallel.Single);
            var parallel = ThreadedWorld.Run(ranks, world => Train(teacher, students[world.Rank + 1], config, world));
            return (one, parallel);
        }
        finally
        {
            foreach (var (online, target, hint) in students)
            {
                online.Dispose();
                target.Dispose();
                hint.Dispose();
            }
        }
    }

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1e-3, Math.Abs(expected)), $"{what}: {expected} vs {actual}");

    [Theory]
    [InlineData(ConfidenceMode.TdError, 2)]
    [InlineData(ConfidenceMode.Gaussian, 3)]
    public void Without_exploration_the_ranks_distil_what_one_process_distils(ConfidenceMode mode, int ranks)
    {
        var (one, parallel) = RunBoth(new DistillConfig { ExploreFilter = false, ConfidenceMode = mode }, ranks);
        Assert.True(one.Parts[0].Kl > 0 && one.Parts[0].Hint > 0, "the KL and Hint terms take part");
        foreach (var rank in parallel)
        {
            for (int s = 0; s < one.Parts.Length; s++)
            {
                Close(one.Parts[s].Rl, rank.Parts[s].Rl, $"step {s + 1} RL");
                Close(one.Parts[s].Kl, rank.Parts[s].Kl, $"step {s + 1} KL");
                Close(one.Parts[s].Hint, rank.Parts[s].Hint, $"step {s + 1} Hint");
                Close(one.Parts[s].Total, rank.Parts[s].Total, $"step {s + 1} total");
            }
            double scale = one.FirstGradient.Max(Math.Abs);
            double difference = one.FirstGradient.Zip(rank.FirstGradient).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(difference <= 1e-5 * scale, $"first gradient differs by up to {difference} (scale {scale})");
        }
        Assert.All(parallel, rank => Assert.Equal(parallel[0].Weights, rank.Weights));
    }

    [Fact]
    public void With_exploration_each_of_the_global_batchs_first_lists_is_explored_once_and_the_ranks_stay_equal()
    {
        var (one, parallel) = RunBoth(new DistillConfig(), ranks: 3);
        for (int s = 0; s < GlobalBatches.Length; s++)
        {
            int expected = Math.Min(4, GlobalBatches[s].Length);
            Assert.Equal(expected, one.Parts[s].States);
            Assert.Equal(expected, parallel.Sum(rank => rank.Parts[s].States));
            Assert.All(parallel, rank => Assert.True(double.IsFinite(rank.Parts[s].Total) && rank.Parts[s].Kl > 0));
            // The reported terms are global: every rank reports the same.
            Assert.All(parallel, rank => Assert.Equal(parallel[0].Parts[s].Total, rank.Parts[s].Total));
        }
        Assert.All(parallel, rank => Assert.Equal(parallel[0].Weights, rank.Weights));
    }
}
