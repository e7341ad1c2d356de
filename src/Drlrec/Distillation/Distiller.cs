using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;
using Drlrec.Tensors;
using Drlrec.Training;

namespace Drlrec.Distillation;

/// <summary>
/// Trains a student from a teacher (DRL-Rec and its baselines and ablations): builds the student, the hint
/// projection, the teacher's cached signals, the explorer, and runs the shared epoch loop with
/// <see cref="DistillLearner"/> as the per-batch update. With lists in memory a frozen teacher's signals are computed
/// once for every training list; with streamed lists (<see cref="StreamingData"/>) per batch, and the retriever counts a
/// bounded sample of the training lists (<see cref="ITrainingData.ExplorerLists"/>). With <c>trainer.distributed = mpi</c>
/// the student (and a jointly trained teacher) learn data-parallel; each rank computes the frozen teacher's signals for
/// every training list in memory (its shares change every epoch) or for its share of each streamed batch, and only rank
/// 0 writes.
/// </summary>
public static class Distiller
{
    /// <param name="config">A student run config with <see cref="RunConfig.Distill"/> set.</param>
    /// <param name="data">Data encoded with the teacher's vocabulary, in memory or streamed.</param>
    /// <param name="teacher">The trained teacher; under the joint schedule null starts a teacher from scratch.</param>
    /// <param name="catalog">Items the explorer may draw from.</param>
    /// <param name="folder">The student's run folder (and, under the joint schedule, the trained teacher's teacher.ckpt).</param>
    /// <param name="resume">Continue the killed run in <paramref name="folder"/> from its <c>resume.ckpt</c>.</param>
    public static TrainResult Run(RunConfig config, ITrainingData data, LoadedModel? teacher, IItemCatalog catalog, string folder,
        ITrainingObserver? observer, string name, bool resume = false)
    {
        config = (config with { Role = ModelRole.Student, Distill = config.Distill ?? new DistillConfig() }).Resolve();
        // The run folder's config.json says which pool auto took.
        if (config.Distill!.ExploreFrom == ExplorePool.Auto)
            config = config with { Distill = config.Distill with { ExploreFrom = DistillParts.ExploresRequests(config.Distill, data) ? ExplorePool.Candidates : ExplorePool.Catalog } };
        var distill = config.Distill!;
        distill.Validate();
        if (teacher is null && distill.Schedule == DistillSchedule.Frozen && distill.UsesTeacher)
            throw new ArgumentException("a frozen-teacher distillation needs a trained teacher (--teacher)");
        if (teacher is not null) teacher.Vocabulary.EnsureMatches(data.Schema, data.Source);

        var world = DataParallel.Open(config.Trainer.Distributed);
        config = config with { Trainer = config.Trainer with { WorldSize = world.Size } };
        TorchRuntime.Seed(config.Seed, config.Trainer.Threads);
        using var parts = DistillParts.Build(config, data, teacher, catalog, world);
        var (studentOnline, studentTarget, learner, teacherOnline, teacherTarget) =
            (parts.StudentOnline, parts.StudentTarget, parts.Learner, parts.TeacherOnline, parts.TeacherTarget);

        var progress = resume ? ResumeCheckpoint.Restore(ResumeCheckpoint.In(folder), learner) : null;
        var run = new RunFolder(folder, create: world.IsRoot);
        var recorder = new RunRecorder(run, config, data, name, studentOnline, studentTarget, learner, progress,
            () => [("distill/rl", learner.Last.Rl), ("distill/kl", learner.Last.Kl), ("distill/hint", learner.Last.Hint),
                   .. learner.Scales is { } scales ? [("distill/scale_kl", scales.Kl), ("distill/scale_hint", scales.Hint)] : Array.Empty<(string, double)>()],
            world);
        var fit = Trainer.For(config, data.Vocabulary, world).Fit(data.TrainingBatches(config, world), data.Validation, studentOnline, learner.Step, recorder, observer,
            name, progress);
        var result = recorder.Finish(fit);
        // What the gradient balance made of the weights (distill.balance gradient): the scales of the KL and Hint terms.
        if (learner.Scales is { } scales && world.IsRoot)
            IO.Json.WriteFile(run.File("term-scales.json"),
                new { Balance = "gradient", MeasuredSteps = scales.Measured, KlScale = scales.Kl, HintScale = scales.Hint });
        // The jointly trained teacher as the last epoch left it (it is not checkpointed per epoch): its header says so.
        if (parts.TeacherLearner is not null && world.IsRoot)
            ModelCheckpoint.Save(run.File("teacher.ckpt"),
                CheckpointHeader.Of(config with { Role = ModelRole.Teacher, Model = parts.TeacherConfig }, data.Schema, data.Vocabulary,
                    "teacher-joint", teacherOnline, fit.Epochs[^1].Epoch, double.NaN),
                teacherOnline, teacherTarget);
        return result;
    }
}

/// <summary>
/// What a distillation trains with, built from a resolved student config: the teacher's networks (the loaded teacher's,
/// a copy under the joint schedule, or new ones), the student's networks, the hint projection, their learners, the
/// frozen teacher's cached signals (lists in memory), the explorer, and the <see cref="DistillLearner"/> over them.
/// Disposing releases what it built (never the caller's loaded teacher).
/// </summary>
public sealed class DistillParts : IDisposable
{
    private readonly bool ownsTeacher;
    private readonly HintLoss hintLoss;
    private readonly DqnLearner student;
    private readonly EncodedCatalog? encodedCatalog;

