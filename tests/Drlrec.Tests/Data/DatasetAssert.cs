using Drlrec.Data;

namespace Drlrec.Tests.Data;

/// <summary>Deep comparisons of data sets (records hold arrays, which compare by reference).</summary>
internal static class DatasetAssert
{
    public static void SameLists(ListDataset expected, ListDataset actual)
    {
        Assert.Equal(expected.Schema.Fields, actual.Schema.Fields);
        Assert.Equal(expected.Lists.Count, actual.Lists.Count);
        for (int l = 0; l < expected.Lists.Count; l++) SameList(expected.Lists[l], actual.Lists[l]);
    }

    public static void SameList(LoggedList expected, LoggedList actual)
    {
        Assert.Equal(expected.ListId, actual.ListId);
        Assert.Equal(expected.UserKey, actual.UserKey);
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Items.Count, actual.Items.Count);
        for (int i = 0; i < expected.Items.Count; i++)
        {
            var (e, a) = (expected.Items[i], actual.Items[i]);
            Assert.Equal(e.ItemKey, a.ItemKey);
            Assert.Equal(e.Reward, a.Reward);
            Assert.Equal(e.Values.Length, a.Values.Length);
            for (int f = 0; f < e.Values.Length; f++) Assert.Equal(e.Values[f], a.Values[f]);
        }
    }

    /// <summary>The values of one field at one item, by field name.</summary>
    public static string[] Field(ListDataset data, LoggedItem item, string name) => item.Values[data.Schema.IndexOf(name)];

    /// <summary>Asserts a located format error and returns it for further checks.</summary>
    public static DataFormatException Malformed(Func<object> read, string file, string location, params string[] problemParts)
    {
        var e = Assert.Throws<DataFormatException>(read);
        Assert.Equal(file, e.File);
        Assert.Equal(location, e.Location);
        foreach (string part in problemParts) Assert.Contains(part, e.Problem);
        Assert.Contains(file, e.Message);
        Assert.Contains(location, e.Message);
        return e;
    }
}
