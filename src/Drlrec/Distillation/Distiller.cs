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
/// <see cref="DistillLearner"/> as the per-batch update. With <c>trainer.distributed = mpi</c> the student (and a jointly
/// trained teacher) learn data-parallel; each rank computes the frozen teacher's signals for every training list (its
/// shares change every epoch), and only rank 0 writes.
/// </summary>
public static class Distiller
{
    /// <param name="config">A student run config with <see cref="RunConfig.Distill"/> set.</param>
    /// <param name="data">Data encoded with the teacher's vocabulary.</param>
    /// <param name="teacher">The trained teacher; under the joint schedule null starts a teacher from scratch.</param>
    /// <param name="catalog">Items the explorer may draw from.</param>
    /// <param name="folder">The student's run folder (and, under the joint schedule, the trained teacher's teacher.ckpt).</param>
    /// <param name="resume">Continue the killed run in <paramref name="folder"/> from its <c>resume.ckpt</c>.</param>
    public static TrainResult Run(RunConfig config, PreparedData data, LoadedModel? teacher, IItemCatalog catalog, string folder,
        ITrainingObserver? observer, string name, bool resume = false)
    {
        config = (config with { Role = ModelRole.Student, Distill = config.Distill ?? new DistillConfig() }).Resolve();
        var distill = config.Distill!;
        distill.Validate();
        if (teacher is null && distill.Schedule == DistillSchedule.Frozen && distill.UsesTeacher)
            throw new ArgumentException("a frozen-teacher distillation needs a trained teacher (--teacher)");
        if (teacher is not null) teacher.Vocabulary.EnsureMatches(data.Schema, data.TrainLists.Source);

        var world = DataParallel.Open(config.Trainer.Distributed);
        config = config with { Trainer = config.Trainer with { WorldSize = world.Size } };
        TorchRuntime.Seed(config.Seed, config.Trainer.Threads);
        int rows = data.Vocabulary.Rows;
        var teacherConfig = teacher?.Header.Model ?? QNetworkConfig.Teacher;
        // The joint schedule trains the teacher: on its own copy, so that the caller's loaded teacher (which an
        // experiment hands to the next variant) never changes.
        bool joint = distill.Schedule == DistillSchedule.Joint;
        bool ownsTeacher = teacher is null || joint;
        var teacherOnline = teacher is null ? new QNetwork(teacherConfig, data.Layout, rows, "teacher")
            : joint ? ModelCheckpoint.CopyOnline(teacher) : teacher.Online;
        var teacherTarget = teacher is null ? new QNetwork(teacherConfig, data.Layout, rows, "teacherTarget")
            : joint ? ModelCheckpoint.CopyTarget(teacher) : teacher.Target;
        using var studentOnline = new QNetwork(config.ResolvedModel, data.Layout, rows, "online");
        using var studentTarget = new QNetwork(config.ResolvedModel, data.Layout, rows, "target");
        using var hintLoss = new HintLoss(config.ResolvedModel.HintDim, teacherConfig.HintDim);
        using var student = new DqnLearner(studentOnline, studentTarget, data.Layout, config.Dqn, hintLoss.parameters(), world);
        using var teacherLearner = joint
            ? new DqnLearner(teacherOnline, teacherTarget, data.Layout, config.Dqn, world: world)
            : null;
        teacherOnline.eval();

        var cache = distill.Schedule == DistillSchedule.Frozen && distill.UsesTeacher
            ? TeacherSignals.Compute(teacherOnline, teacherTarget, data.Train, data.Layout, config.Dqn)
            : null;
        using var encodedCatalog = distill.ExploreFilter && distill.UsesTeacher
            ? EncodedCatalog.Encode(catalog, data.Vocabulary, data.Layout)
            : null;
        var explore = encodedCatalog is null
            ? null
            : new ExploreFilter(new CandidateRetriever(catalog, data.TrainLists, distill.PopularShare, distill.CooccurringShare),
                encodedCatalog, data.Layout, distill.Pool, distill.K);
        var catalogIndexOfItem = data.Train.ItemKeys.Select(catalog.IndexOf).ToArray();
        var learner = new DistillLearner(student, teacherOnline, teacherTarget, teacherLearner, cache, hintLoss, explore,
            data.Train, catalogIndexOfItem, distill, config.Seed);

        var progress = resume ? ResumeCheckpoint.Restore(ResumeCheckpoint.In(folder), learner) : null;
        var run = new RunFolder(folder, create: world.IsRoot);
        var recorder = new RunRecorder(run, config, data, name, studentOnline, studentTarget, learner, progress,
            () => [("distill/rl", learner.Last.Rl), ("distill/kl", learner.Last.Kl), ("distill/hint", learner.Last.Hint)], world);
        var fit = Trainer.For(config, data.Vocabulary, world).Fit(data.Train, data.Validation, studentOnline, learner.Step, recorder, observer,
            name, progress);
        var result = recorder.Finish(fit);
        // The jointly trained teacher as the last epoch left it (it is not checkpointed per epoch): its header says so.
        if (teacherLearner is not null && world.IsRoot)
            ModelCheckpoint.Save(run.File("teacher.ckpt"),
                CheckpointHeader.Of(config with { Role = ModelRole.Teacher, Model = teacherConfig }, data.Schema, data.Vocabulary,
                    "teacher-joint", teacherOnline, fit.Epochs[^1].Epoch, double.NaN),
                teacherOnline, teacherTarget);
        if (ownsTeacher)
        {
            teacherOnline.Dispose();
            teacherTarget.Dispose();
        }
        return result;
    }
}
