using Drlrec.Testing;
using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Simulation;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Distillation;

public sealed class DistillLearnerTests
{
    private static readonly PreparedData Data = PreparedData.Prepare(ToyData.Lists(200, seed: 3), null, new DataConfig(), new FeatureConfig { ItemStatistics = false });
    private static readonly QNetworkConfig Small = new() { EmbeddingDim = 8, Dropout = 0 };

    /// <summary>One distillation step on a fixed batch from fixed initial networks; returns the loss parts.</summary>
    private static DistillLossParts StepWith(DistillConfig config, bool perturbTeacherTarget = false) =>
        StepWith(config, Small, perturbTeacherTarget, null).Parts;

    /// <param name="student">The student's sizes.</param>
    /// <param name="before">Called with the learner and the batch before the step (e.g. to measure its terms' gradients).</param>
    private static (DistillLossParts Parts, DistillTermScales? Scales) StepWith(DistillConfig config, QNetworkConfig studentConfig,
        bool perturbTeacherTarget, Action<DistillLearner, ListBatch, int[]>? before)
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
        using var student = new QNetwork(studentConfig, fields, rows);
        using var studentTarget = new QNetwork(studentConfig, fields, rows);
        using var hint = new HintLoss(studentConfig.HintDim, Small.HintDim);
        using var learner = new DqnLearner(student, studentTarget, Data.Layout, new DqnConfig(), hint.parameters());
        var catalog = new LoggedItemCatalog(Data.TrainLists);
        using var encoded = EncodedCatalog.Encode(catalog, Data.Vocabulary, Data.Layout);
        var explore = new ExploreFilter(new CandidateRetriever(catalog, Data.TrainLists, 0.4, 0.3), encoded, Data.Layout, poolSize: 12, k: 3);
        var cache = TeacherSignals.Compute(teacher, teacherTarget, Data.Train, Data.Layout, new DqnConfig());
        var distill = new DistillLearner(learner, teacher, teacherTarget, null, cache, hint, explore, Data.Train,
            config with { StatesPerBatch = 4 }, seed: 1);
        var indices = Enumerable.Range(0, 16).ToArray();
        var batch = Data.Train.Batch(indices);
        before?.Invoke(distill, batch, indices);
        distill.Step(batch, indices);
        return (distill.Last, distill.Scales);
    }

    /// <summary>The reference's weighting (the weights on the raw losses), whose totals the tests below check term by term.</summary>
    private static readonly DistillConfig Reference = new() { Balance = TermBalance.None };

    /// <summary>
    /// The gradient balance (issue 31): measured on the first step (balance_steps 1), each distillation term is scaled so
    /// that its gradient's norm stands to the TD loss's as its weight to the RL weight, 0.3 : 0.4, for a student of any
    /// size; with the reference's weighting the Hint term's share depends on the size (it is what collapsed d = 2 students).
    /// </summary>
    [Fact]
    public void The_gradient_balance_makes_the_weights_the_terms_shares_of_the_students_gradient_at_any_size()
    {
        var shares = new List<(double Kl, double Hint)>();
        var rawHint = new List<double>();
        foreach (var size in new[] { Small, Small with { EmbeddingDim = 2, HintDim = 4 } })
        {
            (double Rl, double Kl, double Hint) norms = default;
            var (parts, scales) = StepWith(new DistillConfig { Balance = TermBalance.Gradient, BalanceSteps = 1 }, size, false,
                (learner, batch, indices) => norms = learner.GradientNorms(batch, TrainingBatch.Of(Data.Train, indices)));
            Assert.NotNull(scales);
            Assert.False(scales.Measuring);
            Assert.True(norms.Rl > 0 && norms.Kl > 0 && norms.Hint > 0, norms.ToString());
            Assert.Equal(norms.Rl / norms.Kl, scales.Kl, 4);
            Assert.Equal(norms.Rl / norms.Hint, scales.Hint, 4);
            // The weighted terms' gradient norms, relative to the TD loss's.
            shares.Add((0.3 * scales.Kl * norms.Kl / (0.4 * norms.Rl), 0.3 * scales.Hint * norms.Hint / (0.4 * norms.Rl)));
            rawHint.Add(0.3 * norms.Hint / (0.4 * norms.Rl));
            AssertTotal(parts, 0.4, 0.3 * scales.Kl, 0.3 * scales.Hint);
        }
        Assert.All(shares, s => { Assert.Equal(0.75, s.Kl, 4); Assert.Equal(0.75, s.Hint, 4); });
        Assert.True(Math.Abs(rawHint[0] - rawHint[1]) > 0.05, $"the raw Hint shares differ by size ({rawHint[0]:F3}, {rawHint[1]:F3})");
    }

    [Fact]
    public void Scales_are_means_over_the_measured_steps_then_fixed_and_one_for_a_term_without_gradient()
    {
        var scales = new DistillTermScales(steps: 2);
        scales.Observe(rl: 2, kl: 1, hint: 0);
        Assert.Equal((2.0, 1.0), (scales.Kl, scales.Hint));                                        // the means so far; no Hint gradient: 1
        scales.Observe(rl: 4, kl: 5, hint: 0);
        Assert.Equal(6.0 / 6.0, scales.Kl);
        Assert.False(scales.Measuring);
        Assert.Throws<InvalidOperationException>(() => scales.Observe(1, 1, 1));
    }

    private static void AssertTotal(DistillLossParts parts, double rl, double kl, double hint) =>
        Assert.Equal(rl * parts.Rl + kl * parts.Kl + hint * parts.Hint, parts.Total, 5);

    [Fact]
    public void Drl_rec_combines_rl_kl_and_hint_with_the_reference_weights_and_teaches_explored_lessons()
    {
        var parts = StepWith(Reference);
        Assert.True(parts.Rl > 0 && parts.Kl > 0 && parts.Hint > 0, parts.ToString());
        Assert.Equal(4, parts.States);
        Assert.InRange(parts.Lessons, 4 * 3, 4 * 6); // teacher's 3 plus the student's new ones, per state
        AssertTotal(parts, 0.4, 0.3, 0.3);
    }

    [Fact]
    public void No_kl_contributes_no_kl_term()
    {
        var all = StepWith(Reference);
        var parts = StepWith(Reference with { Kl = false });
        Assert.Equal(0, parts.Kl);
        Assert.Equal(all.Rl, parts.Rl, 6);
        Assert.Equal(all.Hint, parts.Hint, 6);
        AssertTotal(parts, 0.4, 0, 0.3);
    }

    [Fact]
    public void No_hint_contributes_no_hint_term()
    {
        var all = StepWith(Reference);
        var parts = StepWith(Reference with { Hint = false });
        Assert.Equal(0, parts.Hint);
        Assert.Equal(all.Kl, parts.Kl, 6);
        AssertTotal(parts, 0.4, 0.3, 0);
    }

    /// <summary>distill.hint_decay_steps 4: w_Hint(t) = 0.3 · max(0, 1 − t/4) at steps t = 0..5, in the loss the step takes.</summary>
    [Fact]
    public void The_hint_weight_falls_linearly_to_zero_over_the_decay_steps()
    {
        using var scope = NewDisposeScope();
        using var rig = new Rig();
        var distill = rig.Distill(Reference with { HintDecaySteps = 4, StatesPerBatch = 4 }, seed: 1);
        var indices = Enumerable.Range(0, 16).ToArray();
        var batch = Data.Train.Batch(indices);
        var expected = new[] { 0.3, 0.225, 0.15, 0.075, 0, 0 };
        foreach (var w in expected)
        {
            Assert.Equal(w, distill.HintWeightNow, 10);
            distill.Step(batch, indices);
            Assert.True(distill.Last.Hint > 0, "the Hint term is still measured after its weight reached 0");
            AssertTotal(distill.Last, 0.4, 0.3, w);
        }
        Assert.Throws<ArgumentException>(() => (Reference with { HintDecaySteps = -1 }).Validate());
    }

    /// <summary>distill.hint_projection: a learned W between hints of equal size (FitNets' regressor), trained with the
    /// student; without it, equal sizes mean the identity.</summary>
    [Fact]
    public void Hint_projection_learns_a_map_even_between_hints_of_equal_size()
    {
        using var identity = new HintLoss(32, 32);
        using var projected = new HintLoss(32, 32, alwaysProject: true);
        Assert.False(identity.HasProjection);
        Assert.Empty(identity.parameters());
        Assert.True(projected.HasProjection);
        Assert.Equal(32 * 32, projected.parameters().Sum(p => p.numel()));
        using var scope = NewDisposeScope();
        manual_seed(1);
        var student = randn(6, 32);
        var teacher = student * 2;
        Assert.Equal(student.square().sum().item<float>() / 6 / 32, identity.Compute(student, teacher, null).item<float>(), 4);
        Assert.NotEqual(identity.Compute(student, teacher, null).item<float>(), projected.Compute(student, teacher, null).item<float>(), 3);
    }

    [Fact]
    public void No_explore_filter_teaches_no_explored_lesson()
    {
        var all = StepWith(Reference);
        var parts = StepWith(Reference with { ExploreFilter = false });
        Assert.Equal(0, parts.States);
        Assert.Equal(0, parts.Lessons);
        Assert.True(parts.Kl < all.Kl && parts.Hint < all.Hint, $"{parts} vs {all}");
        AssertTotal(parts, 0.4, 0.3, 0.3);
    }

    [Fact]
    public void No_confidence_makes_the_teachers_td_errors_irrelevant()
    {
        // Perturbing the teacher's target network changes only its TD errors, i.e. only the confidence.
        var weighted = StepWith(Reference);
        var weightedPerturbed = StepWith(new DistillConfig(), perturbTeacherTarget: true);
        Assert.NotEqual(weighted.Kl, weightedPerturbed.Kl);
        var plain = StepWith(Reference with { Confidence = false });
        var plainPerturbed = StepWith(Reference with { Confidence = false }, perturbTeacherTarget: true);
        Assert.Equal(plain.Kl, plainPerturbed.Kl, 6);
        Assert.Equal(plain.Hint, plainPerturbed.Hint, 6);
    }

    [Fact]
    public void Method_presets_turn_the_right_parts_off()
    {
        var none = StepWith(Reference with { Method = DistillMethod.None });
        Assert.Equal((0, 0, 0), (none.Kl, none.Hint, none.Lessons));
        AssertTotal(none, 0.4, 0, 0);
        var kd = StepWith(Reference with { Method = DistillMethod.Kd });
        Assert.True(kd.Kl > 0);
        Assert.Equal((0, 0), (kd.Hint, kd.Lessons));
        var hint = StepWith(Reference with { Method = DistillMethod.Hint });
        Assert.True(hint.Hint > 0);
        Assert.Equal((0, 0), (hint.Kl, hint.Lessons));
    }

    /// <summary>Networks, cached teacher signals and explorer of a confidence test (Dropout 0: the step's train-mode
    /// forward equals an eval-mode forward taken before it).</summary>
    private sealed class Rig : IDisposable
    {
        public Rig()
        {
            int fields = Data.Layout.Count, rows = Data.Vocabulary.Rows;
            manual_seed(5);
            Teacher = new QNetwork(Small with { EmbeddingDim = 16 }, fields, rows);
            TeacherTarget = new QNetwork(Small with { EmbeddingDim = 16 }, fields, rows);
            Teacher.eval();
            TeacherTarget.eval();
            manual_seed(6);
            Student = new QNetwork(Small, fields, rows);
            StudentTarget = new QNetwork(Small, fields, rows);
            Hint = new HintLoss(Small.HintDim, Small.HintDim); // equal sizes: no projection, W = identity
            Learner = new DqnLearner(Student, StudentTarget, Data.Layout, new DqnConfig(), Hint.parameters());
            Cache = TeacherSignals.Compute(Teacher, TeacherTarget, Data.Train, Data.Layout, new DqnConfig());
            Catalog = new LoggedItemCatalog(Data.TrainLists);
            Encoded = EncodedCatalog.Encode(Catalog, Data.Vocabulary, Data.Layout);
            Explore = new ExploreFilter(new CandidateRetriever(Catalog, Data.TrainLists, 0.4, 0.3), Encoded, Data.Layout, poolSize: 12, k: 3);
        }

        public QNetwork Teacher { get; }
        public QNetwork TeacherTarget { get; }
        public QNetwork Student { get; }
        public QNetwork StudentTarget { get; }
        public HintLoss Hint { get; }
        public DqnLearner Learner { get; }
        public TeacherSignals Cache { get; }
        public LoggedItemCatalog Catalog { get; }
        public EncodedCatalog Encoded { get; }
        public ExploreFilter Explore { get; }

        public DistillLearner Distill(DistillConfig config, int seed) =>
            new(Learner, Teacher, TeacherTarget, null, Cache, Hint, Explore, Data.Train, config, seed);

        public void Dispose()
        {
            Learner.Dispose();
            Hint.Dispose();
            Encoded.Dispose();
            foreach (var net in new[] { Teacher, TeacherTarget, Student, StudentTarget }) net.Dispose();
        }
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    /// <summary>T²·KL(softmax(q_T/T) ‖ softmax(q_S/T)) over the entries of one set.</summary>
    private static double Kl(IReadOnlyList<double> teacherQ, IReadOnlyList<double> studentQ, double temperature)
    {
        double LogSumExp(IReadOnlyList<double> q)
        {
            double m = q.Max(v => v / temperature);
            return m + Math.Log(q.Sum(v => Math.Exp(v / temperature - m)));
        }
        double zt = LogSumExp(teacherQ), zs = LogSumExp(studentQ), kl = 0;
        for (int i = 0; i < teacherQ.Count; i++)
        {
            double logPt = teacherQ[i] / temperature - zt, logPs = studentQ[i] / temperature - zs;
            kl += Math.Exp(logPt) * (logPt - logPs);
        }
        return temperature * temperature * kl;
    }

    /// <summary>‖g_S − g_T‖² / H of one item (identity projection).</summary>
    private static double HintError(float[] student, float[] teacher, int offset, int h)
    {
        double sum = 0;
        for (int k = 0; k < h; k++) sum += Math.Pow(student[offset + k] - teacher[offset + k], 2);
        return sum / h;
    }

    /// <summary>The logged-list part of a step by hand, for several weightings of the same per-list and per-item terms.</summary>
    private sealed record LoggedTerms(double[] ItemConfidence, double[] ListConfidence, double[] KlPerList, double[] HintPerItem, bool[] Real, int Length)
    {
        public double Kl(Func<int, double> weight) => Enumerable.Range(0, KlPerList.Length).Average(b => weight(b) * KlPerList[b]);

        public double Hint(Func<int, double> weight) =>
            Enumerable.Range(0, Real.Length).Where(i => Real[i]).Average(i => weight(i) * HintPerItem[i]);
    }

    /// <summary>
    /// The logged lists' terms from the teacher's cached signals and the student's forward pass (taken before the step
    /// updates it): td_error confidences c = 1 − δ²/(max over the batch's real positions of δ² + 1e-6), per-list means,
    /// each list's KL over its real positions and each real item's hint error.
    /// </summary>
    private static LoggedTerms Logged(Rig rig, ListBatch batch, int[] indices, double temperature)
    {
        using var noGrad = no_grad();
        var teacher = rig.Cache.Batch(indices);
        rig.Student.eval();
        var student = rig.Student.Forward(batch);
        int b = indices.Length, l = (int)batch.Length, h = Small.HintDim;
        float[] tq = Values(teacher.Q), sq = Values(student.Q), th = Values(teacher.Hint), sh = Values(student.Hint), delta = Values(teacher.TdError);
        var real = batch.Mask.contiguous().data<bool>().ToArray();
        double max = Enumerable.Range(0, b * l).Where(i => real[i]).Max(i => (double)delta[i] * delta[i]);
        var item = Enumerable.Range(0, b * l).Select(i => real[i] ? 1 - (double)delta[i] * delta[i] / (max + 1e-6) : 0).ToArray();
        var list = Enumerable.Range(0, b).Select(r => Enumerable.Range(r * l, l).Where(i => real[i]).Average(i => item[i])).ToArray();
        var kl = Enumerable.Range(0, b).Select(r =>
        {
            var positions = Enumerable.Range(r * l, l).Where(i => real[i]).ToArray();
            return Kl(positions.Select(i => (double)tq[i]).ToArray(), positions.Select(i => (double)sq[i]).ToArray(), temperature);
        }).ToArray();
        var hint = Enumerable.Range(0, b * l).Select(i => real[i] ? HintError(sh, th, i * h, h) : 0).ToArray();
        return new LoggedTerms(item, list, kl, hint, real, l);
    }

    /// <summary>A batch of ten lists of different lengths: one of each short length, interleaved with full ones.</summary>
    private static int[] RaggedIndices()
    {
        var lengths = Data.Train.Lengths;
        var all = Enumerable.Range(0, Data.Train.Count).ToArray();
        var shorts = all.Where(i => lengths[i] < Data.Train.MaxLength).GroupBy(i => lengths[i]).Select(g => g.First()).ToArray();
        var fulls = all.Where(i => lengths[i] == Data.Train.MaxLength).Take(10 - shorts.Length).ToArray();
        Assert.True(shorts.Length >= 3);
        return shorts.Zip(fulls, (a, b) => new[] { a, b }).SelectMany(p => p).Concat(fulls.Skip(shorts.Length)).ToArray();
    }

    /// <summary>
    /// Pins how confidence enters the logged lists' losses (exploring off): the KL of each logged list is weighted by
    /// the list's confidence (the mean of its items' c over real positions) and averaged over lists; the Hint of each
    /// real item by that item's own c, averaged over real items. Padding enters neither. The alternatives (no weights,
    /// or the other weighting in either loss) are checked to be far from the value, so that the test tells them apart.
    /// </summary>
    [Fact]
    public void Confidence_weights_each_logged_lists_kl_by_its_mean_confidence_and_each_items_hint_by_its_own()
    {
        using var scope = NewDisposeScope();
        using var rig = new Rig();
        var indices = RaggedIndices();
        var batch = Data.Train.Batch(indices);
        var config = new DistillConfig { ExploreFilter = false, Temperature = 2 };
        var terms = Logged(rig, batch, indices, config.Temperature);
        double kl = terms.Kl(b => terms.ListConfidence[b]), hint = terms.Hint(i => terms.ItemConfidence[i]);

        var distill = rig.Distill(config, seed: 1);
        distill.Step(batch, indices);

        Assert.Equal(kl, distill.Last.Kl, tolerance: 1e-5 * kl);
        Assert.Equal(hint, distill.Last.Hint, tolerance: 1e-5 * hint);
        Assert.Equal((0, 0), (distill.Last.States, distill.Last.Lessons));
        // Each alternative weighting lands far outside the tolerance.
        foreach (double other in new[] { terms.Kl(_ => 1), terms.Kl(b => terms.ItemConfidence[b * terms.Length]) })
            Assert.True(Math.Abs(other - kl) > 100 * 1e-5 * kl, $"KL {kl} vs {other}");
        foreach (double other in new[] { terms.Hint(_ => 1), terms.Hint(i => terms.ListConfidence[i / terms.Length]) })
            Assert.True(Math.Abs(other - hint) > 100 * 1e-5 * hint, $"Hint {hint} vs {other}");
    }

    /// <summary>
    /// Pins the lessons' weighting (exploring on): every lesson of a state takes the confidence of the state's logged
    /// list (its mean c), in the lesson-set KL and in each lesson's Hint; the step adds these to the logged lists'
    /// terms. The lessons are replayed with the learner's seed (ExploreFilter.Select itself is pinned by brute force
    /// in ExploreFilterTests); the student's Q and hints on them are scored from its own prefix states.
    /// </summary>
    [Fact]
    public void Each_states_lessons_are_weighted_by_the_mean_confidence_of_its_list()
    {
        using var scope = NewDisposeScope();
        using var rig = new Rig();
        var indices = RaggedIndices();
        var batch = Data.Train.Batch(indices);
        const int states = 4, seed = 3;
        var config = new DistillConfig { StatesPerBatch = states, Temperature = 2 };
        var logged = Logged(rig, batch, indices, config.Temperature);

        // Replay the learner's exploring: its generator for step 0 draws the states' prefix lengths, then the pools.
        double[] lessonKl, lessonHint;
        int[] lessonState;
        using (no_grad())
        {
            var rng = new Random(Drlrec.Training.SeedStreams.Derive(seed, Drlrec.Training.SeedStreams.Explore, 0));
            var sampled = ExploreStates.Sample(indices[..states].Select(Data.Train.KeysOf).ToArray(), states, rig.Catalog, rng);
            var rows = arange(states, dtype: ScalarType.Int64);
            var at = tensor(sampled.Placed);
            var stateRows = batch.Rows.narrow(0, 0, states);
            rig.Student.eval();
            var lessons = rig.Explore.Select(rig.Teacher, rig.Teacher.PrefixAt(rig.Teacher.Forward(stateRows), rows, at),
                rig.Student, rig.Student.PrefixAt(rig.Student.Forward(stateRows), rows, at), ExploreStates.SlotRows(stateRows, at),
                sampled.Users, sampled.PrefixItems, rng);
            var scored = rig.Student.ScoreCandidates(rig.Student.PrefixAt(rig.Student.Forward(batch), rows, at), lessons.Rows);
            int width = (int)lessons.Mask.shape[1], h = Small.HintDim;
            float[] tq = Values(lessons.TeacherQ), sq = Values(scored.Q), th = Values(lessons.TeacherHint), sh = Values(scored.Hint);
            var real = lessons.Mask.contiguous().data<bool>().ToArray();
            lessonKl = Enumerable.Range(0, states).Select(s =>
            {
                var picks = Enumerable.Range(s * width, width).Where(i => real[i]).ToArray();
                return Kl(picks.Select(i => (double)tq[i]).ToArray(), picks.Select(i => (double)sq[i]).ToArray(), config.Temperature);
            }).ToArray();
            var realLessons = Enumerable.Range(0, states * width).Where(i => real[i]).ToArray();
            lessonState = realLessons.Select(i => i / width).ToArray();
            lessonHint = realLessons.Select(i => HintError(sh, th, i * h, h)).ToArray();
        }
        double LessonKl(Func<int, double> weight) => Enumerable.Range(0, states).Average(s => weight(s) * lessonKl[s]);
        double LessonHint(Func<int, double> weight) => Enumerable.Range(0, lessonHint.Length).Average(j => weight(lessonState[j]) * lessonHint[j]);
        double TotalKl(Func<int, double> weight) => logged.Kl(b => logged.ListConfidence[b]) + LessonKl(weight);
        double TotalHint(Func<int, double> weight) => logged.Hint(i => logged.ItemConfidence[i]) + LessonHint(weight);
        double kl = TotalKl(s => logged.ListConfidence[s]), hint = TotalHint(s => logged.ListConfidence[s]);

        var distill = rig.Distill(config, seed);
        distill.Step(batch, indices);

        Assert.Equal((states, lessonHint.Length), (distill.Last.States, distill.Last.Lessons));
        Assert.Equal(kl, distill.Last.Kl, tolerance: 1e-5 * kl);
        Assert.Equal(hint, distill.Last.Hint, tolerance: 1e-5 * hint);
        // Unweighted lessons, or lessons weighted by another list's confidence, land far outside the tolerance.
        foreach (double other in new[] { TotalKl(_ => 1), TotalKl(s => logged.ListConfidence[states + s]) })
            Assert.True(Math.Abs(other - kl) > 100 * 1e-5 * kl, $"KL {kl} vs {other}");
        foreach (double other in new[] { TotalHint(_ => 1), TotalHint(s => logged.ListConfidence[states + s]) })
            Assert.True(Math.Abs(other - hint) > 100 * 1e-5 * hint, $"Hint {hint} vs {other}");
    }

    [Fact]
    public void Kd_and_hint_presets_ignore_the_teachers_td_errors_even_when_confidence_is_asked_for()
    {
        // Perturbing the teacher's target network changes only its TD errors, i.e. only the confidence: it moves the
        // KL of DRL-Rec on the same logged lists, but neither kd's KL nor hint's Hint.
        var drlRec = new DistillConfig { ExploreFilter = false, Hint = false };
        Assert.NotEqual(StepWith(drlRec).Kl, StepWith(drlRec, perturbTeacherTarget: true).Kl);

        var kd = StepWith(new DistillConfig { Method = DistillMethod.Kd });
        Assert.Equal(kd.Kl, StepWith(new DistillConfig { Method = DistillMethod.Kd }, perturbTeacherTarget: true).Kl, 6);
        Assert.Equal(kd.Kl, StepWith(new DistillConfig { Method = DistillMethod.Kd, Confidence = true }, perturbTeacherTarget: true).Kl, 6);
        Assert.Equal(kd.Kl, StepWith(drlRec with { Confidence = false }).Kl, 6); // kd = plain KL on the logged lists

        var hint = StepWith(new DistillConfig { Method = DistillMethod.Hint });
        Assert.Equal(hint.Hint, StepWith(new DistillConfig { Method = DistillMethod.Hint }, perturbTeacherTarget: true).Hint, 6);
        Assert.Equal(hint.Hint, StepWith(new DistillConfig { Method = DistillMethod.Hint, Confidence = true }, perturbTeacherTarget: true).Hint, 6);
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
            // A small seeded simulator: 1,500 logged lists of 10 items (1,080 train, 300 test), 1,000 catalog items to
            // explore. About 15 s on 2 cores.
            var config = new RunConfig
            {
                Seed = 2,
                Model = Small,
                Data = new DataConfig { Source = DataLoader.Synthetic, Synthetic = new SyntheticConfig { Users = 300, Items = 1000, Lists = 1500 } },
                Dqn = new DqnConfig { LearningRate = 3e-3 },
                Trainer = new TrainerConfig { Epochs = 2, BatchSize = 32 },
            };
            var data = DataLoader.Prepare(config);
            var catalog = DataLoader.Catalog(config.Data, data.TrainLists);
            var teacherResult = TrainWorkflow.Run(config with { Model = Small with { EmbeddingDim = 16 } }, data, Path.Combine(dir, "t"));
            using var teacher = ModelCheckpoint.Load(teacherResult.Checkpoint);
            var result = Distiller.Run(config with { Distill = new DistillConfig { Pool = 100, K = 4, StatesPerBatch = 2 } }, data, teacher,
                catalog, Path.Combine(dir, "s"), null, "student-drl-rec");
            // Measured: student test AUC 0.754 (teacher 0.752) on the 300 test lists; untrained students (seeds 1-5) score
            // 0.46-0.53 there.
            Assert.True(result.Test.Auc > 0.65, $"student test AUC {result.Test.Auc}");
            Assert.True(File.Exists(result.Checkpoint));
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

    [Fact]
    public void The_joint_schedule_trains_its_own_copy_of_the_teacher_and_labels_teacher_ckpt_with_the_epoch_it_holds()
    {
        using var folder = new TemporaryFolder();
        var config = new RunConfig
        {
            Seed = 4,
            Model = Small,
            Trainer = new TrainerConfig { Epochs = 2, BatchSize = 32, Patience = 5 },
        };
        var data = PreparedData.Prepare(ToyData.Lists(160, seed: 3), null, new DataConfig(), new FeatureConfig());
        var teacherRun = TrainWorkflow.Run(config with { Role = ModelRole.Teacher, Model = Small with { EmbeddingDim = 16 },
            Trainer = config.Trainer with { Epochs = 1 } }, data, folder["teacher"]);
        using var teacher = ModelCheckpoint.Load(teacherRun.Checkpoint);
        var online = teacher.Online.parameters().Select(p => p.detach().clone()).ToArray();
        var target = teacher.Target.parameters().Select(p => p.detach().clone()).ToArray();

        Distiller.Run(config with { Distill = new DistillConfig { Schedule = DistillSchedule.Joint, Pool = 50, K = 4 } }, data, teacher,
            DataLoader.Catalog(new DataConfig { Source = "toy" }, data.TrainLists), folder["student"], null, "student-joint");

        Assert.True(teacher.Online.parameters().Zip(online).All(p => p.First.eq(p.Second).all().item<bool>()), "caller's online teacher unchanged");
        Assert.True(teacher.Target.parameters().Zip(target).All(p => p.First.eq(p.Second).all().item<bool>()), "caller's target teacher unchanged");
        using var trained = ModelCheckpoint.Load(Path.Combine(folder["student"], "teacher.ckpt"));
        Assert.Equal(2, trained.Header.Epoch);                                   // the last epoch's weights, so the last epoch's number
        Assert.False(trained.Online.parameters().Zip(online).All(p => p.First.eq(p.Second).all().item<bool>()), "the copy trained");
    }
}
