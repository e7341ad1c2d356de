using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tensors;

namespace Drlrec.Distillation;

/// <summary>The parts of the last student loss (for logs and tests).</summary>
public sealed record DistillLossParts(double Total, double Rl, double Kl, double Hint, int States, int Lessons);

/// <summary>
/// One distillation step for the student on a minibatch of logged lists:
/// <code>
///   L_student = w_RL · L_RL(student's own Double DQN) + w_KL · s_KL · L_KL + w_Hint(t) · s_Hint · L_Hint     (0.4 / 0.3 / 0.3)
///   w_Hint(t) = w_Hint · max(0, 1 − t / hint_decay_steps)     (constant when hint_decay_steps = 0, the default)
///   L_KL   = KL over each logged list   (weight: the list's confidence)  + KL over each state's lessons
///   L_Hint = Hint on each logged item   (weight: the item's confidence)  + Hint on each lesson (state's confidence)
/// </code>
/// s_KL and s_Hint make the weights shares of the student's gradient at the start (<see cref="DistillTermScales"/>,
/// <see cref="TermBalance.Gradient"/>); 1 with <see cref="TermBalance.None"/> (the reference's, the default).
/// Lessons come from <see cref="ExploreFilter"/> for the first <see cref="DistillConfig.StatesPerBatch"/> lists of
/// the (shuffled) batch, each at a random prefix length, drawn from a generator seeded from (run seed, step) so that a
/// resumed run draws the same. Parts switched off contribute nothing and cost nothing.
/// Data-parallel (the student learner's <see cref="DqnLearner.World"/>), the batch is this rank's share of a global one
/// and each term is weighted by the rank's share of what that term averages over (<see cref="DqnLearner.GlobalMeans"/>):
/// RL and logged Hint by items, logged KL by lists, lesson KL by explored states, lesson Hint by lessons; confidence is
/// normalised over the global batch. The explored states are the global batch's first <see cref="DistillConfig.StatesPerBatch"/>
/// lists, each explored by the rank that holds it, so the gradient is one process's except for the explorer's random
/// draws (prefix lengths and candidate pools), which each rank takes from its own seeded generator.
/// <para>A frozen teacher's signals come from <see cref="TeacherSignals"/>, computed once for lists held in memory; for
/// streamed lists (no cache) they are computed per batch, on the batch as read (before out-of-vocabulary dropout, as the
/// cache has them). The explored states are the batch's own lists (their keys travel with the batch), so nothing is
/// indexed by training list when streaming.</para>
/// </summary>
public sealed class DistillLearner : IResumableLearner
{
    private readonly DqnLearner student;
    private readonly QNetwork teacherOnline;
    private readonly QNetwork teacherTarget;
    private readonly DqnLearner? teacherLearner;
    private readonly TeacherSignals? cache;
    private readonly HintLoss hintLoss;
    private readonly ExploreFilter? explore;
    private readonly EncodedLists? train;
    private readonly DistillConfig config;
    private readonly int seed;
    private readonly DistillTermScales? scales;

    /// <param name="teacherLearner">The teacher's own learner under the joint schedule (it then trains each batch first); null when frozen.</param>
    /// <param name="cache">Precomputed teacher signals of <paramref name="train"/>'s lists (frozen teacher); null computes
    /// them per batch.</param>
    /// <param name="train">The training lists held in memory (what <see cref="Step(ListBatch, int[])"/>'s indices and the
    /// cache index); null when they are streamed.</param>
    public DistillLearner(DqnLearner student, QNetwork teacherOnline, QNetwork teacherTarget, DqnLearner? teacherLearner,
        TeacherSignals? cache, HintLoss hintLoss, ExploreFilter? explore, EncodedLists? train, DistillConfig config, int seed)
    {
        this.student = student;
        this.teacherOnline = teacherOnline;
        this.teacherTarget = teacherTarget;
        this.teacherLearner = teacherLearner;
        this.cache = cache;
        this.hintLoss = hintLoss;
        this.explore = explore;
        this.train = train;
        this.config = config.Resolve();
        this.seed = seed;
        if (this.config.UsesTeacher && this.config.Balance == TermBalance.Gradient && (this.config.Kl || this.config.Hint))
            scales = new DistillTermScales(this.config.BalanceSteps);
    }

