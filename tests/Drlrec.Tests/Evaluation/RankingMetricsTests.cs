using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Evaluation;

public sealed class RankingMetricsTests
{
    [Fact]
    public void Auc_counts_correctly_ordered_positive_negative_pairs()
    {
        // pairs (pos, neg): (.35,.1) ok, (.35,.4) wrong, (.8,.1) ok, (.8,.4) ok → 3/4
        Assert.Equal(0.75, RankingMetrics.Auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 12);
    }

    [Fact]
    public void Auc_counts_a_tied_pair_as_one_half()
    {
        // positives .5 and .2, negatives .5 .5: (.5,.5) ½ twice, (.2,.5) 0 twice → 1/4
        Assert.Equal(0.25, RankingMetrics.Auc([0.5, 0.5, 0.5, 0.2], [1, 0, 0, 1]), 12);
        Assert.Equal(0.5, RankingMetrics.Auc([1, 1, 1, 1], [1, 0, 1, 0]), 12);
    }

    [Fact]
    public void Auc_is_undefined_without_both_classes_and_treats_graded_rewards_as_positive()
    {
        Assert.True(double.IsNaN(RankingMetrics.Auc([0.1, 0.2], [0, 0])));
        Assert.Equal(1.0, RankingMetrics.Auc([0.1, 0.9], [0, 2.5f]), 12);
    }

    [Fact]
    public void Non_finite_scores_are_an_error_not_numbers_to_sort()
    {
        Assert.Contains("score 1 is NaN", Assert.Throws<InvalidDataException>(() => RankingMetrics.Auc([0.1, double.NaN, 0.3], [0, 1, 1])).Message);
        Assert.Throws<InvalidDataException>(() => RankingMetrics.Auc([double.PositiveInfinity, 0.2], [0, 1]));
        Assert.Throws<InvalidDataException>(() => RankingMetrics.Gauc([0.1, double.NaN], [0, 1], [7, 7]));
        Assert.Throws<InvalidDataException>(() => RankingMetrics.Ndcg([double.NaN, 0.2], [1, 0], 2));
    }

    [Fact]
    public void Gauc_weights_each_users_auc_by_the_users_items_and_skips_one_class_users()
    {
        // user 0: AUC 1 over 2 items; user 1: AUC 0 over 3 items; user 2 has no positive → skipped. (2·1 + 3·0) / 5
        double gauc = RankingMetrics.Gauc([0.9, 0.1, 0.2, 0.8, 0.5, 0.3, 0.6], [1, 0, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 2, 2]);
        Assert.Equal(0.4, gauc, 12);
    }

    [Fact]
    public void Ndcg_matches_the_hand_computed_value()
    {
        // DCG = 0 + 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3)
        double expected = (1 / Math.Log2(3) + 0.5) / (1 + 1 / Math.Log2(3));
        Assert.Equal(expected, RankingMetrics.Ndcg([0.9, 0.8, 0.7], [0, 1, 1], 3), 12);
        Assert.Equal(0.0, RankingMetrics.Ndcg([0.9, 0.8, 0.7], [0, 1, 1], 1), 12);
        Assert.Equal(1.0, RankingMetrics.Ndcg([0.1, 0.8, 0.7], [0, 1, 1], 3), 12);
    }

    [Fact]
    public void Ndcg_gives_tied_scores_the_expected_dcg_over_their_orders()
    {
        // tie of (1, 0): each rank earns gain ½ → ½·1 + ½/log2(3); IDCG = 1
        Assert.Equal(0.5 + 0.5 / Math.Log2(3), RankingMetrics.Ndcg([0.5, 0.5], [1, 0], 2), 12);
        Assert.Equal(0.5, RankingMetrics.Ndcg([0.5, 0.5], [1, 0], 1), 12);
        Assert.True(double.IsNaN(RankingMetrics.Ndcg([0.5, 0.2], [0, 0], 2)));
    }

    [Fact]
    public void Offline_metrics_ignore_padded_positions_and_lists_without_positives()
    {
        var lists = ToyData.Lists(30, seed: 9);
        var data = EncodedLists.Encode(lists, FeatureVocabulary.Fit(lists, new()));
        // Oracle scores = rewards: AUC 1, NDCG 1; padded positions get absurd scores that must be ignored.
        var scores = data.Rewards.Select((r, i) => i % data.MaxLength < data.Lengths[i / data.MaxLength] ? r : 99f).ToArray();
        var metrics = OfflineMetrics.Compute(data, scores);
        Assert.Equal(1.0, metrics.Auc, 12);
        Assert.Equal(1.0, metrics.Ndcg10, 12);
        Assert.Equal(data.ValidItems, metrics.Items);
    }

    [Fact]
    public void Popularity_baseline_scores_smoothed_training_like_rates_and_random_is_near_one_half()
    {
        var lists = ToyData.Lists(200, seed: 2);
        var vocabulary = FeatureVocabulary.Fit(lists, new());
        var data = EncodedLists.Encode(lists, vocabulary);
        var popularity = Baselines.ItemPopularity(data, data);
        // hand-compute for the first item: (clicks + 5·p̄) / (shown + 5)
        string key = data.ItemKeys[data.Items[0]];
        var all = lists.Lists.SelectMany(l => l.Items).ToList();
        double prior = all.Count(i => i.Reward > 0) / (double)all.Count;
        var mine = all.Where(i => i.ItemKey == key).ToList();
        Assert.Equal((mine.Count(i => i.Reward > 0) + 5 * prior) / (mine.Count + 5), popularity[0], 5);
        Assert.InRange(OfflineMetrics.Compute(data, Baselines.Random(data, 1)).Auc, 0.45, 0.55);
    }
}
