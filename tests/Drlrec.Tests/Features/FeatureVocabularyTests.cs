using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;

namespace Drlrec.Tests.Features;

public sealed class FeatureVocabularyTests
{
    private static readonly ListSchema Schema = new(
    [
        new FieldSpec("user", FieldGroup.User), new FieldSpec("item", FieldGroup.Item), new FieldSpec("tags", FieldGroup.Item),
        new FieldSpec("pos", FieldGroup.Context),
    ]);

    private static LoggedItem Item(string user, string item, string[] tags, string pos) => new(item, [[user], [item], tags, [pos]], 0);

    // Counts: user alice 2, bob 3 | item m1 2, m2 m3 m4 1 | tags x 3, v w y z 1 | pos 1: 2, 2: 2, 3: 1
    private static readonly ListDataset Data = new(Schema,
    [
        new LoggedList("l0", "alice", 0, [Item("alice", "m1", ["x", "y"], "1"), Item("alice", "m2", ["x"], "2")]),
        new LoggedList("l1", "bob", 1, [Item("bob", "m1", ["z"], "1"), Item("bob", "m3", ["x", "w"], "2"), Item("bob", "m4", ["v"], "3")]),
    ], "test");

    [Fact]
    public void Row_zero_is_padding_then_each_field_has_its_oov_row_followed_by_its_values_in_ordinal_order()
    {
        var vocabulary = FeatureVocabulary.Fit(Data, new FeatureConfig());

        Assert.Equal([1, 4, 9, 15], vocabulary.Fields.Select(f => f.Offset));
        Assert.Equal(["alice", "bob"], vocabulary.Fields[0].Values);
        Assert.Equal(["m1", "m2", "m3", "m4"], vocabulary.Fields[1].Values);
        Assert.Equal(["v", "w", "x", "y", "z"], vocabulary.Fields[2].Values);
        Assert.Equal(["1", "2", "3"], vocabulary.Fields[3].Values);
        Assert.Equal(19, vocabulary.Rows); // 1 padding + (1 + 2) + (1 + 4) + (1 + 5) + (1 + 3)
        Assert.Equal((2, 3), (vocabulary.Row(0, "alice"), vocabulary.Row(0, "bob")));
        Assert.Equal((5, 8), (vocabulary.Row(1, "m1"), vocabulary.Row(1, "m4")));
        Assert.Equal((12, 18), (vocabulary.Row(2, "x"), vocabulary.Row(3, "3")));
        Assert.Equal((1, 4, 9, 15), (vocabulary.Row(0, "carol"), vocabulary.Row(1, "m9"), vocabulary.Row(2, "q"), vocabulary.Row(3, "4")));
        Assert.Equal((FieldGroup.Item, "tags"), (vocabulary.Fields[2].Group, vocabulary.Fields[2].Name));
    }

    [Fact]
    public void Values_seen_fewer_than_min_count_times_map_to_the_oov_row()
    {
        var vocabulary = FeatureVocabulary.Fit(Data, new FeatureConfig { MinCount = 2 });

        Assert.Equal(["alice", "bob"], vocabulary.Fields[0].Values);
        Assert.Equal(["m1"], vocabulary.Fields[1].Values);
        Assert.Equal(["x"], vocabulary.Fields[2].Values);
        Assert.Equal(["1", "2"], vocabulary.Fields[3].Values);
        Assert.Equal([1, 4, 6, 8], vocabulary.Fields.Select(f => f.Offset));
        Assert.Equal(11, vocabulary.Rows);
        Assert.Equal(5, vocabulary.Row(1, "m1"));
        foreach (var (field, value) in new[] { (1, "m2"), (2, "y"), (3, "3") })
        {
            Assert.Equal(vocabulary.Fields[field].Offset, vocabulary.Row(field, value));
        }
    }

    [Fact]
    public void A_field_with_more_distinct_values_than_the_buckets_is_hashed_into_them_and_others_are_not()
    {
        var config = new FeatureConfig { HashBuckets = 3 };
        var vocabulary = FeatureVocabulary.Fit(Data, config);

        // user: 2 distinct values and pos: exactly 3 stay vocabularies; item (4) and tags (5) are hashed
        Assert.Equal([false, true, true, false], vocabulary.Fields.Select(f => f.Hashed));
        Assert.Equal([1, 4, 8, 12], vocabulary.Fields.Select(f => f.Offset));
        Assert.Equal(16, vocabulary.Rows);
        var again = FeatureVocabulary.Fit(Data, config);
        foreach (int field in new[] { 1, 2 })
        {
            var hashed = vocabulary.Fields[field];
            Assert.Equal((3, 4), (hashed.Buckets, hashed.Size));
            Assert.Empty(hashed.Values);
            foreach (string value in new[] { "m1", "m2", "m3", "m4", "x", "v", "never-seen", "" })
            {
                int row = hashed.Row(value);
                Assert.InRange(row, hashed.Offset + 1, hashed.Offset + 3);
                Assert.Equal(row, hashed.Row(value));
                Assert.Equal(row, again.Fields[field].Row(value)); // stable across fits (not a per-process string hash)
            }
        }
        Assert.Equal(14, vocabulary.Row(3, "2"));
    }
}
