using Drlrec.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Drlrec.Features;

/// <summary>
/// Logged lists turned into embedding rows, padded to a rectangle: N lists × L positions × F fields ×
/// M values (row 0 pads both short lists and fields with fewer than M values).
/// </summary>
public sealed class EncodedLists
{
    private EncodedLists(int count, int maxLength, int fields, int maxValues, int[] rows, float[] counts, float[] rewards,
        int[] lengths, int[] users, int[] items, string[] userKeys, string[] itemKeys)
    {
        Count = count;
        MaxLength = maxLength;
        FieldCount = fields;
        MaxValues = maxValues;
        Rows = rows;
        ValueCounts = counts;
        Rewards = rewards;
        Lengths = lengths;
        Users = users;
        Items = items;
        UserKeys = userKeys;
        ItemKeys = itemKeys;
    }

    public int Count { get; }
    /// <summary>L: positions per list (the longest list).</summary>
    public int MaxLength { get; }
    /// <summary>F: fields per position.</summary>
    public int FieldCount { get; }
    /// <summary>M: values per field (the largest set).</summary>
    public int MaxValues { get; }
    /// <summary>[N, L, F, M] embedding rows.</summary>
    public int[] Rows { get; }
    /// <summary>[N, L, F] number of values of each field (1 at padded positions, so means stay finite).</summary>
    public float[] ValueCounts { get; }
    /// <summary>[N, L] rewards (0 at padded positions).</summary>
    public float[] Rewards { get; }
    /// <summary>[N] list lengths.</summary>
    public int[] Lengths { get; }
    /// <summary>[N] dense user index into <see cref="UserKeys"/>.</summary>
    public int[] Users { get; }
    /// <summary>[N, L] dense item index into <see cref="ItemKeys"/> (-1 at padded positions).</summary>
    public int[] Items { get; }
    public string[] UserKeys { get; }
    public string[] ItemKeys { get; }

    public int ValidItems => Lengths.Sum();

    public static EncodedLists Encode(ListDataset data, FeatureVocabulary vocabulary, int? maxLength = null)
    {
        vocabulary.EnsureMatches(data.Schema, data.Source);
        var lists = data.Lists;
        int n = lists.Count, f = data.Schema.Count;
        int l = Math.Max(1, maxLength ?? data.MaxListLength);
        int m = Math.Max(1, lists.SelectMany(x => x.Items).SelectMany(i => i.Values).Select(v => v.Length).DefaultIfEmpty(1).Max());
        var rows = new int[n * l * f * m];
        var counts = new float[n * l * f];
        Array.Fill(counts, 1f);
        var rewards = new float[n * l];
        var lengths = new int[n];
        var users = new int[n];
        var items = new int[n * l];
        Array.Fill(items, -1);
        var userIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);

        for (int i = 0; i < n; i++)
        {
            var list = lists[i];
            if (list.Items.Count > l)
                throw new InvalidDataException($"{data.Source}: list '{list.ListId}' has {list.Items.Count} items, more than {l}");
            lengths[i] = list.Items.Count;
            users[i] = Intern(userIndex, list.UserKey);
            for (int t = 0; t < list.Items.Count; t++)
            {
                var item = list.Items[t];
                rewards[i * l + t] = item.Reward;
                items[i * l + t] = Intern(itemIndex, item.ItemKey);
                for (int k = 0; k < f; k++)
                {
                    var values = item.Values[k];
                    int cell = (i * l + t) * f + k;
                    counts[cell] = values.Length;
                    for (int v = 0; v < values.Length; v++) rows[cell * m + v] = vocabulary.Row(k, values[v]);
                }
            }
        }
        return new EncodedLists(n, l, f, m, rows, counts, rewards, lengths, users, items,
            [.. userIndex.OrderBy(p => p.Value).Select(p => p.Key)], [.. itemIndex.OrderBy(p => p.Value).Select(p => p.Key)]);
    }

    private static int Intern(Dictionary<string, int> index, string key)
    {
        if (!index.TryGetValue(key, out int i)) index[key] = i = index.Count;
        return i;
    }

    /// <summary>Tensors for the lists at <paramref name="indices"/> (created in the caller's dispose scope).</summary>
    public ListBatch Batch(ReadOnlySpan<int> indices)
    {
        int b = indices.Length, cell = MaxLength * FieldCount * MaxValues, pos = MaxLength * FieldCount;
        var rows = new long[b * cell];
        var counts = new float[b * pos];
        var rewards = new float[b * MaxLength];
        var mask = new bool[b * MaxLength];
        for (int j = 0; j < b; j++)
        {
            int i = indices[j];
            for (int x = 0; x < cell; x++) rows[j * cell + x] = Rows[i * cell + x];
            Array.Copy(ValueCounts, i * pos, counts, j * pos, pos);
            Array.Copy(Rewards, i * MaxLength, rewards, j * MaxLength, MaxLength);
            for (int t = 0; t < Lengths[i]; t++) mask[j * MaxLength + t] = true;
        }
        return new ListBatch(
            tensor(rows, [b, MaxLength, FieldCount, MaxValues]),
            tensor(counts, [b, MaxLength, FieldCount]),
            tensor(rewards, [b, MaxLength]),
            tensor(mask, [b, MaxLength]));
    }
}

/// <summary>A minibatch of lists as tensors.</summary>
/// <param name="Rows">[B, L, F, M] int64 embedding rows.</param>
/// <param name="Counts">[B, L, F] values per field.</param>
/// <param name="Rewards">[B, L].</param>
/// <param name="Mask">[B, L] true at real (not padded) positions.</param>
public sealed record ListBatch(Tensor Rows, Tensor Counts, Tensor Rewards, Tensor Mask)
{
    public long Size => Rows.shape[0];
    public long Length => Rows.shape[1];
}
