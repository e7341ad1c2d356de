using Drlrec.Evaluation;
using Drlrec.Features;

namespace Drlrec.Tests.Evaluation;

public sealed class OnlineEvaluationTests
{
    [Fact]
    public void Summary_is_the_mean_with_a_95_percent_student_t_interval()
    {
        // mean 2.5; sample sd √(5/3) = 1.290994; t(3) = 3.182 → half width 3.182 · 1.290994 / √4 = 2.053972
        var summary = OnlineEvaluation.Summarise("p", [1, 2, 3, 4]);

        Assert.Equal("p", summary.Policy);
        Assert.Equal(2.5, summary.Mean, 9);
        Assert.Equal(2.5 - 2.053972, summary.CiLow, 5);
        Assert.Equal(2.5 + 2.053972, summary.CiHigh, 5);
        Assert.Equal([1.0, 2, 3, 4], summary.PerSeed);
        // two values: t(1) = 12.706, sd √2·0.5 → half width 12.706 · 0.707107 / √2 = 6.353
        var two = OnlineEvaluation.Summarise("q", [1, 2]);
        Assert.Equal(1.5 - 6.353, two.CiLow, 9);
        Assert.Equal(1.5 + 6.353, two.CiHigh, 9);
    }

    [Fact]
    public void One_value_has_no_interval()
    {
        var summary = OnlineEvaluation.Summarise("p", [0.7]);

        Assert.Equal(0.7, summary.Mean);
        Assert.True(double.IsNaN(summary.CiLow) && double.IsNaN(summary.CiHigh));
    }

    [Fact]
    public void Critical_values_come_from_the_t_table_up_to_30_degrees_of_freedom_and_1_96_beyond()
    {
        Assert.Equal(12.706, Statistics.TCritical95(1));
        Assert.Equal(4.303, Statistics.TCritical95(2));
        Assert.Equal(2.228, Statistics.TCritical95(10));
        Assert.Equal(2.042, Statistics.TCritical95(30));
        Assert.Equal(1.96, Statistics.TCritical95(31));
        Assert.Equal(1.96, Statistics.TCritical95(1000));
    }
}

public sealed class OfflineBaselineTests
{
    [Fact]
    public void Baselines_are_fitted_on_exactly_the_training_lists_the_models_learn_from()
    {
        var data = Drlrec.Data.Loading.PreparedData.Prepare(Support.ToyData.Lists(300, seed: 8), null, new Configuration.DataConfig(),
            new Configuration.FeatureConfig { ItemStatistics = false });
        var fair = OfflineEvaluation.EvaluateBaselines(data, seed: 1);
        var onTrain = OfflineEvaluation.EvaluateBaselines(data.TrainLists, data.TestLists, seed: 1);
        var withValidation = OfflineEvaluation.EvaluateBaselines(
            data.TrainLists.WithLists([.. data.TrainLists.Lists, .. data.ValidationLists.Lists]), data.TestLists, seed: 1);
        Assert.Equal(onTrain[OfflineEvaluation.ItemPopularity], fair[OfflineEvaluation.ItemPopularity]);
        Assert.NotEqual(withValidation[OfflineEvaluation.ItemPopularity], fair[OfflineEvaluation.ItemPopularity]);
    }
}

public sealed class DiagnosticBaselineTests
{
    /// <summary>Three lists whose items carry upstream scores (one missing): the row scores each item by its own score, the
    /// missing one below every other, so each list's NDCG is that of the order sorted by hand.</summary>
    [Fact]
    public void The_upstream_score_row_scores_each_item_by_the_score_it_came_with()
    {
        var schema = new global::Drlrec.Data.ListSchema([
            new global::Drlrec.Data.FieldSpec("user", global::Drlrec.Data.FieldGroup.User), new global::Drlrec.Data.FieldSpec("item", global::Drlrec.Data.FieldGroup.Item),
            new global::Drlrec.Data.FieldSpec(Baselines.UpstreamScoreField, global::Drlrec.Data.FieldGroup.Item, global::Drlrec.Data.FieldKind.Dense),
            new global::Drlrec.Data.FieldSpec("position", global::Drlrec.Data.FieldGroup.Context)]);
        global::Drlrec.Data.LoggedItem Item(string key, double? score, float reward, int position) =>
            new(key, [["u"], [key], global::Drlrec.Data.DenseValue.Set(score), [position.ToString(System.Globalization.CultureInfo.InvariantCulture)]], reward);
        var lists = new global::Drlrec.Data.ListDataset(schema, [
            new global::Drlrec.Data.LoggedList("a", "u", 1, [Item("i1", 0.5, 0, 1), Item("i2", 2.0, 1, 2), Item("i3", -1, 0, 3)]),
            new global::Drlrec.Data.LoggedList("b", "u", 2, [Item("i4", null, 1, 1), Item("i5", 0.1, 0, 2)]),
        ], "hand");
        var scores = Baselines.UpstreamScore(lists, maxLength: 3)!;
        Assert.Equal([0.5f, 2.0f, -1f, -2f, 0.1f, 0f], scores);                                // missing: lowest (−1) minus 1
        // By hand: list a sorted by score puts its click first (NDCG 1); list b puts its click (the missing score) last.
        var encoded = global::Drlrec.Features.EncodedLists.Encode(lists, global::Drlrec.Features.FeatureVocabulary.Fit(lists, new global::Drlrec.Configuration.FeatureConfig()));
        var metrics = OfflineMetrics.Compute(encoded, scores);
        double listB = (1 / Math.Log2(3)) / 1.0;                                               // the click at rank 2 of 2
        Assert.Equal((1 + listB) / 2, metrics.Ndcg10, 6);
        Assert.Null(Baselines.UpstreamScore(Support.ToyData.Lists(3), 6));                     // no such field: no row
    }

