using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Features;

namespace Drlrec.Tests.Data.Loading;

public sealed class PreparedDataTests
{
    [Fact]
    public void Values_seen_only_in_validation_or_test_lists_map_to_their_fields_out_of_vocabulary_row()
    {
        // 20 lists in shuffled source order (timestamps i / 2: pairs tie), each with its own user and first item, and
        // a second item every list shares: everything but "shared" is unseen after the training part.
        var schema = new ListSchema([new FieldSpec("user", FieldGroup.User), new FieldSpec("item", FieldGroup.Item)]);
        var lists = Enumerable.Range(0, 20).Select(i => new LoggedList($"l{i}", $"u{i}", i / 2,
            [new LoggedItem($"i{i}", [[$"u{i}"], [$"i{i}"]], i % 2), new LoggedItem("shared", [[$"u{i}"], ["shared"]], 0)])).ToArray();
        new Random(1).Shuffle(lists);
        var all = new ListDataset(schema, lists, "test");

        var data = PreparedData.Prepare(all, null, new DataConfig { TestFraction = 0.2, ValidationFraction = 0.25 }, new FeatureConfig { ItemStatistics = false });

        // test: the latest 4 lists; validation: the latest 4 of the other 16; train: 12
        Assert.Equal((12, 4, 4), (data.TrainLists.Lists.Count, data.ValidationLists.Lists.Count, data.TestLists.Lists.Count));
        Assert.True(data.ValidationLists.Lists.Min(l => l.Timestamp) >= data.TrainLists.Lists.Max(l => l.Timestamp));
        Assert.True(data.TestLists.Lists.Min(l => l.Timestamp) >= data.ValidationLists.Lists.Max(l => l.Timestamp));
        var trainUsers = data.TrainLists.Lists.Select(l => l.UserKey).ToHashSet();
        Assert.Equal(trainUsers.Order(StringComparer.Ordinal), data.Vocabulary.Fields[0].Values);
        Assert.Equal(data.TrainLists.Lists.Select(l => l.Items[0].ItemKey).Append("shared").Order(StringComparer.Ordinal),
            data.Vocabulary.Fields[1].Values);

        var (user, item) = (data.Vocabulary.Fields[0], data.Vocabulary.Fields[1]);
        foreach (var held in new[] { data.Validation, data.Test })
            for (int i = 0; i < held.Count; i++)
            {
                Assert.DoesNotContain(held.UserKeys[held.Users[i]], trainUsers);
                int cell = i * held.MaxLength * 2 * held.MaxValues; // list i, position 0, field 0, value 0
                Assert.Equal(user.Offset, held.Rows[cell]);                         // unseen user
                Assert.Equal(item.Offset, held.Rows[cell + held.MaxValues]);        // unseen item
                Assert.Equal(item.Row("shared"), held.Rows[cell + 3 * held.MaxValues]); // position 1's item is known
                Assert.NotEqual(item.Offset, item.Row("shared"));
            }
    }
}
