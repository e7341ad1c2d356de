using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.Simulation;
using Drlrec.Training;

namespace Drlrec.Workflows;

/// <summary>What <c>drlrec quickstart</c> trained and how the two models and the baselines scored.</summary>
public sealed record QuickstartResult(TrainResult Teacher, TrainResult Student, EvaluationReport Report);

/// <summary><c>drlrec quickstart</c> as a library call: a teacher and a student alone on the same data, with the baselines.</summary>
public static class QuickstartWorkflow
{
    /// <summary>
    /// Quickstart's own defaults, sized to finish in a few minutes on 2 cores: a smaller simulated log (1,000 users,
    /// 5,000 items, 6,000 lists) and at most 6 epochs.
    /// </summary>
    public static RunConfig Defaults { get; } = new()
    {
        Data = new DataConfig { Synthetic = new SyntheticConfig { Users = 1000, Items = 5000, Lists = 6000 } },
        Trainer = new TrainerConfig { Epochs = 6 },
    };

    /// <summary>
    /// Trains a teacher (<c>teacher/</c>) and a student alone (<c>student/</c>) under <paramref name="folder"/>,
    /// evaluates both and the baselines on the test lists, and writes <c>report.json</c>.
    /// </summary>
    /// <param name="observers">Makes the observer of each training run (the CLI's progress bars).</param>
    public static QuickstartResult Run(RunConfig config, PreparedData data, string folder, Func<ITrainingObserver?>? observers = null)
    {
        var teacher = TrainWorkflow.Run(config with { Role = ModelRole.Teacher }, data, Path.Combine(folder, "teacher"),
            observers?.Invoke(), "teacher");
        var student = TrainWorkflow.Run(config.AsStudent(), data, Path.Combine(folder, "student"), observers?.Invoke(), "student-alone");
        var report = new EvaluationReport(
            [ModelScores.From(teacher.Name, teacher.Test, teacher.Parameters), ModelScores.From(student.Name, student.Test, student.Parameters)],
            OfflineEvaluation.EvaluateBaselines(data, config.Seed), data.TrainLists.Source, data.Test.Count, data.Test.ValidItems,
            Split: config.Data.Split);
        new RunFolder(folder).WriteJson("report.json", report);
        return new QuickstartResult(teacher, student, report);
    }
}
