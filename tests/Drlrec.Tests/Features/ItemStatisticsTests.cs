using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Features;
using Drlrec.Tests.Support;
using static Drlrec.Tests.Support.DenseSets;

namespace Drlrec.Tests.Features;

/// <summary>Item statistics as derived dense item fields: fitted on the training split, leave-one-out there, carried by the vocabulary.</summary>
public sealed class ItemStatisticsTests
{
    private static ListDataset Lists(params (string Item, float Reward)[][] lists) => new(ToyData.Schema,
        lists.Select((items, i) => new LoggedList($"l{i}", "u", i, items.Select((x, t) =>
            new LoggedItem(x.Item, [["u"], ["a"], [x.Item], ["t"], [$"{t + 1}"]], x.Reward)).ToList())).ToList(), "toy");

    [Fact]
    public void Values_are_log_impressions_and_the_smoothed_like_rate_with_the_occurrence_itself_left_out_on_training_lists()
    {
        // Item a: 3 impressions, 2 liked; b: 1 impression, 0 liked. p̄ = 2 / 4.
        var statistics = ItemStatistics.Fit(Lists([("a", 1), ("a", 0)], [("a", 1), ("b", 0)]));
        Assert.Equal(0.5, statistics.GlobalRate);
        var full = statistics.ValuesOf("a");
        Assert.Equal(Math.Log(4), Number(full[0]), 12);
        Assert.Equal((2 + 5 * 0.5) / (3 + 5), Number(full[1]), 12);
        var leftOut = statistics.ValuesOf("a", ownReward: 1);                 // n = 2, c = 1
        Assert.Equal((Math.Log(3), (1 + 2.5) / (2 + 5)), (Number(leftOut[0]), Number(leftOut[1])));
        var cold = statistics.ValuesOf("never-seen");                          // n = 0: the prior p̄
        Assert.Equal((0.0, 0.5), (Number(cold[0]), Number(cold[1])));
    }

    [Fact]
    public void Prepared_logged_data_carries_the_two_derived_fields_fitted_on_training_lists_only()
    {
        var data = PreparedData.Prepare(ToyData.Lists(200, seed: 4), null, new DataConfig(), new FeatureConfig());
        var derived = data.Schema.Fields.Where(f => f.Derived).ToArray();
        Assert.Equal([ItemStatistics.ImpressionsField, ItemStatistics.LikeRateField], derived.Select(f => f.Name));
        Assert.All(derived, f => Assert.Equal((FieldGroup.Item, FieldKind.Dense), (f.Group, f.Kind)));
        var statistics = data.Vocabulary.ItemStatistics!;
        Assert.Equal(data.TrainLists.Lists.Sum(l => l.Items.Count), statistics.Items.Values.Sum(c => c[0]));

        int rate = data.Schema.IndexOf(ItemStatistics.LikeRateField);
        var train = data.TrainLists.Lists[0].Items[0];
        Assert.Equal(statistics.ValuesOf(train.ItemKey, train.Reward)[1], train.Values[rate]);   // leave-one-out
        var test = data.TestLists.Lists[0].Items[0];
        Assert.Equal(statistics.ValuesOf(test.ItemKey)[1], test.Values[rate]);                   // the full training statistics
    }

    [Fact]
    public void A_config_can_switch_them_off_and_the_simulators_logs_get_them_too()
    {
        Assert.Null(PreparedData.Prepare(ToyData.Lists(60), null, new DataConfig(), new FeatureConfig { ItemStatistics = false })
            .Vocabulary.ItemStatistics);
        var synthetic = new Drlrec.Simulation.SyntheticSimulator(new Drlrec.Simulation.SyntheticConfig { Users = 100, Items = 1000 }).GenerateLogs(200);
        Assert.NotNull(PreparedData.Prepare(synthetic, null, new DataConfig(), new FeatureConfig()).Vocabulary.ItemStatistics);
    }

    [Fact]
    public void Raw_lists_get_the_vocabularys_statistics_when_encoded_and_ranked()
    {
        var data = PreparedData.Prepare(ToyData.Lists(200, seed: 4), null, new DataConfig(), new FeatureConfig());
        var raw = ToyData.Lists(200, seed: 4);
        var (_, _, rawTest) = PreparedData.Split(raw, null, new DataConfig());
        var encoded = EncodedLists.Encode(rawTest, data.Vocabulary, data.Train.MaxLength);
        Assert.Equal(data.Test.Rows, encoded.Rows);
    }
}
