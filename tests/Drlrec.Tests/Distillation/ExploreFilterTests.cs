using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Distillation;

public sealed class ExploreFilterTests
{
    private const int PoolSize = 12, K = 3, Seed = 1;

    /// <summary>
    /// The state's list with catalog item <paramref name="item"/>'s item fields written into slot
    /// <paramref name="t"/> (encoded here from the catalog's values, not from the encoded catalog); the slot's user and
    /// context fields and the first t items are kept. Positions after t do not matter (the network is causal).
    /// </summary>
    private static Tensor WithItemAt(Tensor list, int t, IItemCatalog catalog, FeatureVocabulary vocabulary, FieldLayout layout, int item)
    {
        long m = list.shape[3];
        var values = catalog.ItemFieldValues(item);
        var itemRows = new long[layout.ItemFields * m];
        for (int k = 0; k < layout.ItemFields; k++)
            for (int v = 0; v < values[k].Length; v++) itemRows[k * m + v] = vocabulary.Row(layout.UserFields + k, values[k][v]);
        var rows = list.clone();
        rows.select(1, t).narrow(1, layout.UserFields, layout.ItemFields).copy_(tensor(itemRows, [1, layout.ItemFields, m]));
        return rows;
    }

    private static HashSet<int> TopK(Dictionary<int, float> q, int k) =>
        q.OrderByDescending(kv => kv.Value).Take(k).Select(kv => kv.Key).ToHashSet();