    /// <summary>The distillation terms' scales (null when the weights multiply the raw losses).</summary>
    public DistillTermScales? Scales => scales;

    public DistillLossParts Last { get; private set; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>One step on lists held in memory: <paramref name="indices"/> are their rows in the training lists.</summary>
    /// <param name="batch">The minibatch (in the caller's dispose scope).</param>
    public float Step(ListBatch batch, int[] indices) =>
        Step(batch, TrainingBatch.Of(train ?? throw new InvalidOperationException("list indices need the training lists in memory"), indices));

    /// <param name="batch">The minibatch as trained on (in the caller's dispose scope; out-of-vocabulary dropout applied).</param>
    /// <param name="lists">Where it came from: its list indices (for the cache) and keys (for the explored states), and the
    /// batch as read (for a frozen teacher's signals computed per batch).</param>
    public float Step(ListBatch batch, TrainingBatch lists)
    {
        if (batch.Size == 0) return StepWithoutLists(batch);
        teacherLearner?.Step(batch);
        var t = TermsOf(batch, lists);
        if (scales is { Measuring: true })
        {
            var (rl, kl, hint) = NormsOf(t);
            scales.Observe(rl, kl, hint);
        }
        double klWeight = config.KlWeight * (scales?.Kl ?? 1), hintWeight = HintWeightNow * (scales?.Hint ?? 1);
        var loss = t.Rl.Times(config.RlWeight);
        double total = config.RlWeight * t.RlValue;
        if (config.Kl)
        {
            loss = loss.Plus(t.Kl.Times(klWeight));
            total += klWeight * t.KlValue;
        }
        if (config.Hint)
        {
            loss = loss.Plus(t.Hint.Times(hintWeight));
            total += hintWeight * t.HintValue;
        }
        student.ApplyGradients(loss, "the distillation loss");
        Last = new DistillLossParts(total, t.RlValue, t.KlValue, t.HintValue, t.States, t.Lessons);
        return (float)Last.Total;
    }

    /// <summary>w_Hint(t) = w_Hint · max(0, 1 − t / hint_decay_steps) at the student's next step t (its steps so far);
    /// w_Hint when the decay is off.</summary>
    public double HintWeightNow => config.HintDecaySteps == 0
        ? config.HintWeight
        : config.HintWeight * Math.Max(0, 1 - (double)student.Steps / config.HintDecaySteps);

    /// <summary>The global norms of the unweighted terms' gradients on a batch, ‖∇L_RL‖, ‖∇L_KL‖, ‖∇L_Hint‖ (0 for a term
    /// that is off), without a step: what <see cref="DistillTermScales"/> measures in the first steps.</summary>
    public (double Rl, double Kl, double Hint) GradientNorms(ListBatch batch, TrainingBatch lists) => NormsOf(TermsOf(batch, lists));

    private (double Rl, double Kl, double Hint) NormsOf(Terms t) =>
        (student.GradientNorm(t.Rl), config.Kl ? student.GradientNorm(t.Kl) : 0, config.Hint ? student.GradientNorm(t.Hint) : 0);

    /// <summary>The three terms of a step, each this rank's weighted share of the global batch's mean (their sum over the
    /// ranks is the one-process term), with their global values.</summary>
    private sealed record Terms(Tensor Rl, Tensor Kl, Tensor Hint, double RlValue, double KlValue, double HintValue, int States, int Lessons);

    private Terms TermsOf(ListBatch batch, TrainingBatch lists)
    {
        var mask = batch.Mask;
        var real = mask.to_type(ScalarType.Float32);
        var world = student.World;

        // The student's own Double DQN.
        var y = student.Targets(batch);
        student.Online.train();
        var output = student.Online.Forward(batch);                                   // Q [B, L], hint [B, L, H_S]
        var rl = DoubleDqn.TdLoss(output.Q, y, mask);
        Tensor loggedKl = zeros(1).sum(), loggedHint = zeros(1).sum(), lessonKl = zeros(1).sum(), lessonHint = zeros(1).sum();
        int states = 0, lessons = 0;

        if (config.UsesTeacher)
        {
            var teacher = TeacherOn(batch, lists);
            var itemConfidence = config.Confidence
                ? ConfidenceWeights.PerItem(teacher.TdError, mask, config.ConfidenceMode, world)
                : real;                                                                // [B, L]
            var listConfidence = ConfidenceWeights.PerList(itemConfidence, mask);      // [B]
            if (config.Kl) loggedKl = ListwiseKlLoss.Compute(teacher.Q, output.Q, mask, listConfidence, config.Temperature);
            if (config.Hint) loggedHint = hintLoss.Compute(output.Hint[mask], teacher.Hint[mask], itemConfidence[mask]);

            int exploredHere = config.ExploreFilter && explore is not null ? ExploredStatesHere((int)batch.Size, world) : 0;
            if (exploredHere > 0)
                (lessonKl, lessonHint, states, lessons) = LessonLosses(batch, lists.Keys(), output, listConfidence, exploredHere);
        }

        // Each term is a mean over this rank's items, lists, states or lessons; weighted by the rank's share of the
        // global count, the ranks' gradients sum to the gradient of the global batch's loss (weights 1 on one process).
        double items = DqnLearner.ValidItems(batch);
        var (w, global) = student.GlobalMeans([items, batch.Size, items, states, lessons],
            [rl.item<float>(), loggedKl.item<float>(), loggedHint.item<float>(), lessonKl.item<float>(), lessonHint.item<float>()]);
        double rlValue = global[0], klValue = global[1] + global[3], hintValue = global[2] + global[4];
        NonFiniteTrainingException.Check(rlValue, "the student's TD loss", student.Steps + 1);
        NonFiniteTrainingException.Check(klValue, "the KL loss", student.Steps + 1);
        NonFiniteTrainingException.Check(hintValue, "the Hint loss", student.Steps + 1);
        return new Terms(rl.Times(w[0]), loggedKl.Times(w[1]).Plus(lessonKl.Times(w[3])), loggedHint.Times(w[2]).Plus(lessonHint.Times(w[4])),
            rlValue, klValue, hintValue, states, lessons);
    }

    /// <summary>The teacher's Q, hint and TD error on the batch: from the cache (frozen teacher, lists in memory), else
    /// computed now: on the batch as trained on when the teacher trains too (joint), on the batch as read when it is frozen.</summary>
    private TeacherView TeacherOn(ListBatch batch, TrainingBatch lists)
    {
        if (cache is not null && lists.Indices is { } indices) return cache.Batch(indices);
        var input = teacherLearner is null ? lists.Tensors() : batch;
        return TeacherView.Compute(teacherOnline, teacherTarget, input, student.Layout, student.Config);
    }

    /// <summary>A rank whose share of a short global batch is empty takes part in every collective of
    /// <see cref="Step(ListBatch, TrainingBatch)"/>, in the same order, with nothing to add, and applies the same update.</summary>
    /// <param name="empty">The empty batch (its shape [0, L, F, M]).</param>
    private float StepWithoutLists(ListBatch empty)
    {
        var world = student.World;
        if (teacherLearner is not null) teacherLearner.Step(empty);
        if (config.UsesTeacher)
        {
            if (config.Confidence) ConfidenceWeights.TakePartWithoutItems(config.ConfidenceMode, world);
            if (config.ExploreFilter && explore is not null) ExploredStatesHere(0, world);
        }
        var (_, global) = student.GlobalMeans([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]);
        double rlValue = global[0], klValue = global[1] + global[3], hintValue = global[2] + global[4];
        if (scales is { Measuring: true })
            scales.Observe(student.GradientNorm(null), config.Kl ? student.GradientNorm(null) : 0, config.Hint ? student.GradientNorm(null) : 0);
        NonFiniteTrainingException.Check(rlValue, "the student's TD loss", student.Steps + 1);
        NonFiniteTrainingException.Check(klValue, "the KL loss", student.Steps + 1);
        NonFiniteTrainingException.Check(hintValue, "the Hint loss", student.Steps + 1);
        double total = config.RlWeight * rlValue + (config.Kl ? config.KlWeight * (scales?.Kl ?? 1) * klValue : 0)
                       + (config.Hint ? HintWeightNow * (scales?.Hint ?? 1) * hintValue : 0);
        student.ApplyGradients(null, "the distillation loss");
        Last = new DistillLossParts(total, rlValue, klValue, hintValue, 0, 0);
        return (float)total;
    }

    /// <summary>
    /// How many of this rank's lists (its first ones) are explored: the global batch's first
    /// <see cref="DistillConfig.StatesPerBatch"/> lists that fall in this rank's contiguous share.
    /// </summary>
    private int ExploredStatesHere(int shareLength, Distributed.DataParallel world)
    {
        if (world.Size == 1) return Math.Min(config.StatesPerBatch, shareLength);
        var lengths = world.AllGather([shareLength]);
        int start = (int)lengths.Take(world.Rank).Sum();
        return Math.Clamp(config.StatesPerBatch - start, 0, shareLength);
    }

    /// <summary>Explore and filter for some states of the batch, then the KL and Hint losses on their lessons.</summary>
    /// <param name="s">States to explore: the first s lists of the batch.</param>
    private (Tensor Kl, Tensor Hint, int States, int Lessons) LessonLosses(ListBatch batch, IReadOnlyList<Data.ListKeys> keys, ListOutput output,
        Tensor listConfidence, int s)
    {
        var world = student.World;
        int drawSeed = Training.SeedStreams.Derive(seed, Training.SeedStreams.Explore, student.Steps);
        var rng = new Random(world.Size == 1 ? drawSeed : Training.SeedStreams.Derive(drawSeed, Training.SeedStreams.Explore, world.Rank));
        var states = ExploreStates.Sample(keys, s, explore!.Catalog, rng);
        var rows = arange(s, dtype: ScalarType.Int64);
        var at = tensor(states.Placed);
        var stateRows = batch.Rows.narrow(0, 0, s);                                                  // [S, L, F, M]
        var slotRows = ExploreStates.SlotRows(stateRows, at);                                        // [S, F, M]

        Lessons lessons;
        using (no_grad())
        {
            teacherOnline.eval();
            student.Online.eval();
            var teacherPrefix = teacherOnline.PrefixAt(teacherOnline.Forward(stateRows), rows, at);
            var studentPrefix = student.Online.PrefixAt(student.Online.Forward(stateRows), rows, at);
            lessons = explore.Select(teacherOnline, teacherPrefix, student.Online, studentPrefix, slotRows, stateRows, states, keys, rng);
            student.Online.train();
        }

        var scored = student.Online.ScoreCandidates(student.Online.PrefixAt(output, rows, at), lessons.Rows);
        var weights = listConfidence.narrow(0, 0, s);                                                // [S]
        var kl = config.Kl ? ListwiseKlLoss.Compute(lessons.TeacherQ, scored.Q, lessons.Mask, weights, config.Temperature) : zeros(1).sum();
        var perLesson = weights.unsqueeze(1).expand_as(lessons.Mask);
        var hint = config.Hint
            ? hintLoss.Compute(scored.Hint[lessons.Mask], lessons.TeacherHint[lessons.Mask], perLesson[lessons.Mask])
            : zeros(1).sum();
        return (kl, hint, s, (int)lessons.Mask.sum().item<long>());
    }

    /// <summary>The student's learner and hint projection and, under the joint schedule, the teacher's learner.</summary>
    public void SaveState(System.IO.Compression.ZipArchive zip, string prefix = "")
    {
        student.SaveState(zip, prefix + "student/");
        Checkpoints.CheckpointZip.WriteModule(zip, prefix + "hint.weights", hintLoss);
        scales?.Save(zip, prefix + "term-scales.json");
        teacherLearner?.SaveState(zip, prefix + "teacher/");
    }

    public void RestoreState(System.IO.Compression.ZipArchive zip, string path, string prefix = "")
    {
        student.RestoreState(zip, path, prefix + "student/");
        Checkpoints.CheckpointZip.ReadModule(zip, path, prefix + "hint.weights", hintLoss);
        scales?.Restore(zip, path, prefix + "term-scales.json");
        teacherLearner?.RestoreState(zip, path, prefix + "teacher/");
    }
}
