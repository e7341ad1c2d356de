using System.CommandLine;
using Drlrec.Cli.Output;
using Drlrec.Training;
using Spectre.Console;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec train</c>: trains a teacher, or a student alone, with Double DQN.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var role = new Option<ModelRole>("--role")
        {
            Description = "teacher (d = 16) or student (d = 8, trained alone; use 'distill' to train it from a teacher)",
            DefaultValueFactory = _ => ModelRole.Teacher,
        };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Run folder: config.json, metrics.jsonl, model.ckpt, training-curves.png, result.json",
            Required = true,
        };
        var run = new RunOptions();
        var command = new Command("train", "Train a Q-network with Double DQN on logged lists (early stopping on a validation split).");
        command.Options.Add(role);
        command.Options.Add(output);
        run.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var config = run.Build(parse);
            if (RunOptions.Given(parse, role) || parse.GetValue(run.Config) is null) config = config with { Role = parse.GetValue(role) };
            config = config.Resolve();
            var data = Load(config);
            var folder = new RunFolder(parse.GetValue(output)!.FullName);
            var result = SpectreTrainingObserver.Run(observer => DqnTrainer.Train(config, data, folder, observer()));
            Report(result, folder);
            return 0;
        }));
        return command;
    }

    public static PreparedData Load(RunConfig config)
    {
        var data = AnsiConsole.Status().Start($"loading {Markup.Escape(config.Data.Source)}", _ => DataLoader.Prepare(config));
        var report = data.TrainLists.Report;
        AnsiConsole.MarkupLineInterpolated(
            $"data: [bold]{data.TrainLists.Source}[/]  train {data.Train.Count:N0} lists ({data.Train.ValidItems:N0} items), validation {data.Validation.Count:N0}, test {data.Test.Count:N0}; {data.Schema.Count} fields, {data.Vocabulary.Rows:N0} embedding rows");
        if (report.RecordsSkipped > 0)
            AnsiConsole.MarkupLineInterpolated($"[yellow]skipped {report.RecordsSkipped} malformed records[/] (first: {report.SkippedExamples.FirstOrDefault()})");
        return data;
    }

    public static void Report(TrainResult result, RunFolder folder)
    {
        Tables.Parameters(result);
        AnsiConsole.MarkupLineInterpolated(
            $"{result.Name}: best epoch {result.BestEpoch}, validation AUC {result.Validation.Auc:F4}; test AUC [bold]{result.Test.Auc:F4}[/], GAUC {result.Test.Gauc:F4}, NDCG@10 {result.Test.Ndcg10:F4}; {result.ItemsPerSecond:N0} list items/s");
        AnsiConsole.MarkupLineInterpolated($"wrote {folder.Path}");
    }
}
