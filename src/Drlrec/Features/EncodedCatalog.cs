using Drlrec.Data;
using static TorchSharp.torch;

namespace Drlrec.Features;

/// <summary>
/// Every catalog item's item fields as embedding rows, encoded once so that a candidate pool is a gather:
/// rows [N, F_item, M] (0 = padding). Values unknown to the vocabulary map to out-of-vocabulary rows.
/// </summary>
public sealed class EncodedCatalog : IDisposable
{
    private EncodedCatalog(IItemCatalog catalog, Tensor rows)
    {
        Catalog = catalog;
        Rows = rows;
    }

    public IItemCatalog Catalog { get; }
    /// <summary>[N, F_item, M] int32.</summary>
    public Tensor Rows { get; }
    public int Count => Catalog.Count;

    public static EncodedCatalog Encode(IItemCatalog catalog, FeatureVocabulary vocabulary, FieldLayout layout)
    {
        int n = catalog.Count, f = layout.ItemFields, first = layout.UserFields;
        // Two passes (width, then rows) so that a million-item catalog's values are never all held at once.
        int widest = 1;
        for (int i = 0; i < n; i++)
            foreach (var set in ValuesOf(catalog, vocabulary, i, f)) widest = Math.Max(widest, set.Length);
        int m = vocabulary.SlotsFor(widest);
        var rows = new int[n * f * m];
        for (int i = 0; i < n; i++)
        {
            var values = ValuesOf(catalog, vocabulary, i, f);
            for (int k = 0; k < f; k++) vocabulary.Fields[first + k].Encode(values[k], rows.AsSpan((i * f + k) * m, m));
        }
        return new EncodedCatalog(catalog, tensor(rows, [n, f, m]).DetachFromDisposeScope());
    }

    /// <summary>An item's item fields: the catalog's, then the derived statistics the vocabulary holds (the catalog's own
    /// copies of derived fields, if any, are replaced: only the vocabulary's training statistics count).</summary>
    private static string[][] ValuesOf(IItemCatalog catalog, FeatureVocabulary vocabulary, int index, int itemFields)
    {
        var values = catalog.ItemFieldValues(index);
        if (vocabulary.ItemStatistics is not { } statistics) return values;
        int own = itemFields - ItemStatistics.Fields.Length;
        return [.. values[..own], .. statistics.ValuesOf(catalog.KeyOf(index))];
    }

    /// <summary>Item-field inputs of the items at <paramref name="indices"/> ([S, P] int64): [S, P, F_item, M] int64.</summary>
    public Tensor Gather(Tensor indices) =>
        Rows.index_select(0, indices.flatten()).to_type(ScalarType.Int64)
            .view(indices.shape[0], indices.shape[1], Rows.shape[1], Rows.shape[2]);

    public void Dispose() => Rows.Dispose();
}
