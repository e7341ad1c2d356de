using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.Features;

namespace Drlrec.Workflows;

/// <summary>What <c>drlrec evaluate</c> scores, on which lists.</summary>
public sealed record EvaluateSettings
{
    /// <summary>Run folders (or model files) of the models to score.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Data to evaluate on, split by time as in training. Null: the first model's training data.</summary>
    public string? Data { get; init; }

    /// <summary>A separate test file. Null: the first model's test file when <see cref="Data"/> is null too, otherwise
    /// the latest lists of <see cref="Data"/>.</summary>
    public string? Test { get; init; }

    public bool SkipBadRecords { get; init; }

    /// <summary>How to split <see cref="Data"/>. Null: as the first model was trained.</summary>
    public SplitMode? Split { get; init; }

    /// <summary>Seed of the random baseline. Default 42.</summary>
    public int Seed { get; init; } = RunConfig.DefaultSeed;

    public OfflineScoring Scoring { get; init; } = OfflineScoring.Logged;

    /// <summary>The backend the models are scored with (default the checkpoints' TorchSharp networks); ONNX scores every
    /// logged list through the serving path (<see cref="SessionScorer"/>), logged scoring only.</summary>
    public ServingBackend Backend { get; init; } = ServingBackend.Torch;

    /// <summary>Score test lists a model trained or validated on (<see cref="HeldOutCheck"/>) instead of refusing; the
    /// report says they are not held out. Default false.</summary>
    public bool AllowOverlap { get; init; }
}

/// <summary><c>drlrec evaluate</c> as a library call: saved models and the baselines on the same test lists.</summary>
public static class EvaluateWorkflow
{
    public static EvaluationReport Run(EvaluateSettings settings)
    {
        if (settings.Models.Count == 0) throw new ArgumentException("--model: give at least one model");
        settings.Backend.Validate();
        if (settings.Backend.Backend != "torch" && settings.Scoring != OfflineScoring.Logged)
            throw new ArgumentException("--backend onnx scores logged lists through the serving path: only --scoring logged");
        var models = new List<LoadedModel>();
        try
        {
            foreach (string path in settings.Models) models.Add(ModelCheckpoint.Load(path));
            // The lists carry the user history fields when any model was trained with them (the others rank without).
            var data = DataSettings(models[0], settings) with { UserHistory = models.Any(m => UserHistory.In(m.Schema)) };
            var (all, testFile) = DataLoader.LoadWithTest(data);
            var (train, validation, test) = PreparedData.Split(all, testFile, data);
            var heldOut = HeldOutCheck.Run(ModelOrigin.Of(models), data, all, test);
            if (!heldOut.HeldOut && !settings.AllowOverlap) throw new InvalidDataException(heldOut.Problem);
            var report = settings.Backend.Backend == "torch"
                ? OfflineEvaluation.Run(models, train, test, settings.Seed, data.Test ?? data.Source, scoring: settings.Scoring,
                    split: data.Split, validation: validation, world: World(data))
                : ThroughServing(models, train, test, data, settings);
            return report with { HeldOut = heldOut.HeldOut, OverlapLists = heldOut.OverlapLists, HeldOutBasis = heldOut.How };
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
    }

    /// <summary>Every model's logged test lists scored through its ONNX exports as the service runs them
    /// (<see cref="SessionScorer"/>), one row per precision, beside the baselines.</summary>
    private static EvaluationReport ThroughServing(IReadOnlyList<LoadedModel> models, ListDataset train, ListDataset test,
        DataConfig data, EvaluateSettings settings)
    {
        var names = OfflineEvaluation.DisplayNames(models);
        var scored = new List<ModelScores>();
        for (int i = 0; i < models.Count; i++)
        {
            var encoded = EncodedLists.Encode(test, models[i].Vocabulary);
            using var variants = new ServingVariants(models[i], names[i], settings.Backend);
            for (int v = 0; v < variants.Scorers.Count; v++)
            {
                var scores = SessionScorer.ScoreLogged(variants.Scorers[v], encoded, models[i].Schema.FirstItemField, models[i].Schema.ItemCount);
                scored.Add(ModelScores.From(variants.Names[v], OfflineMetrics.Compute(encoded, scores), models[i].Online.ParameterCount));
            }
        }
        return new EvaluationReport(scored, OfflineEvaluation.EvaluateBaselines(train, test, settings.Seed, World(data)), data.Test ?? data.Source,
            test.Lists.Count, test.ItemCount, settings.Scoring, data.Split);
    }

    /// <summary>The simulator that logged the data, when it is the simulator's (for the true click probability row).</summary>
    private static Simulation.SyntheticSimulator? World(DataConfig data) =>
        data.Test is null && DataLoader.IsSynthetic(data.Source)
            ? new Simulation.SyntheticSimulator(data.Synthetic with { ListLength = data.MaxListLength }) : null;

    /// <summary>The model's training data settings (split fractions, list length, simulator) with the settings' data.</summary>
    public static DataConfig DataSettings(LoadedModel model, EvaluateSettings settings)
    {
        var trained = model.TrainingData;
        return trained with
        {
            Source = settings.Data ?? trained.Source,
            Test = settings.Test ?? (settings.Data is null ? trained.Test : null),
            SkipBadRecords = settings.SkipBadRecords,
            Split = settings.Split ?? trained.Split,
        };
    }
}