    private DistillParts(bool ownsTeacher, QNetworkConfig teacherConfig, QNetwork teacherOnline, QNetwork teacherTarget, QNetwork studentOnline,
        QNetwork studentTarget, HintLoss hintLoss, DqnLearner student, DqnLearner? teacherLearner, EncodedCatalog? encodedCatalog, DistillLearner learner)
    {
        this.ownsTeacher = ownsTeacher;
        TeacherConfig = teacherConfig;
        TeacherOnline = teacherOnline;
        TeacherTarget = teacherTarget;
        StudentOnline = studentOnline;
        StudentTarget = studentTarget;
        this.hintLoss = hintLoss;
        this.student = student;
        TeacherLearner = teacherLearner;
        this.encodedCatalog = encodedCatalog;
        Learner = learner;
    }

    public QNetworkConfig TeacherConfig { get; }
    public QNetwork TeacherOnline { get; }
    public QNetwork TeacherTarget { get; }
    public QNetwork StudentOnline { get; }
    public QNetwork StudentTarget { get; }
    /// <summary>The teacher's own learner under the joint schedule; null when it is frozen.</summary>
    public DqnLearner? TeacherLearner { get; }
    public DistillLearner Learner { get; }

    /// <summary>Whether <paramref name="distill"/>'s explorer takes its pools from the requests' candidates: candidates, or auto
    /// with training lists (in memory or streamed) that carry unshown candidates.</summary>
    public static bool ExploresRequests(DistillConfig distill, ITrainingData data) =>
        distill.ExploreFrom == ExplorePool.Candidates
        || distill.ExploreFrom == ExplorePool.Auto && data.HasUnshownCandidates;

    /// <param name="config">The student's resolved run config, <see cref="RunConfig.Distill"/> set.</param>
    /// <param name="teacher">The trained teacher, or null for new teacher networks (the joint schedule from scratch).</param>
    /// <param name="cacheTeacherSignals">Compute a frozen teacher's signals once for lists in memory (as a run does);
    /// false computes them per batch, as for streamed lists.</param>
    public static DistillParts Build(RunConfig config, ITrainingData data, LoadedModel? teacher, IItemCatalog catalog, DataParallel world,
        bool cacheTeacherSignals = true)
    {
        var distill = config.Distill!;
        int rows = data.Vocabulary.Rows;
        var teacherConfig = teacher?.Header.Model ?? QNetworkConfig.Teacher;
        // The joint schedule trains the teacher: on its own copy, so that the caller's loaded teacher (which an
        // experiment hands to the next variant) never changes.
        bool joint = distill.Schedule == DistillSchedule.Joint;
        var teacherOnline = teacher is null ? new QNetwork(teacherConfig, data.Layout, rows, "teacher")
            : joint ? ModelCheckpoint.CopyOnline(teacher) : teacher.Online;
        var teacherTarget = teacher is null ? new QNetwork(teacherConfig, data.Layout, rows, "teacherTarget")
            : joint ? ModelCheckpoint.CopyTarget(teacher) : teacher.Target;
        var studentOnline = new QNetwork(config.ResolvedModel, data.Layout, rows, "online");
        var studentTarget = new QNetwork(config.ResolvedModel, data.Layout, rows, "target");
        var hintLoss = new HintLoss(config.ResolvedModel.HintDim, teacherConfig.HintDim, distill.HintProjection);
        var student = new DqnLearner(studentOnline, studentTarget, data.Layout, config.Dqn, hintLoss.parameters(), world);
        var teacherLearner = joint ? new DqnLearner(teacherOnline, teacherTarget, data.Layout, config.Dqn, world: world) : null;
        teacherOnline.eval();

        var inMemory = (data as PreparedData)?.Train;
        var cache = cacheTeacherSignals && distill.Schedule == DistillSchedule.Frozen && distill.UsesTeacher && inMemory is not null
            ? TeacherSignals.Compute(teacherOnline, teacherTarget, inMemory, data.Layout, config.Dqn)
            : null;
        bool explores = distill.ExploreFilter && distill.UsesTeacher;
        bool fromRequests = explores && ExploresRequests(distill, data);
        if (fromRequests && !data.HasUnshownCandidates)
            throw new ArgumentException($"config distill.explore_from = candidates: the training lists of {data.Source} carry no unshown " +
                                        "candidates (README, data formats); use catalog");
        var encodedCatalog = explores && !fromRequests
            ? EncodedCatalog.Encode(catalog, data.Vocabulary, data.Layout)
            : null;
        var explore = !explores ? null
            : fromRequests ? new ExploreFilter(new RequestCandidates(data.Vocabulary, data.Layout), catalog, data.Layout, distill.K)
            : new ExploreFilter(new CandidateRetriever(catalog, data.ExplorerLists, distill.PopularShare, distill.CooccurringShare),
                encodedCatalog!, data.Layout, distill.Pool, distill.K);
        var learner = new DistillLearner(student, teacherOnline, teacherTarget, teacherLearner, cache, hintLoss, explore,
            inMemory, distill, config.Seed);
        return new DistillParts(teacher is null || joint, teacherConfig, teacherOnline, teacherTarget, studentOnline, studentTarget, hintLoss,
            student, teacherLearner, encodedCatalog, learner);
    }

    public void Dispose()
    {
        TeacherLearner?.Dispose();
        student.Dispose();
        hintLoss.Dispose();
        encodedCatalog?.Dispose();
        StudentOnline.Dispose();
        StudentTarget.Dispose();
        if (!ownsTeacher) return;
        TeacherOnline.Dispose();
        TeacherTarget.Dispose();
    }
}
