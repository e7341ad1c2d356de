using System.Text.Json.Serialization;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Features;
using Drlrec.Simulation;

namespace Drlrec.Evaluation;

/// <summary>One model's offline scores in an evaluation report.</summary>
public sealed record ModelScores(
    string Name,
    double Auc,
    double Gauc,
    [property: JsonPropertyName("ndcg@5")] double Ndcg5,
    [property: JsonPropertyName("ndcg@10")] double Ndcg10,
    long Params)
{
    public static ModelScores From(string name, OfflineMetrics m, long parameters) => new(name, m.Auc, m.Gauc, m.Ndcg5, m.Ndcg10, parameters);
}

/// <summary>A baseline's offline scores.</summary>
public sealed record BaselineScores(
    double Auc,
    double Gauc,
    [property: JsonPropertyName("ndcg@5")] double Ndcg5,
    [property: JsonPropertyName("ndcg@10")] double Ndcg10)
{
    public static BaselineScores From(OfflineMetrics m) => new(m.Auc, m.Gauc, m.Ndcg5, m.Ndcg10);
}

/// <summary>What <c>drlrec evaluate --json</c> writes. <paramref name="HeldOut"/>: no test list was among the lists any
/// model trained or validated on (<see cref="HeldOutCheck"/>); false only under <c>--allow-overlap</c>, with
/// <paramref name="OverlapLists"/> such test lists (null: not checkable) and <paramref name="HeldOutBasis"/> saying how
/// it was established.</summary>
public sealed record EvaluationReport(
    IReadOnlyList<ModelScores> Models,
    IReadOnlyDictionary<string, BaselineScores> Baselines,
    string Data,
    int TestLists,
    int TestItems,
    OfflineScoring Scoring = OfflineScoring.Logged,
    SplitMode Split = SplitMode.Time,
    bool HeldOut = true,
    int? OverlapLists = 0,
    string HeldOutBasis = "the split of the data each model was trained on");

/// <summary>Scores saved models and the baselines on the same test lists with the same metric code.</summary>
public static class OfflineEvaluation
{
    public const string ItemPopularity = "item_popularity";
    public const string Random = "random";
    /// <summary>The upstream ranker's own score (<see cref="Baselines.UpstreamScore"/>), where the data carry it.</summary>
    public const string UpstreamScore = "upstream_score";
    /// <summary>The simulator's true click probability of each logged item: the ceiling on simulator data.</summary>
    public const string TrueClickProbability = "true_click_probability";

    /// <param name="train">The lists the models trained on (the baselines are fitted on them).</param>
    /// <param name="validation">The validation lists (needed by <see cref="OfflineScoring.PositionCentred"/>).</param>
    public static EvaluationReport Run(IReadOnlyList<LoadedModel> models, ListDataset train, ListDataset test, int seed,
        string dataName, int batchSize = 512, OfflineScoring scoring = OfflineScoring.Logged, SplitMode split = SplitMode.Time,
        ListDataset? validation = null, SyntheticSimulator? world = null)
    {
        var names = DisplayNames(models);
        var scored = new List<ModelScores>();
        for (int i = 0; i < models.Count; i++)
        {
            var encoded = EncodedLists.Encode(test, models[i].Vocabulary);
            var reference = validation is null ? null : EncodedLists.Encode(validation, models[i].Vocabulary);
            var metrics = QScorer.Evaluate(models[i].Online, encoded, batchSize, scoring, models[i].Layout, reference);
            scored.Add(ModelScores.From(names[i], metrics, models[i].Online.ParameterCount));
        }
        return new EvaluationReport(scored, EvaluateBaselines(train, test, seed, world), dataName, test.Lists.Count, test.ItemCount, scoring, split);
    }

    /// <summary>The baselines on prepared data: fitted on exactly the lists the models train on (the validation lists
    /// only choose the models' epoch), scored on the test lists.</summary>
    public static IReadOnlyDictionary<string, BaselineScores> EvaluateBaselines(PreparedData data, int seed, SyntheticSimulator? world = null) =>
        EvaluateBaselines(data.TrainLists, data.TestLists, seed, world);

    /// <summary>Item popularity (fitted on <paramref name="train"/>) and random scores on <paramref name="test"/>; where the
    /// lists carry an <c>upstream_score</c> item field, the order the re-ranker was given (<see cref="UpstreamScore"/>); and
    /// when <paramref name="world"/> is the simulator that logged them, its true click probabilities
    /// (<see cref="TrueClickProbability"/>, the ceiling).</summary>
    public static IReadOnlyDictionary<string, BaselineScores> EvaluateBaselines(ListDataset train, ListDataset test, int seed,
        SyntheticSimulator? world = null)
    {
        var vocabulary = FeatureVocabulary.Fit(train, new FeatureConfig()); // baselines use only item keys and rewards
        var trainEncoded = EncodedLists.Encode(train, vocabulary);
        var testEncoded = EncodedLists.Encode(test, vocabulary);
        var result = new Dictionary<string, BaselineScores>
        {
            [ItemPopularity] = BaselineScores.From(OfflineMetrics.Compute(testEncoded, Baselines.ItemPopularity(trainEncoded, testEncoded))),
            [Random] = BaselineScores.From(OfflineMetrics.Compute(testEncoded, Baselines.Random(testEncoded, seed))),
        };
        if (Baselines.UpstreamScore(test, testEncoded.MaxLength) is { } upstream)
            result[UpstreamScore] = BaselineScores.From(OfflineMetrics.Compute(testEncoded, upstream));
        if (world is not null && DataLoader.IsSynthetic(test.Source))
            result[TrueClickProbability] = BaselineScores.From(OfflineMetrics.Compute(testEncoded, Baselines.TrueClickProbability(test, world, testEncoded.MaxLength)));
        return result;
    }

    /// <summary>Checkpoint names, made unique with the folder name where two models share one.</summary>
    public static string[] DisplayNames(IReadOnlyList<LoadedModel> models)
    {
        var names = models.Select(m => m.Name).ToArray();
        for (int i = 0; i < names.Length; i++)
            if (names.Count(n => n == names[i]) > 1)
                names[i] = $"{models[i].Name} ({Path.GetFileName(Path.GetDirectoryName(models[i].Path))})";
        return names;
    }
}
