using System.CommandLine;
using System.Diagnostics;
using Drlrec.Cli.Output;
using Drlrec.Evaluation;
using Drlrec.Training;
using Spectre.Console;

namespace Drlrec.Cli.Commands;

/// <summary>
/// <c>drlrec quickstart</c>: the README's main command. Trains a teacher and a student alone on the same data,
/// evaluates both and the baselines on the test split, and prints one table.
/// </summary>
public static class QuickstartCommand
{
    /// <summary>
    /// Quickstart's own defaults, sized to finish in a few minutes on 2 cores: a smaller simulated log (1,000 users,
    /// 5,000 items, 6,000 lists) and at most 6 epochs. <c>--config</c> replaces them; <c>--data</c> and <c>--epochs</c> override.
    /// </summary>
    public static RunConfig Defaults { get; } = new()
    {
        Data = new DataConfig { Synthetic = new Simulation.SyntheticConfig { Users = 1000, Items = 5000, Lists = 6000 } },
        Trainer = new TrainerConfig { Epochs = 6 },
    };

    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for the two runs (teacher/, student/) and report.json",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", "quickstart")),
        };
        var run = new RunOptions();
        var command = new Command("quickstart",
            "Train a teacher (d = 16) and a student alone (d = 8), evaluate both and the baselines, print a table. " +
            "Runs on the embedded simulator (1,000 users, 5,000 items, 6,000 logged lists) unless --data names a data set; at most 6 epochs unless --epochs.");
        run.Epochs.DefaultValueFactory = _ => Defaults.Trainer.Epochs;
        command.Options.Add(output);
        run.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var config = run.Build(parse, Defaults);
            var data = TrainCommand.Load(config with { Role = ModelRole.Teacher });
            string root = parse.GetValue(output)!.FullName;
            var teacherFolder = new RunFolder(Path.Combine(root, "teacher"));
            var studentFolder = new RunFolder(Path.Combine(root, "student"));
            var (teacher, student) = SpectreTrainingObserver.Run(observer => (
                DqnTrainer.Train(config with { Role = ModelRole.Teacher }, data, teacherFolder, observer(), "teacher"),
                DqnTrainer.Train(config with { Role = ModelRole.Student }, data, studentFolder, observer(), "student-alone")));

            var baselines = OfflineEvaluation.EvaluateBaselines(
                data.TrainLists.WithLists([.. data.TrainLists.Lists, .. data.ValidationLists.Lists]), data.TestLists, config.Seed);
            var report = new EvaluationReport(
                [ModelScores.From(teacher.Name, teacher.Test, teacher.Parameters), ModelScores.From(student.Name, student.Test, student.Parameters)],
                baselines, data.TrainLists.Source, data.Test.Count, data.Test.ValidItems);
            Tables.Evaluation(report, "quickstart: offline evaluation on the test split");
            AnsiConsole.MarkupLineInterpolated(
                $"student/teacher parameters: [bold]{(double)student.Parameters / teacher.Parameters:P1}[/]; training {teacher.ItemsPerSecond:N0} (teacher) and {student.ItemsPerSecond:N0} (student) list items/s; total {clock.Elapsed.TotalSeconds:F0} s");
            new RunFolder(root).WriteJson("report.json", report);
            AnsiConsole.MarkupLineInterpolated($"wrote {root}");
            return 0;
        }));
        return command;
    }
}
