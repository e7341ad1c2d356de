using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Distillation;

public sealed class DistillLearnerTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(200, seed: 3), null, new DataConfig(), new());
    private static readonly QNetworkConfig Small = new() { EmbeddingDim = 8, Dropout = 0 };

    /// <summary>One distillation step on a fixed batch from fixed initial networks; returns the loss parts.</summary>
    private static DistillLossParts StepWith(DistillConfig config, bool perturbTeacherTarget = false)
    {
        using var scope = NewDisposeScope();
        int fields = Data.Layout.Count, rows = Data.Vocabulary.Rows;
        manual_seed(5);
        using var teacher = new QNetwork(Small with { EmbeddingDim = 16 }, fields, rows);
        using var teacherTarget = new QNetwork(Small with { EmbeddingDim = 16 }, fields, rows);
        teacher.eval();
        teacherTarget.eval();
        if (perturbTeacherTarget)
            using (no_grad())
                foreach (var p in teacherTarget.parameters()) p.add_(randn_like(p) * 0.5);
        manual_seed(6);
        using var student = new QNetwork(Small, fields, rows);
        using var studentTarget = new QNetwork(Small, fields, rows);
        using var hint = new HintLoss(Small.HintDim, Small.HintDim);
        using var learner = new DqnLearner(student, studentTarget, Data.Layout, new DqnConfig(), hint.parameters());
        var catalog = new LoggedItemCatalog(Data.TrainLists);
        using var encoded = EncodedCatalog.Encode(catalog, Data.Vocabulary, Data.Layout);
        var explore = new ExploreFilter(new CandidateRetriever(catalog, Data.TrainLists, 0.4, 0.3), encoded, Data.Layout, poolSize: 12, k: 3);
        var cache = TeacherSignals.Compute(teacher, teacherTarget, Data.Train, Data.Layout, new DqnConfig());
        var distill = new DistillLearner(learner, teacher, teacherTarget, null, cache, hint, explore, Data.Train,
            Data.Train.ItemKeys.Select(catalog.IndexOf).ToArray(), config with { StatesPerBatch = 4 }, seed: 1);
        var indices = Enumerable.Range(0, 16).ToArray();
        distill.Step(Data.Train.Batch(indices), indices);
        return distill.Last;
    }

    private static void AssertTotal(DistillLossParts parts, double rl, double kl, double hint) =>
        Assert.Equal(rl * parts.Rl + kl * parts.Kl + hint * parts.Hint, parts.Total, 5);

    [Fact]
    public void Drl_rec_combines_rl_kl_and_hint_with_the_reference_weights_and_teaches_explored_lessons()
    {
        var parts = StepWith(new DistillConfig());
        Assert.True(parts.Rl > 0 && parts.Kl > 0 && parts.Hint > 0, parts.ToString());
        Assert.Equal(4, parts.States);
        Assert.InRange(parts.Lessons, 4 * 3, 4 * 6); // teacher's 3 plus the student's new ones, per state
        AssertTotal(parts, 0.4, 0.3, 0.3);
    }

    [Fact]
    public void No_kl_contributes_no_kl_term()
    {
        var all = StepWith(new DistillConfig());
        var parts = StepWith(new DistillConfig { Kl = false });
        Assert.Equal(0, parts.Kl);
        Assert.Equal(all.Rl, parts.Rl, 6);
        Assert.Equal(all.Hint, parts.Hint, 6);
        AssertTotal(parts, 0.4, 0, 0.3);
    }

    [Fact]
    public void No_hint_contributes_no_hint_term()
    {
        var all = StepWith(new DistillConfig());
        var parts = StepWith(new DistillConfig { Hint = false });
        Assert.Equal(0, parts.Hint);
        Assert.Equal(all.Kl, parts.Kl, 6);
        AssertTotal(parts, 0.4, 0.3, 0);
    }

    [Fact]
    public void No_explore_filter_teaches_no_explored_lesson()
    {
        var all = StepWith(new DistillConfig());
        var parts = StepWith(new DistillConfig { ExploreFilter = false });
        Assert.Equal(0, parts.States);
        Assert.Equal(0, parts.Lessons);
        Assert.True(parts.Kl < all.Kl && parts.Hint < all.Hint, $"{parts} vs {all}");
        AssertTotal(parts, 0.4, 0.3, 0.3);
    }

    [Fact]
    public void No_confidence_makes_the_teachers_td_errors_irrelevant()
    {
        // Perturbing the teacher's target network changes only its TD errors, i.e. only the confidence.
        var weighted = StepWith(new DistillConfig());
        var weightedPerturbed = StepWith(new DistillConfig(), perturbTeacherTarget: true);
        Assert.NotEqual(weighted.Kl, weightedPerturbed.Kl);
        var plain = StepWith(new DistillConfig { Confidence = false });
        var plainPerturbed = StepWith(new DistillConfig { Confidence = false }, perturbTeacherTarget: true);
        Assert.Equal(plain.Kl, plainPerturbed.Kl, 6);
        Assert.Equal(plain.Hint, plainPerturbed.Hint, 6);
    }

    [Fact]
    public void Method_presets_turn_the_right_parts_off()
    {
        var none = StepWith(new DistillConfig { Method = DistillMethod.None });
        Assert.Equal((0, 0, 0), (none.Kl, none.Hint, none.Lessons));
        AssertTotal(none, 0.4, 0, 0);
        var kd = StepWith(new DistillConfig { Method = DistillMethod.Kd });
        Assert.True(kd.Kl > 0);
        Assert.Equal((0, 0), (kd.Hint, kd.Lessons));
        var hint = StepWith(new DistillConfig { Method = DistillMethod.Hint });
        Assert.True(hint.Hint > 0);
        Assert.Equal((0, 0), (hint.Kl, hint.Lessons));
    }

    [Fact]
    public void Retriever_pools_are_distinct_avoid_the_prefix_and_do_not_scan_large_catalogs()
    {
        var catalog = new LoggedItemCatalog(Data.TrainLists);
        var retriever = new CandidateRetriever(catalog, Data.TrainLists, 0.4, 0.3);
        var prefix = new[] { 0, 1, 2 };
        var pool = retriever.Pool(Data.TrainLists.Lists[0].UserKey, prefix, new Random(1), 10);
        Assert.Equal(10, pool.Length);
        Assert.Equal(pool.Length, pool.Distinct().Count());
        Assert.DoesNotContain(pool, prefix.Contains);
        // a pool larger than the catalog allows: everything but the prefix
        var all = retriever.Pool("nobody", prefix, new Random(1), 10_000);
        Assert.Equal(catalog.Count - prefix.Length, all.Length);
    }

    [Fact]
    public void A_small_distillation_run_trains_a_student_from_a_teacher_end_to_end()
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-distill-").FullName;
        try
        {
            var config = new RunConfig
            {
                Seed = 2,
                Model = Small,
                Dqn = new DqnConfig { LearningRate = 3e-3 },
                Trainer = new TrainerConfig { Epochs = 2, BatchSize = 32 },
            };
            var teacherResult = TrainWorkflow.Run(config with { Model = Small with { EmbeddingDim = 16 } }, Data, Path.Combine(dir, "t"));
            using var teacher = ModelCheckpoint.Load(teacherResult.Checkpoint);
            var result = Distiller.Run(config with { Distill = new DistillConfig { Pool = 30, K = 4, StatesPerBatch = 4 } }, Data, teacher,
                new LoggedItemCatalog(Data.TrainLists), Path.Combine(dir, "s"), null, "student-drl-rec");
            Assert.True(File.Exists(result.Checkpoint));
            Assert.InRange(result.Test.Auc, 0.3, 1.0);
            Assert.True(result.Parameters < teacher.Online.ParameterCount);
            using var student = ModelCheckpoint.Load(result.Checkpoint);
            Assert.Equal(ModelRole.Student, student.Header.Role);
            Assert.Equal("student-drl-rec", student.Name);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
