using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Data.Loading;
using Drlrec.Workflows;

namespace Drlrec.Cli.Commands;

/// <summary>
/// <c>drlrec quickstart</c>: the README's main command. Trains a teacher and a student alone on the same data,
/// evaluates both and the baselines on the test split, and prints one table.
/// </summary>
public static class QuickstartCommand
{
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
        run.Epochs.DefaultValueFactory = _ => QuickstartWorkflow.Defaults.Trainer.Epochs;
        command.Options.Add(output);
        run.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var config = run.Build(parse, QuickstartWorkflow.Defaults);
            var data = Busy.While($"loading {config.Data.Source}", () => DataLoader.Prepare(config));
            Report.Data(data);
            string root = parse.GetValue(output)!.FullName;
            var result = SpectreTrainingObserver.Run(observer => QuickstartWorkflow.Run(config, data, root, observer));
            Tables.Evaluation(result.Report, "quickstart: offline evaluation on the test split");
            var (teacher, student) = (result.Teacher, result.Student);
            AnsiConsole.MarkupLineInterpolated(
                $"student/teacher parameters: [bold]{(double)student.Parameters / teacher.Parameters:P1}[/]; training {teacher.ItemsPerSecond:N0} (teacher) and {student.ItemsPerSecond:N0} (student) list items/s; total {clock.Elapsed.TotalSeconds:F0} s");
            Report.Wrote(root);
            return 0;
        }));
        return command;
    }
}
