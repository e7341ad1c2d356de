using System.CommandLine;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Evaluation;
using Drlrec.IO;
using Drlrec.Workflows;
using Spectre.Console;

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
        source.Split.Description = "How to split the data: time or user-time. Default: as the first model was trained";
        var models = ModelOptions.Many("A run folder (or model.ckpt); required, except with --online, where none measures the baselines and oracles alone");
        var json = CommonOptions.Json("the report");
        var seed = CommonOptions.Seed("Seed of the random baseline");
        var scoring = new Option<string>("--scoring")
        {
            Description = "logged: Q(s_t, i_t) along each logged list (docs/method.md, reference code); first-slot: every item of a list " +
                          "scored in the same state (placed first), without the episodic offset of Q across positions; position-centred: logged minus " +
                          "each position's mean Q on the validation lists (keeps the prefix, removes the offset)",
            DefaultValueFactory = _ => "logged",
        };
        scoring.AcceptOnlyFromAmong("logged", "first-slot", "position-centred");
        var online = new Option<bool>("--online")
        {
            Description = "Online instead of offline: the models re-rank simulated requests (each candidate with the upstream ranker's " +
                          "score and rank) beside the upstream order, a diversity re-rank of it (tuned on validation requests), the logging policy, " +
                          "random and the greedy and lookahead oracles; expected clicks per list",
            DefaultValueFactory = _ => false,
        };
        var synthetic = new Option<FileInfo?>("--synthetic")
        {
            Description = "With --online: the simulator's settings (the data.synthetic shape of a run's config, e.g. experiments/worlds/exit.json). " +
                          "Default: the world the first model was trained on; without --model, the default world",
        };
        var requests = new Option<int>("--requests") { Description = "With --online: simulated requests", DefaultValueFactory = _ => 1000 };
        var candidates = new Option<int?>("--candidates")
        {
            Description = "With --online or --ope: the models and the diversity re-rank baseline re-rank the upstream ranker's top N of each request's " +
                          "(each logged list's) candidates (default: all of them)",
        };
        var ope = new Option<bool>("--ope")
        {
            Description = "Off-policy instead of offline: each model's (and the upstream order's, the diversity re-rank's, random's) expected clicks " +
                          "per list estimated from logged lists with propensities and unshown candidates (direct method, RIPS, self-normalised RIPS, " +
                          "Cascade-DR, clipped Cascade-DR (the default), self-normalised independent IPS), each with a 95% bootstrap interval and its effective sample size",
            DefaultValueFactory = _ => false,
        };
        var opeLists = new Option<string>("--ope-lists")
        {
            Description = "With --ope: test (the held-out lists: report) or validation (choose among variants there, keep the test lists for the report)",
            DefaultValueFactory = _ => "test",
        };
        opeLists.AcceptOnlyFromAmong("test", "validation");
        var opeOptions = new OpeOptions();

        var diagnose = new Option<bool>("--diagnose")
        {
            Description = "With --online: also the diagnostic policies that split a model's gap to the oracle: the greedy oracle and a " +
                          "relevance-only oracle (true attractiveness, no list effect) on the models' candidates, and each model with a " +
                          "same-category penalty on top of its Q (tuned on 200 validation requests; a diagnostic, not a ranker to ship)",
            DefaultValueFactory = _ => false,
        };
        var allowOverlap = new Option<bool>("--allow-overlap")
        {
            Description = "Score test lists that a model (or a student's teacher) trained or validated on, instead of refusing (as happens when " +
                          "--split, --data or --test differ from its training); the table and the JSON then say held_out: false, with the count",
            DefaultValueFactory = _ => false,
        };
        var backend = new Option<string>("--backend")
        {
            Description = "torch: the checkpoints' networks; onnx: each model exported and run in ONNX Runtime as the service runs it " +
                          "(offline: every logged list scored through the serving path, logged scoring only)",
            DefaultValueFactory = _ => "torch",
        };
        backend.AcceptOnlyFromAmong("torch", "onnx");
        var quantize = CommonOptions.Quantize("int8 (with --backend onnx): score each model twice, its float32 export then its int8 " +
                                              "export; online, the report pairs the two (clicks difference with its 95% interval over the same requests)");

        var command = new Command("evaluate", "Evaluate saved models and the item-popularity and random baselines: AUC, GAUC, NDCG@5, NDCG@10, " +
                                              "on test lists none of the models trained or validated on (others are refused unless --allow-overlap).");
        source.AddTo(command);
        foreach (var option in new Option[] { models, json, seed, scoring, allowOverlap, online, synthetic, requests, candidates, diagnose, backend, quantize, ope, opeLists })
            command.Options.Add(option);
        opeOptions.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var serving = new ServingBackend(parse.GetValue(backend)!, Onnx.OnnxPrecisions.Parse(parse.GetValue(quantize)!));
            serving.Validate();
            if (parse.GetValue(diagnose) && !parse.GetValue(online)) throw new ArgumentException("--diagnose: only with --online");
            if (parse.GetValue(ope))
            {
                if (parse.GetValue(online)) throw new ArgumentException("--ope and --online: choose one (--ope estimates from logs, --online asks the simulator)");
                var opeSettings = new OpeEvaluateSettings
                {
                    Models = parse.GetValue(models) ?? [], Data = parse.GetValue(source.Data), Test = parse.GetValue(source.Test),
                    SkipBadRecords = parse.GetValue(source.SkipBadRecords), Split = source.SplitFrom(parse), AllowOverlap = parse.GetValue(allowOverlap),
                    Lists = parse.GetValue(opeLists) == "validation" ? OpeLists.Validation : OpeLists.Test,
                    Ope = opeOptions.Settings(parse, parse.GetValue(candidates), parse.GetValue(seed)), Diversity = opeOptions.DiversityFrom(parse),
                    Backend = serving,
                };
                opeSettings.Ope.Validate();
                OpeReport opeReport = null!;
                AnsiConsole.Progress().Start(ctx =>
                {
                    ProgressTask? task = null;
                    opeReport = OpeWorkflow.Run(opeSettings, n => task?.Increment(n), lists => task = ctx.AddTask("logged lists", maxValue: lists));
                });
                Tables.OffPolicy(opeReport);
                if (parse.GetValue(json) is { } opeFile)
                {
                    Json.WriteFile(opeFile.FullName, new { Ope = opeReport });
                    Report.Wrote(opeFile.FullName);
                }
                return 0;
            }
            if (parse.GetValue(online))
            {
                if (parse.GetValue(source.Data) is not null || parse.GetValue(source.Test) is not null)
                    throw new ArgumentException("--online runs on the simulator: give --synthetic FILE for another world, not --data or --test");
                var onlineSettings = new OnlineSettings
                {
                    Models = parse.GetValue(models) ?? [], Synthetic = parse.GetValue(synthetic)?.FullName,
                    Requests = parse.GetValue(requests), Seed = parse.GetValue(seed), Candidates = parse.GetValue(candidates),
                    Backend = serving, Diagnose = parse.GetValue(diagnose),
                };
                OnlineReport onlineReport = null!;
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("simulated requests", maxValue: onlineSettings.Requests);
                    onlineReport = OnlineWorkflow.Run(onlineSettings, n => task.Increment(n));
                });
                Tables.Online(onlineReport);
                if (parse.GetValue(json) is { } onlineFile)
                {
                    Json.WriteFile(onlineFile.FullName, new { Online = onlineReport });
                    Report.Wrote(onlineFile.FullName);
                }
                return 0;
            }

            var settings = new EvaluateSettings
            {
                Models = parse.GetValue(models) ?? [],
                Data = parse.GetValue(source.Data),
                Test = parse.GetValue(source.Test),
                SkipBadRecords = parse.GetValue(source.SkipBadRecords),
                Split = source.SplitFrom(parse),
                Seed = parse.GetValue(seed),
                AllowOverlap = parse.GetValue(allowOverlap),
                Scoring = parse.GetValue(scoring) switch
                {
                    "first-slot" => OfflineScoring.FirstSlot,
                    "position-centred" => OfflineScoring.PositionCentred,
                    _ => OfflineScoring.Logged,
                },
                Backend = serving,
            };
            var report = Busy.While("loading data and scoring", () => EvaluateWorkflow.Run(settings));
            Tables.Evaluation(report, $"offline evaluation (test split by {(report.Split == Configuration.SplitMode.UserTime ? "user-time" : "time")}, {parse.GetValue(scoring)} scoring)");
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
