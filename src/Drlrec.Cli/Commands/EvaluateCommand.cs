using System.CommandLine;
using Drlrec.Cli.Output;
using Drlrec.Configuration;
using System.Text.Json;
using Drlrec.Evaluation;
using Drlrec.Training;
using Spectre.Console;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec evaluate</c>: scores saved models and the baselines on the same test lists.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data")
        {
            Description = "Data to evaluate on; its latest lists (by time, the fraction used in training) are the test set " +
                          "unless --test is given. Default: the data the first model was trained on, split as in its training",
        };
        var test = new Option<string?>("--test") { Description = "Separate test file (then all of --data is training data for the baselines)" };
        var models = new Option<string[]>("--model")
        {
            Description = "A run folder (or model.ckpt); repeat for several models",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the report as JSON to this file" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random baseline", DefaultValueFactory = _ => 42 };
        var scoring = new Option<string>("--scoring")
        {
            Description = "logged: Q(s_t, i_t) along each logged list (METHOD.md, reference code); first-slot: every item of a list " +
                          "scored in the same state (placed first), without the episodic offset of Q across positions",
            DefaultValueFactory = _ => "logged",
        };
        scoring.AcceptOnlyFromAmong("logged", "first-slot");
        var skip = new Option<bool>("--skip-bad-records") { Description = "Skip malformed records instead of failing", DefaultValueFactory = _ => false };

        var command = new Command("evaluate", "Evaluate saved models and the item-popularity and random baselines: AUC, GAUC, NDCG@5, NDCG@10.");
        foreach (var option in new Option[] { data, test, models, json, seed, scoring, skip }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var loaded = parse.GetValue(models)!.Select(ModelCheckpoint.Load).ToList();
            try
            {
                var trained = TrainingData(loaded[0].Header);
                var dataConfig = trained with
                {
                    Source = parse.GetValue(data) ?? trained.Source,
                    Test = parse.GetValue(data) is null && !RunOptions.Given(parse, test) ? trained.Test : parse.GetValue(test),
                    SkipBadRecords = parse.GetValue(skip),
                };
                var (train, testLists) = AnsiConsole.Status().Start("loading data", _ => DataLoader.LoadSplit(dataConfig));
                var report = OfflineEvaluation.Run(loaded, train, testLists, parse.GetValue(seed), dataConfig.Test ?? dataConfig.Source,
                    scoring: parse.GetValue(scoring) == "first-slot" ? OfflineScoring.FirstSlot : OfflineScoring.Logged);
                Tables.Evaluation(report, $"offline evaluation (test split, {parse.GetValue(scoring)} scoring)");
                if (parse.GetValue(json) is { } file)
                {
                    AtomicFile.WriteAllText(file.FullName, Json.Serialize(report) + "\n");
                    AnsiConsole.MarkupLineInterpolated($"wrote {file.FullName}");
                }
                return 0;
            }
            finally
            {
                foreach (var model in loaded) model.Dispose();
            }
        }));
        return command;
    }

    /// <summary>The data settings the model was trained with (source, split fractions, list length, simulator).</summary>
    public static DataConfig TrainingData(CheckpointHeader header) =>
        header.RunConfig is { } run && run.TryGetProperty("data", out var d)
            ? d.Deserialize<DataConfig>(Json.Lenient) ?? new DataConfig()
            : new DataConfig();
}
