using Drlrec.Data;
using static TorchSharp.torch;

namespace Drlrec.Features;

/// <summary>
/// Every catalog item's item fields as embedding rows, encoded once so that a candidate pool is a gather:
/// rows [N, F_item, M] and value counts [N, F_item]. Items unknown to the vocabulary map to out-of-vocabulary rows.
/// </summary>
public sealed class EncodedCatalog : IDisposable
{
    private EncodedCatalog(IItemCatalog catalog, Tensor rows, Tensor counts)
    {
        Catalog = catalog;
        Rows = rows;
        Counts = counts;
    }

    public IItemCatalog Catalog { get; }
    /// <summary>[N, F_item, M] int32.</summary>
    public Tensor Rows { get; }
    /// <summary>[N, F_item] float.</summary>
    public Tensor Counts { get; }
    public int Count => Catalog.Count;

    public static EncodedCatalog Encode(IItemCatalog catalog, FeatureVocabulary vocabulary, FieldLayout layout)
    {
        int n = catalog.Count, f = layout.ItemFields, first = layout.UserFields;
        var values = new string[n][][];
        int m = 1;
        for (int i = 0; i < n; i++)
        {
            values[i] = catalog.ItemFieldValues(i);
            foreach (var set in values[i]) m = Math.Max(m, set.Length);
        }
        var rows = new int[n * f * m];
        var counts = new float[n * f];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < f; k++)
            {
                var set = values[i][k];
                counts[i * f + k] = set.Length;
                for (int v = 0; v < set.Length; v++) rows[(i * f + k) * m + v] = vocabulary.Row(first + k, set[v]);
            }
        return new EncodedCatalog(catalog, tensor(rows, [n, f, m]).DetachFromDisposeScope(), tensor(counts, [n, f]).DetachFromDisposeScope());
    }

    /// <summary>Item-field inputs of the items at <paramref name="indices"/> ([S, P] int64).</summary>
    /// <returns>Rows [S, P, F_item, M] int64 and counts [S, P, F_item].</returns>
    public (Tensor Rows, Tensor Counts) Gather(Tensor indices)
    {
        var flat = indices.flatten();
        var rows = Rows.index_select(0, flat).to_type(ScalarType.Int64);
        var counts = Counts.index_select(0, flat);
        return (rows.view(indices.shape[0], indices.shape[1], Rows.shape[1], Rows.shape[2]),
            counts.view(indices.shape[0], indices.shape[1], Counts.shape[1]));
    }

    public void Dispose()
    {
        Rows.Dispose();
        Counts.Dispose();
    }
}
