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
    private readonly List<string> _keys = [];
    private readonly List<string[][]> _values = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public LoggedItemCatalog(ListDataset data)
    {
        int first = data.Schema.FirstItemField, count = data.Schema.ItemCount;
        foreach (var item in data.Lists.SelectMany(l => l.Items))
        {
            if (_index.ContainsKey(item.ItemKey)) continue;
            _index[item.ItemKey] = _keys.Count;
            _keys.Add(item.ItemKey);
            _values.Add(item.Values[first..(first + count)]);
        }
    }

    public int Count => _keys.Count;
    public string KeyOf(int index) => _keys[index];
    public int IndexOf(string key) => _index.TryGetValue(key, out int i) ? i : -1;
    public string[][] ItemFieldValues(int index) => _values[index];
}
