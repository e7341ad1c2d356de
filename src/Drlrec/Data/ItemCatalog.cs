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
        : this(data.Lists.SelectMany(l => l.Items).Select(item => (item.ItemKey, ItemFields(data.Schema, item))))
    {
    }

    /// <summary>A catalog of <paramref name="items"/> in their order (an item key met again is skipped).</summary>
    /// <param name="items">Each item's key and the values of its item fields.</param>
    public LoggedItemCatalog(IEnumerable<(string Key, string[][] ItemFields)> items)
    {
        foreach (var (key, itemFields) in items)
        {
            if (indexByKey.ContainsKey(key)) continue;
            indexByKey[key] = keys.Count;
            keys.Add(key);
            values.Add(itemFields);
        }
    }

    /// <summary>The values of the item fields (the schema's <see cref="FieldGroup.Item"/> fields) of one logged item.</summary>
    public static string[][] ItemFields(ListSchema schema, LoggedItem item) =>
        item.Values[schema.FirstItemField..(schema.FirstItemField + schema.ItemCount)];

    public int Count => keys.Count;
    public string KeyOf(int index) => keys[index];
    public int IndexOf(string key) => indexByKey.TryGetValue(key, out int i) ? i : -1;
    public string[][] ItemFieldValues(int index) => values[index];
}
