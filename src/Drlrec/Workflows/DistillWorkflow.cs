using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Evaluation;
using Drlrec.Training;

namespace Drlrec.Workflows;

/// <summary>A distilled student and, for comparison, its teacher on the same test lists.</summary>
public sealed record DistillOutcome(TrainResult Student, OfflineMetrics TeacherTest, long TeacherParameters)
{
    public double ParameterRatio => (double)Student.Parameters / TeacherParameters;
}

/// <summary><c>drlrec distill</c> as a library call: a student trained from a trained teacher.</summary>
public static class DistillWorkflow
{
    /// <summary>
    /// A student's default run settings: the teacher's own (data, split, features, optimiser, trainer, seed), the
    /// student's network sizes, DRL-Rec's default distillation, and the teacher's file. A run config, a config file and
    /// options are layered on this.
    /// </summary>
    public static RunConfig Defaults(LoadedModel teacher) =>
        ((teacher.Header.RunConfig ?? new RunConfig()) with { Model = null, Distill = new DistillConfig(), Teacher = teacher.Path })
        .AsStudent();

    /// <summary>The data the student learns from: the teacher's data settings as given in <paramref name="config"/>,
    /// encoded with the teacher's vocabulary (student and teacher read the same embedding rows); streamed when
    /// <see cref="DataLoader.Streams"/> says so.</summary>
    public static ITrainingData PrepareData(RunConfig config, LoadedModel teacher) => DataLoader.PrepareForTraining(config, teacher.Vocabulary);

    /// <summary>Distils <paramref name="teacher"/> into a student in <paramref name="folder"/>, then scores the teacher
    /// on the same test lists.</summary>
    /// <param name="config">The student's run config, <see cref="RunConfig.Distill"/> set.</param>
    /// <param name="catalog">Items the explorer draws from; default the data source's catalog.</param>
    /// <param name="name">Display name; default from the method and switches (e.g. "student-drl-rec").</param>
    /// <param name="resume">Continue the killed run in <paramref name="folder"/> from its <c>resume.ckpt</c>.</param>
    public static DistillOutcome Run(RunConfig config, LoadedModel teacher, ITrainingData data, string folder,
        ITrainingObserver? observer = null, string? name = null, IItemCatalog? catalog = null, bool resume = false)
    {
        config.Validate();
        // The teacher's full path, so that what the student learnt from can be found again from any folder (evaluate checks
        // that a student's test lists were held out from its teacher's training too).
        if (config.Teacher is { } teacherPath) config = config with { Teacher = Path.GetFullPath(teacherPath) };
        catalog ??= DataLoader.Catalog(config.Data, data);
        name ??= (config.Distill ?? new DistillConfig()).Resolve().StudentName();
        var student = Distiller.Run(config, data, teacher, catalog, folder, observer, name, resume);
        // Only rank 0 reports; the other ranks of a data-parallel run skip the teacher's test scores (NaN).
        var teacherTest = Distributed.DataParallel.Open(config.Trainer.Distributed).IsRoot
            ? QScorer.Evaluate(teacher.Online, data.Test, config.Trainer.EvalBatchSize)
            : new OfflineMetrics(double.NaN, double.NaN, double.NaN, double.NaN, 0, 0);
        return new DistillOutcome(student, teacherTest, teacher.Online.ParameterCount);
    }
}
