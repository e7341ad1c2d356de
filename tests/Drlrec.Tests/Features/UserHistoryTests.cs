using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Ranking;
using Drlrec.Simulation;
using Drlrec.Tests.Support;
using static Drlrec.Tests.Support.DenseSets;

namespace Drlrec.Tests.Features;

/// <summary>The user history fields: counted over the user's strictly earlier lists of the whole log, never the list's own labels.</summary>
public sealed class UserHistoryTests
{
    private static LoggedList List(string id, string user, long time, params float[] rewards) =>
        new(id, user, time, rewards.Select((r, t) => new LoggedItem($"i{t}", [[user], ["a"], [$"i{t}"], ["t"], [$"{t + 1}"]], r)).ToList());

    private static (double Impressions, double LikeRate) HistoryOf(ListDataset data, string listId)
    {
        var item = data.Lists.Single(l => l.ListId == listId).Items[0];
        return (Number(item.Values[data.Schema.IndexOf(UserHistory.ImpressionsField)]),
                Number(item.Values[data.Schema.IndexOf(UserHistory.LikeRateField)]));
    }

    [Fact]
    public void Each_list_sees_the_users_strictly_earlier_lists_across_the_log_and_a_separate_test_file()
    {
        var log = new ListDataset(ToyData.Schema,
        [
            List("a1", "a", 10, 1, 0, 1),       // a's first list: nothing before it
            List("b1", "b", 15, 1, 1),
            List("a2", "a", 20, 0, 0),          // a2 and a3 share a time: neither counts the other
            List("a3", "a", 20, 1),
        ], "log");
        var test = new ListDataset(ToyData.Schema, [List("a4", "a", 30, 1, 1)], "test");
        var parts = UserHistory.AddTo(log, test);

        Assert.Equal((0.0, 0.5), HistoryOf(parts[0], "a1"));
        Assert.Equal((Math.Log(4), (2 + 1) / 5.0), HistoryOf(parts[0], "a2"));     // a1: 3 shown, 2 liked
        Assert.Equal((Math.Log(4), (2 + 1) / 5.0), HistoryOf(parts[0], "a3"));
        Assert.Equal((0.0, 0.5), HistoryOf(parts[0], "b1"));                       // other users never count
        Assert.Equal((Math.Log(7), (3 + 1) / 8.0), HistoryOf(parts[1], "a4"));     // a1 + a2 + a3: 6 shown, 3 liked

        var schema = parts[0].Schema;
        Assert.Equal([UserHistory.ImpressionsField, UserHistory.LikeRateField],
            schema.Fields.Where(f => f.Group == FieldGroup.User).Skip(2).Select(f => f.Name));
        Assert.All(UserHistory.Fields, f => Assert.Equal((FieldKind.Dense, false), (schema.Fields[schema.IndexOf(f.Name)].Kind, f.Derived)));
        Assert.Equal(log.Lists[0].Items[1].Values[2], parts[0].Lists[0].Items[1].Values[4]);          // item fields moved, kept
    }

    [Fact]
    public void A_lists_own_rewards_never_change_its_fields()
    {
        var clicked = UserHistory.AddTo(new ListDataset(ToyData.Schema, [List("x", "u", 1, 1, 1, 1), List("y", "u", 2, 1)], "t"))[0];
        var unclicked = UserHistory.AddTo(new ListDataset(ToyData.Schema, [List("x", "u", 1, 0, 0, 0), List("y", "u", 2, 1)], "t"))[0];
        Assert.Equal(HistoryOf(clicked, "x"), HistoryOf(unclicked, "x"));
        Assert.NotEqual(HistoryOf(clicked, "y"), HistoryOf(unclicked, "y"));
    }

    [Fact]
    public void The_loader_adds_them_unless_switched_off_and_a_model_without_them_reads_the_lists_without_them()
    {
        var on = DataLoader.LoadWithTest(new DataConfig { Synthetic = new SyntheticConfig { Users = 60, Items = 1000, Lists = 200 } });
        var off = DataLoader.LoadWithTest(new DataConfig { UserHistory = false, Synthetic = new SyntheticConfig { Users = 60, Items = 1000, Lists = 200 } });
        Assert.True(UserHistory.In(on.All.Schema));
        Assert.False(UserHistory.In(off.All.Schema));

        var withHistory = PreparedData.Prepare(on.All, null, new DataConfig(), new FeatureConfig());
        var without = PreparedData.Prepare(off.All, null, new DataConfig(), new FeatureConfig());
        // A model trained without the fields (its vocabulary) encodes lists that carry them exactly as lists that do not.
        Assert.Equal(without.Test.Rows, EncodedLists.Encode(withHistory.TestLists, without.Vocabulary, without.Test.MaxLength).Rows);
        Assert.Equal(without.Schema.Count, PreparedData.Prepare(on.All, null, new DataConfig(), new FeatureConfig(), without.Vocabulary).Schema.Count);
    }

    [Fact]
    public void Online_requests_carry_each_users_counts_over_the_whole_log()
    {
        var simulator = new SyntheticSimulator(new SyntheticConfig { Users = 40, Items = 1000, Lists = 150 });
        var totals = UserHistory.Totals(simulator.GenerateLogs());
        var rng = new Random(3);
        SimRequest request;
        SlateRequest sent;
        do   // a user the log has seen, so that the counts are not the cold user's zeros
        {
            request = simulator.NextRequest(rng);
            sent = OnlineEvaluation.ToSlateRequest(simulator, request, totals);
        } while (!totals.ContainsKey(FieldValues.AsKey(sent.User[SyntheticSimulator.UserIdField])));
        var (n, c) = totals[FieldValues.AsKey(sent.User[SyntheticSimulator.UserIdField])];
        Assert.Equal(UserHistory.ValuesOf(n, c)[0], sent.User[UserHistory.ImpressionsField]);
        Assert.Equal(UserHistory.ValuesOf(n, c)[1], sent.User[UserHistory.LikeRateField]);
        Assert.False(OnlineEvaluation.ToSlateRequest(simulator, request).User.ContainsKey(UserHistory.ImpressionsField));
    }
}
