using System.CommandLine;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Evaluation;
using Drlrec.IO;
using Drlrec.Workflows;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec evaluate</c>: scores saved models and the baselines on the same test lists.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var source = DataSourceOptions.FromModel(
            "Data to evaluate on; its latest lists (by time, the fraction used in training) are the test set unless --test is given. " +
            "Default: the data the first model was trained on, split as in its training",
            "Separate test file (then all of --data is training data for the baselines)");
        var models = ModelOptions.Many("A run folder (or model.ckpt)");
        models.Required = true;
        var json = CommonOptions.Json("the report");
        var seed = CommonOptions.Seed("Seed of the random baseline");
        var scoring = new Option<string>("--scoring")
        {
            Description = "logged: Q(s_t, i_t) along each logged list (docs/method.md, reference code); first-slot: every item of a list " +
                          "scored in the same state (placed first), without the episodic offset of Q across positions",
            DefaultValueFactory = _ => "logged",
        };
        scoring.AcceptOnlyFromAmong("logged", "first-slot");

        var command = new Command("evaluate", "Evaluate saved models and the item-popularity and random baselines: AUC, GAUC, NDCG@5, NDCG@10.");
        source.AddTo(command);
        foreach (var option in new Option[] { models, json, seed, scoring }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var settings = new EvaluateSettings
            {
                Models = parse.GetValue(models)!,
                Data = parse.GetValue(source.Data),
                Test = parse.GetValue(source.Test),
                SkipBadRecords = parse.GetValue(source.SkipBadRecords),
                Seed = parse.GetValue(seed),
                Scoring = parse.GetValue(scoring) == "first-slot" ? OfflineScoring.FirstSlot : OfflineScoring.Logged,
            };
            var report = Busy.While("loading data and scoring", () => EvaluateWorkflow.Run(settings));
            Tables.Evaluation(report, $"offline evaluation (test split, {parse.GetValue(scoring)} scoring)");
            if (parse.GetValue(json) is { } file)
            {
                Json.WriteFile(file.FullName, report);
                Report.Wrote(file.FullName);
            }
            return 0;
        }));
        return command;
    }
}
