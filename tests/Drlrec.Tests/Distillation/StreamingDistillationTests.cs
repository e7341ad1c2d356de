using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Testing;
using Drlrec.Tests.Data.Loading;
using Drlrec.Tests.Support;
using Drlrec.Workflows;
using Xunit.Abstractions;

namespace Drlrec.Tests.Distillation;

/// <summary>
/// Distillation on streamed batches: lists without indices into a training set (their keys travel with them), the frozen
/// teacher's signals computed per batch instead of cached. The same steps as the in-memory path's, on one process and on
/// ranks; and a whole streamed run against an in-memory one on the same lists.
/// </summary>
public sealed class StreamingDistillationTests(GeneratedPartsFixture parts, ITestOutputHelper output) : IClassFixture<GeneratedPartsFixture>
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(200, seed: 3), null, new DataConfig(), new FeatureConfig());
    private static readonly QNetworkConfig Small = new() { EmbeddingDim = 8, Dropout = 0 };

    private static readonly int[][] GlobalBatches = Drlrec.Tests.Distributed.DistillDataParallelTests.GlobalBatches;

    /// <summary>The lists at <paramref name="indices"/> as a streamed batch brings them: no indices, keys with the lists.</summary>
    private static TrainingBatch Streamed(int[] indices) =>
        new(() => Data.Train.Batch(indices), indices.Sum(i => Data.Train.Lengths[i]), indices: null, () => indices.Select(Data.Train.KeysOf).ToArray());

    /// <summary>A frozen teacher (its target perturbed so that TD errors, hence confidence, vary) and a student, from fixed seeds.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly QNetwork teacher, teacherTarget, student, studentTarget;
        private readonly HintLoss hint;
        private readonly DqnLearner learner;
        private readonly EncodedCatalog encoded;

        public Rig(DistillConfig config, bool cached, DataParallel world)
        {
            var (fields, rows) = (Data.Layout, Data.Vocabulary.Rows);
            manual_seed(5);
            teacher = new QNetwork(Small with { EmbeddingDim = 16 }, fields, rows);
            teacherTarget = new QNetwork(Small with { EmbeddingDim = 16 }, fields, rows);
            teacher.eval();
            teacherTarget.eval();
            using (no_grad())
                foreach (var p in teacherTarget.parameters()) p.add_(randn_like(p) * 0.5);
            manual_seed(6);
            student = new QNetwork(Small, fields, rows);
            studentTarget = new QNetwork(Small, fields, rows);
            hint = new HintLoss(Small.HintDim, Small.HintDim);
            learner = new DqnLearner(student, studentTarget, Data.Layout, new DqnConfig(), hint.parameters(), world);
            var catalog = Data.LoggedItems;
            encoded = EncodedCatalog.Encode(catalog, Data.Vocabulary, Data.Layout);
            var explore = new ExploreFilter(new CandidateRetriever(catalog, Data.ExplorerLists, 0.4, 0.3), encoded, Data.Layout, poolSize: 12, k: 3);
            var cache = cached ? TeacherSignals.Compute(teacher, teacherTarget, Data.Train, Data.Layout, new DqnConfig()) : null;
            Distill = new DistillLearner(learner, teacher, teacherTarget, null, cache, hint, explore, cached ? Data.Train : null,
                config with { StatesPerBatch = 4 }, seed: 1);
        }

        public DistillLearner Distill { get; }
        public float[] Weights => student.parameters().SelectMany(p => p.detach().flatten().data<float>().ToArray()).ToArray();

        public void Dispose()
        {
            learner.Dispose();
            hint.Dispose();
            encoded.Dispose();
            foreach (var net in new[] { teacher, teacherTarget, student, studentTarget }) net.Dispose();
        }
    }

    private static void Close(double expected, double actual, string what, double relative = 1e-5) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1e-3, Math.Abs(expected)), $"{what}: {expected} vs {actual}");

    private static void CloseAll(float[] expected, float[] actual, string what, double relative = 1e-5)
    {
        double scale = expected.Max(Math.Abs), difference = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(difference <= relative * scale, $"{what} differ by up to {difference} (scale {scale})");
    }

    /// <summary>The teacher's signals computed for a batch are the cached ones (up to float rounding: libtorch's kernels sum
    /// in another order for a batch of 16 lists than for the cache's chunks of 256), so the steps' losses agree to that
    /// rounding, carried through Adam.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Streamed_batches_with_the_teachers_signals_computed_per_batch_take_the_cached_steps(bool explore)
    {
        var config = new DistillConfig { ExploreFilter = explore };
        using var cached = new Rig(config, cached: true, DataParallel.Single);
        using var streamed = new Rig(config, cached: false, DataParallel.Single);

        for (int s = 0; s < GlobalBatches.Length; s++)
        {
            using var scope = NewDisposeScope();
            var indices = GlobalBatches[s];
            cached.Distill.Step(Data.Train.Batch(indices), indices);
            var batch = Streamed(indices);
            streamed.Distill.Step(batch.Tensors(), batch);
            var (a, b) = (cached.Distill.Last, streamed.Distill.Last);
            Close(a.Rl, b.Rl, $"step {s + 1} RL", 1e-4);
            Close(a.Kl, b.Kl, $"step {s + 1} KL", 1e-4);
            Close(a.Hint, b.Hint, $"step {s + 1} Hint", 1e-4);
            Assert.Equal((a.States, a.Lessons), (b.States, b.Lessons));
            Assert.True(a.Kl > 0 && a.Hint > 0, "the teacher's terms take part");
        }
        CloseAll(cached.Weights, streamed.Weights, "weights after the steps", 1e-3);
    }

    [Fact]
    public void The_teachers_view_of_a_batch_is_its_cached_signals()
    {
        manual_seed(5);
        using var teacher = new QNetwork(Small with { EmbeddingDim = 16 }, Data.Layout, Data.Vocabulary.Rows);
        using var target = new QNetwork(Small with { EmbeddingDim = 16 }, Data.Layout, Data.Vocabulary.Rows);
        teacher.eval();
        var cache = TeacherSignals.Compute(teacher, target, Data.Train, Data.Layout, new DqnConfig());
        using var scope = NewDisposeScope();
        foreach (var indices in GlobalBatches)
        {
            var cached = cache.Batch(indices);
            var computed = TeacherView.Compute(teacher, target, Data.Train.Batch(indices), Data.Layout, new DqnConfig());
            CloseAll(Values(cached.Q), Values(computed.Q), "Q", 1e-5);
            CloseAll(Values(cached.Hint), Values(computed.Hint), "hints", 1e-5);
            CloseAll(Values(cached.TdError), Values(computed.TdError), "TD errors", 1e-5);
        }
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Ranks_distil_their_shares_of_streamed_global_batches_as_one_process_does()
    {
        var config = new DistillConfig { ExploreFilter = false };
        float[] one;
        var parts = new List<DistillLossParts>();
        using (var rig = new Rig(config, cached: false, DataParallel.Single))
        {
            foreach (var indices in GlobalBatches)
            {
                using var scope = NewDisposeScope();
                var batch = Streamed(indices);
                rig.Distill.Step(batch.Tensors(), batch);
                parts.Add(rig.Distill.Last);
            }
            one = rig.Weights;
        }

        var gate = new object();
        var ranks = ThreadedWorld.Run(3, world =>
        {
            Rig Build()
            {
                lock (gate) return new Rig(config, cached: false, world); // libtorch's generator is process-wide: one rank seeds and builds at a time
            }
            using var rig = Build();
            var mine = GlobalBatches.Select(indices =>
            {
                using var scope = NewDisposeScope();
                var batch = Streamed(world.ShareOf(indices)); // [61] leaves two ranks without a list
                rig.Distill.Step(batch.Tensors(), batch);
                return rig.Distill.Last;
            }).ToArray();
            return (Parts: mine, rig.Weights);
        });

        foreach (var rank in ranks)
        {
            for (int s = 0; s < parts.Count; s++)
            {
                Close(parts[s].Rl, rank.Parts[s].Rl, $"step {s + 1} RL");
                Close(parts[s].Kl, rank.Parts[s].Kl, $"step {s + 1} KL");
                Close(parts[s].Hint, rank.Parts[s].Hint, $"step {s + 1} Hint");
            }
            // Each rank's teacher sees its share, not the batch: float rounding differs, and Adam carries it into the weights.
            CloseAll(one, rank.Weights, "weights", 1e-3);
        }
        Assert.All(ranks, rank => Assert.Equal(ranks[0].Weights, rank.Weights)); // one all-reduced gradient: identical everywhere
    }

    [Fact]
    public void Streamed_distillation_reaches_the_validation_auc_of_in_memory_distillation_on_the_same_lists()
    {
        using var folder = new TemporaryFolder();
        var config = new RunConfig
        {
            Seed = 5,
            Model = new QNetworkConfig { EmbeddingDim = 8 },
            Data = new DataConfig { Source = parts.Folder, MaxEvalLists = 0, ShuffleBuffer = 200, Streaming = StreamingMode.Off },
            Trainer = new TrainerConfig { Epochs = 2, BatchSize = 32, Patience = 5, Threads = 1, Tensorboard = false },
        };
        var teacherRun = TrainWorkflow.Run(config with { Role = ModelRole.Teacher, Model = null, Trainer = config.Trainer with { Epochs = 1 } },
            DataLoader.Prepare(config), folder["teacher"]);
        using var teacher = ModelCheckpoint.Load(teacherRun.Checkpoint);
        var student = config with { Role = ModelRole.Student, Distill = new DistillConfig { Pool = 100, K = 4 }, Teacher = teacher.Path };

        var inMemory = DistillWorkflow.Run(student, teacher, DistillWorkflow.PrepareData(student, teacher), folder["in-memory"]);
        var streamedConfig = student with { Data = student.Data with { Streaming = StreamingMode.On } };
        var streamedData = DistillWorkflow.PrepareData(streamedConfig, teacher);
        Assert.IsType<StreamingData>(streamedData);
        var streamed = DistillWorkflow.Run(streamedConfig, teacher, streamedData, folder["streamed"]);

        double difference = streamed.Student.Validation.Auc - inMemory.Student.Validation.Auc;
        output.WriteLine($"validation AUC in memory {inMemory.Student.Validation.Auc:F4}, streamed {streamed.Student.Validation.Auc:F4}, " +
                         $"difference {difference:+0.0000;-0.0000}; teacher {inMemory.TeacherTest.Auc:F4} (test)");
        Assert.InRange(Math.Abs(difference), 0, 0.02);
        Assert.Equal(inMemory.TeacherTest.Auc, streamed.TeacherTest.Auc, 4); // the same test lists, encoded alike
        Assert.Contains("\"streaming\": \"on\"", File.ReadAllText(Path.Combine(folder["streamed"], "config.json")));
        // The parts carry unshown candidates: auto explores them on both paths (the stream's preparation counts them).
        Assert.True(streamedData.HasUnshownCandidates);
        Assert.Contains("\"explore_from\": \"candidates\"", File.ReadAllText(Path.Combine(folder["in-memory"], "config.json")));
        Assert.Contains("\"explore_from\": \"candidates\"", File.ReadAllText(Path.Combine(folder["streamed"], "config.json")));
    }
}