    [Fact]
    public void Lessons_are_the_teachers_and_the_students_top_k_of_the_pool_scored_as_if_placed_in_the_states_next_slot()
    {
        var lists = ToyData.Lists(60, seed: 9);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var data = EncodedLists.Encode(lists, vocabulary);
        var layout = FieldLayout.Of(lists.Schema);
        var catalog = new LoggedItemCatalog(lists);
        using var encoded = EncodedCatalog.Encode(catalog, vocabulary, layout);
        Assert.Equal(data.MaxValues, encoded.Rows.shape[2]); // lesson rows are as wide as the lists' rows
        var retriever = new CandidateRetriever(catalog, lists, 0.4, 0.3);
        var explore = new ExploreFilter(retriever, encoded, layout, PoolSize, K);
        manual_seed(21);
        using var teacher = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, Dropout = 0 }, layout, vocabulary.Rows);
        using var student = new QNetwork(new QNetworkConfig { EmbeddingDim = 4, Dropout = 0 }, layout, vocabulary.Rows);
        teacher.eval();
        student.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        // As DistillLearner.LessonLosses: sampled states, each model's cached prefixes, the slots' rows.
        int[] listIndices = [0, 1, 2, 3, 4, 5];
        int s = listIndices.Length;
        var rng = new Random(Seed);
        var states = ExploreStates.Sample(listIndices.Select(data.KeysOf).ToArray(), s, catalog, rng);
        var stateRows = data.Batch(listIndices).Rows;
        var rowIndex = arange(s, dtype: ScalarType.Int64);
        var at = tensor(states.Placed);
        var teacherPrefix = teacher.PrefixAt(teacher.Forward(stateRows), rowIndex, at);
        var studentPrefix = student.PrefixAt(student.Forward(stateRows), rowIndex, at);
        var lessons = explore.Select(teacher, teacherPrefix, student, studentPrefix, ExploreStates.SlotRows(stateRows, at),
            states.Users, states.PrefixItems, rng);
        // What the student is trained on: its Q of each lesson from its cached prefix.
        var studentLessonQ = student.ScoreCandidates(studentPrefix, lessons.Rows).Q;

        // The same pools, drawn again from the same random sequence.
        var replay = new Random(Seed);
        ExploreStates.Sample(listIndices.Select(data.KeysOf).ToArray(), s, catalog, replay);
        var pools = Enumerable.Range(0, s).Select(i => retriever.Pool(states.Users[i], states.PrefixItems[i], replay, PoolSize)).ToArray();
        Assert.Contains(0L, states.Placed);                  // an empty prefix ...
        Assert.Contains(states.Placed, placed => placed > 1); // ... and longer ones are covered

        // The "item" field has one vocabulary row per catalog item: it tells which item a lesson is.
        int itemField = layout.UserFields;
        var itemOfRow = Enumerable.Range(0, catalog.Count).ToDictionary(c => (long)vocabulary.Row(itemField, catalog.ItemFieldValues(c)[0][0]));
        for (int i = 0; i < s; i++)
        {
            int t = (int)states.Placed[i];
            var list = stateRows.narrow(0, i, 1);
            var placed = pools[i].ToDictionary(c => c, c => WithItemAt(list, t, catalog, vocabulary, layout, c));
            var teacherOut = placed.ToDictionary(kv => kv.Key, kv => teacher.Forward(kv.Value));
            var teacherQ = teacherOut.ToDictionary(kv => kv.Key, kv => kv.Value.Q[0, t].item<float>());
            var studentQ = placed.ToDictionary(kv => kv.Key, kv => student.Forward(kv.Value).Q[0, t].item<float>());

            var taught = new List<int>();
            for (int j = 0; j < 2 * K; j++)
            {
                if (!lessons.Mask[i, j].item<bool>()) continue;
                int c = itemOfRow[lessons.Rows[i, j, itemField, 0].item<long>()];
                Assert.Contains(c, pools[i]);
                taught.Add(c);
                Assert.True(lessons.Rows[i, j].eq(placed[c][0, t]).all().item<bool>(), $"state {i}, lesson {j}: rows of item {c} in slot {t}");
                Assert.Equal(teacherQ[c], lessons.TeacherQ[i, j].item<float>(), 4);
                Assert.True(lessons.TeacherHint[i, j].allclose(teacherOut[c].Hint[0, t], rtol: 1e-4, atol: 1e-5), $"state {i}, lesson {j}: hint");
                Assert.Equal(studentQ[c], studentLessonQ[i, j].item<float>(), 4);
            }
            // The teacher's k come first; then the student's picks the teacher did not make; each lesson once.
            Assert.Equal(TopK(teacherQ, K), taught.Take(K).ToHashSet());
            Assert.Equal(TopK(teacherQ, K).Union(TopK(studentQ, K)).ToHashSet(), taught.ToHashSet());
            Assert.Equal(taught.Count, taught.Distinct().Count());
        }
        // The students' picks are not all the teacher's: some states teach more than k lessons.
        Assert.True(lessons.Mask.sum().item<long>() > s * K);
    }

    [Fact]
    public void Filter_masks_off_student_picks_the_teacher_made_and_picks_of_pool_padding_per_row()
    {
        using var scope = NewDisposeScope();
        // Row 0: a full pool. Teacher's top 3: 1, 3, 2; student's: 3, 0, 1 (3 and 1 repeat the teacher's picks).
        // Row 1: only entries 0 and 2 are real (the padding carries huge scores); each top 3 must reach into padding.
        var teacher = tensor(new float[] { 0.2f, 0.9f, 0.4f, 0.7f, 0.1f, /**/ 0.3f, 9, 0.5f, 9, 9 }).view(2, 5);
        var student = tensor(new float[] { 0.8f, 0.6f, 0.1f, 0.95f, 0.3f, /**/ 0.6f, 9, 0.2f, 9, 9 }).view(2, 5);
        var poolMask = tensor(new[] { true, true, true, true, true, /**/ true, false, true, false, false }).view(2, 5);

        var (picks, mask) = ExploreFilter.FilterTopK(teacher, student, poolMask, k: 3);

        Assert.Equal([2L, 6L], picks.shape);
        Assert.Equal([1L, 3L, 2L, 3L, 0L, 1L], picks[0].data<long>().ToArray());
        Assert.Equal([true, true, true, false, true, false], mask[0].data<bool>().ToArray());
        // Row 1: the teacher picks 2 then 0, the student 0 then 2 (both repeats); the third picks are padding.
        Assert.Equal([2L, 0L], picks[1].narrow(0, 0, 2).data<long>().ToArray());
        Assert.Equal([0L, 2L], picks[1].narrow(0, 3, 2).data<long>().ToArray());
        Assert.Equal([true, true, false, false, false, false], mask[1].data<bool>().ToArray());
    }
}