    /// <summary>The ceiling row is the simulator's own click probabilities of the logged lists, read back from their fields.</summary>
    [Fact]
    public void The_true_probability_row_equals_the_simulators_probabilities_of_the_logged_lists()
    {
        var config = new global::Drlrec.Simulation.SyntheticConfig { Users = 50, Items = 1000, Lists = 30, Exit = 1, QualityCategoryShare = 0.5 };
        var world = new global::Drlrec.Simulation.SyntheticSimulator(config);
        var logs = world.GenerateLogs();
        var scores = Baselines.TrueClickProbability(logs, world, world.ListLength);
        var again = new global::Drlrec.Simulation.SyntheticSimulator(config);
        for (int i = 0; i < logs.Lists.Count; i++)
        {
            var list = logs.Lists[i];
            var items = list.Items.Select(item => again.IndexOf(item.ItemKey)).ToArray();
            var user = int.Parse(list.UserKey[1..], System.Globalization.CultureInfo.InvariantCulture);
            int hour = int.Parse(list.Items[0].Values[logs.Schema.IndexOf("hour")][0][1..], System.Globalization.CultureInfo.InvariantCulture);
            int device = int.Parse(list.Items[0].Values[logs.Schema.IndexOf("device")][0][1..], System.Globalization.CultureInfo.InvariantCulture);
            var request = new global::Drlrec.Simulation.SimRequest(list.ListId, user, hour, device, list.Timestamp, [.. items, .. Enumerable.Range(0, 1000).Except(items).Take(40)]);
            var expected = again.ClickProbabilities(request, items);
            for (int t = 0; t < items.Length; t++) Assert.Equal((float)expected[t], scores[i * world.ListLength + t]);
        }
        // They are probabilities of the sampled clicks: their mean is the log's click rate within sampling error.
        double rate = logs.Lists.Average(l => l.Items.Average(item => item.Reward)), mean = scores.Average();
        Assert.InRange(mean - rate, -0.05, 0.05);
        var error = Assert.Throws<ArgumentException>(() => world.ClickProbabilitiesOf(
            logs.Lists[0] with { UserKey = "someone" }, logs.Schema));
        Assert.Contains("user key 'someone'", error.Message);
    }
}

/// <summary>The diagnostic oracles of <c>evaluate --online --diagnose</c>.</summary>
public sealed class DiagnosticOracleTests
{
    [Fact]
    public void The_relevance_oracle_sorts_by_true_attractiveness_and_the_greedy_oracle_is_never_below_it()
    {
        var world = new global::Drlrec.Simulation.SyntheticSimulator(new global::Drlrec.Simulation.SyntheticConfig { Users = 50, Items = 1000, Lists = 10 });
        var rng = new Random(5);
        double greedy = 0, relevance = 0, believing = 0;
        for (int r = 0; r < 200; r++)
        {
            var request = world.NextRequest(rng);
            var order = world.RelevanceOracleOrder(request);
            var logits = order.Select(i => world.AttractionLogit(request, i)).ToArray();
            Assert.True(logits.Zip(logits.Skip(1), (a, b) => a >= b).All(x => x), "most attractive first");
            Assert.True(request.Candidates.Except(order).All(i => world.AttractionLogit(request, i) <= logits[^1]), "the top ones");
            greedy += world.ExpectedClicks(request, world.OracleOrder(request));
            relevance += world.ExpectedClicks(request, order);
            believing += world.ExpectedClicks(request, world.UpstreamBelievingOracleOrder(request));
        }
        // Fatigue makes the greedy oracle's list better than the relevance order; believing the upstream's error costs clicks.
        Assert.True(greedy > relevance && greedy > believing, $"greedy {greedy}, relevance {relevance}, believing upstream {believing}");
    }
}
