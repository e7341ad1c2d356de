using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Simulation;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Distillation;

public sealed class RequestCandidatesTests
{
    private static readonly SyntheticSimulator Simulator =
        new(new SyntheticConfig { Seed = 5, Users = 40, Items = 1000, Lists = 120, ListLength = 5, CandidatesPerRequest = 12 });

    private static readonly PreparedData Data = PreparedData.Prepare(Simulator.GenerateLogs(), null, new DataConfig(), new FeatureConfig());

    /// <summary>
    /// A state at prefix length t explores what a re-ranker could place in slot t: its list's items t.. (as encoded) and its
    /// request's unshown candidates, each with its own upstream score and rank (present, unlike a catalog item's).
    /// </summary>
    [Fact]
    public void A_states_pool_is_its_lists_items_not_yet_placed_then_its_requests_unshown_candidates_with_their_own_fields()
    {
        using var scope = NewDisposeScope();
        var train = Data.Train;
        Assert.True(train.HasUnshown);
        int[] lists = [0, 1, 2, 3];
        long[] placed = [0, 2, 4, 1];
        var keys = lists.Select(train.KeysOf).ToArray();
        var stateRows = train.Batch(lists).Rows;                                   // [S, L, F, M]
        var (rows, mask) = new RequestCandidates(Data.Vocabulary, Data.Layout).Draw(stateRows, placed, keys);

        var layout = Data.Layout;
        int itemField = layout.UserFields;
        int rankField = Data.Vocabulary.Fields.ToList().FindIndex(f => f.Name == SyntheticSimulator.UpstreamRankField);
        Assert.True(rankField >= layout.UserFields && rankField < layout.UserFields + layout.ItemFields, "the upstream rank is an item field");
        var rank = Data.Vocabulary.Fields[rankField];
        for (int i = 0; i < lists.Length; i++)
        {
            int t = (int)placed[i], length = keys[i].Items.Length, unshown = keys[i].Unshown.Count;
            Assert.Equal(12 - 5, unshown);
            Assert.Equal(length - t + unshown, mask[i].sum().item<long>());
            Assert.False(mask[i].narrow(0, length - t + unshown, mask.shape[1] - (length - t + unshown)).any().item<bool>());
            for (int c = 0; c < length - t; c++)                                     // the list's own rows, slot t onwards
                Assert.True(rows[i, c].narrow(1, 0, stateRows.shape[3]).eq(stateRows[i, t + c].narrow(0, itemField, layout.ItemFields)).all().item<bool>());
            for (int j = 0; j < unshown; j++)
            {
                var candidate = rows[i, length - t + j];                            // [F_item, M]
                var item = keys[i].Unshown[j];
                Assert.Equal(Data.Vocabulary.Row(itemField, item.ItemKey), candidate[0, 0].item<long>());
                Assert.Equal(rank.Offset + 1, candidate[rankField - itemField, 0].item<long>()); // present, not missing
                Assert.NotEqual(rank.Offset, candidate[rankField - itemField, 0].item<long>());
            }
        }
    }

    /// <summary>Through the explorer: every lesson of a state is one of its request's candidates scored in its next slot,
    /// the teacher's Q as the teacher gives it with that candidate's row written into the slot.</summary>
    [Fact]
    public void Lessons_from_requests_are_the_candidates_scored_as_if_placed_in_the_next_slot()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var train = Data.Train;
        var layout = Data.Layout;
        manual_seed(3);
        using var teacher = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, Dropout = 0 }, layout, Data.Vocabulary.Rows);
        using var student = new QNetwork(new QNetworkConfig { EmbeddingDim = 4, Dropout = 0 }, layout, Data.Vocabulary.Rows);
        teacher.eval();
        student.eval();
        var explore = new ExploreFilter(new RequestCandidates(Data.Vocabulary, layout), Data.LoggedItems, layout, k: 3);
        Assert.True(explore.FromRequests);
        int[] lists = [5, 6, 7];
        var keys = lists.Select(train.KeysOf).ToArray();
        var states = ExploreStates.Sample(keys, lists.Length, explore.Catalog, new Random(2));
        var stateRows = train.Batch(lists).Rows;
        var rowIndex = arange(lists.Length, dtype: ScalarType.Int64);
        var at = tensor(states.Placed);
        var lessons = explore.Select(teacher, teacher.PrefixAt(teacher.Forward(stateRows), rowIndex, at),
            student, student.PrefixAt(student.Forward(stateRows), rowIndex, at), ExploreStates.SlotRows(stateRows, at), stateRows, states, keys, new Random(2));
        var (pool, _) = new RequestCandidates(Data.Vocabulary, layout).Draw(stateRows, states.Placed, keys);
        for (int i = 0; i < lists.Length; i++)
        {
            int t = (int)states.Placed[i];
            for (int j = 0; j < 6; j++)
            {
                if (!lessons.Mask[i, j].item<bool>()) continue;
                var itemRows = lessons.Rows[i, j].narrow(0, layout.UserFields, layout.ItemFields);     // [F_item, M]
                Assert.True(pool[i].eq(itemRows.narrow(1, 0, pool.shape[3]).unsqueeze(0)).all(-1).all(-1).any().item<bool>(), "a lesson is one of the state's candidates");
                var list = stateRows.narrow(0, i, 1).clone();
                list.select(1, t).narrow(1, layout.UserFields, layout.ItemFields).copy_(itemRows.narrow(1, 0, list.shape[3]).unsqueeze(0));
                Assert.Equal(teacher.Forward(list).Q[0, t].item<float>(), lessons.TeacherQ[i, j].item<float>(), 4);
            }
        }
    }

    [Fact]
    public void Auto_explores_the_requests_candidates_when_the_logs_carry_them_and_the_catalog_otherwise()
    {
        var toy = PreparedData.Prepare(ToyData.Lists(120, seed: 2), null, new DataConfig(), new FeatureConfig());
        Assert.True(DistillParts.ExploresRequests(new DistillConfig(), Data));
        Assert.False(DistillParts.ExploresRequests(new DistillConfig(), toy));
        Assert.False(DistillParts.ExploresRequests(new DistillConfig { ExploreFrom = ExplorePool.Catalog }, Data));
        Assert.True(DistillParts.ExploresRequests(new DistillConfig { ExploreFrom = ExplorePool.Candidates }, toy)); // refused when built
    }

    [Fact]
    public void Exploring_requests_refuses_lists_without_unshown_candidates_by_name()
    {
        var toy = PreparedData.Prepare(ToyData.Lists(120, seed: 2), null, new DataConfig(), new FeatureConfig());
        Assert.False(toy.Train.HasUnshown);
        var config = new RunConfig { Distill = new DistillConfig { ExploreFrom = ExplorePool.Candidates, Schedule = DistillSchedule.Joint }, Trainer = new TrainerConfig { Epochs = 1 } };
        var folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var e = Assert.Throws<ArgumentException>(() => Distiller.Run(config, toy, null, toy.LoggedItems, folder, null, "s"));
            Assert.Contains("distill.explore_from", e.Message);
            Assert.Contains("unshown", e.Message);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
