namespace Drlrec.Data;

/// <summary>
/// The items a retriever may draw candidates from, with the values of their item fields (the schema's
/// <see cref="FieldGroup.Item"/> fields, in schema order). Indices are dense, 0..Count-1.
/// </summary>
public interface IItemCatalog
{
    int Count { get; }

    string KeyOf(int index);

    /// <summary>Index of an item key, or -1 when the catalog does not hold it.</summary>
    int IndexOf(string key);

    /// <summary>Values of the item fields of one item, one non-empty set per item field.</summary>
    string[][] ItemFieldValues(int index);
}

/// <summary>A catalog of the items seen in some logged lists (each item's fields from its first appearance).</summary>
public sealed class LoggedItemCatalog : IItemCatalog
{
    private readonly List<string> keys = [];
    private readonly List<string[][]> values = [];
    private readonly Dictionary<string, int> indexByKey = new(StringComparer.Ordinal);

    public LoggedItemCatalog(ListDataset data)
    {
        int first = data.Schema.FirstItemField, count = data.Schema.ItemCount;
        foreach (var item in data.Lists.SelectMany(l => l.Items))
        {
            if (indexByKey.ContainsKey(item.ItemKey)) continue;
            indexByKey[item.ItemKey] = keys.Count;
            keys.Add(item.ItemKey);
            values.Add(item.Values[first..(first + count)]);
        }
    }

    public int Count => keys.Count;
    public string KeyOf(int index) => keys[index];
    public int IndexOf(string key) => indexByKey.TryGetValue(key, out int i) ? i : -1;
    public string[][] ItemFieldValues(int index) => values[index];
}
