using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Data;
using Drlrec.Tensors;

namespace Drlrec.Features;

/// <summary>
/// Logged lists turned into embedding rows, padded to a rectangle: N lists × L positions × F fields ×
/// M values (row 0 pads both short lists and fields with fewer than M values).
/// </summary>
public sealed class EncodedLists
{
    private Tensor? rowsTensor, rewardsTensor, maskTensor;
    // The encoded lists as given (fields aligned with the vocabulary), for their unshown candidates; null when encoded elsewhere.
    private IReadOnlyList<LoggedList>? source;

    private EncodedLists(int count, int maxLength, int fields, int maxValues, int[] rows, float[] rewards,
        int[] lengths, int[] users, int[] items, string[] userKeys, string[] itemKeys)
    {
        Count = count;
        MaxLength = maxLength;
        FieldCount = fields;
        MaxValues = maxValues;
        Rows = rows;
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

    /// <summary>The user and item keys of list <paramref name="list"/>, with its unshown candidates when the log carries them.</summary>
    public ListKeys KeysOf(int list) =>
        new(UserKeys[Users[list]], Enumerable.Range(0, Lengths[list]).Select(t => ItemKeys[Items[list * MaxLength + t]]).ToArray())
        {
            Unshown = source is null ? [] : source[list].Unshown,
        };

    /// <summary>True when some of the lists carry unshown candidates (<see cref="LoggedList.Unshown"/>).</summary>
    public bool HasUnshown => source is not null && source.Any(l => l.Unshown.Count > 0);

    /// <summary>Encodes lists with a vocabulary. Lists without the vocabulary's derived item fields (raw test lists, a
    /// separate file) get them from its training statistics first, as the model would fill them when ranking.</summary>
    /// <param name="minSlots">Index slots per field at least (M), so that lists encoded in pieces share one shape.</param>
    public static EncodedLists Encode(ListDataset data, FeatureVocabulary vocabulary, int? maxLength = null, int minSlots = 1)
    {
        // A model trained without the user history fields ranks the lists without them.
        data = UserHistory.Align(data, vocabulary);
        if (vocabulary.ItemStatistics is { } statistics && !data.Schema.Fields.Any(f => f.Derived))
            data = statistics.AddTo(data, leaveOneOut: false);
        vocabulary.EnsureMatches(data.Schema, data.Source);
        var lists = data.Lists;
        int n = lists.Count, f = data.Schema.Count;
        int l = Math.Max(1, maxLength ?? data.MaxListLength);
        int m = Math.Max(minSlots, vocabulary.SlotsFor(lists.SelectMany(x => x.Items).SelectMany(i => i.Values).Select(v => v.Length).DefaultIfEmpty(1).Max()));
        var rows = new int[n * l * f * m];
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
                    int cell = (i * l + t) * f + k;
                    Encode(vocabulary, k, item.Values[k], rows.AsSpan(cell * m, m), data.Source, list.ListId);
                }
            }
        }
        return new EncodedLists(n, l, f, m, rows, rewards, lengths, users, items,
            [.. userIndex.OrderBy(p => p.Value).Select(p => p.Key)], [.. itemIndex.OrderBy(p => p.Value).Select(p => p.Key)])
        {
            source = lists,
        };
    }

    /// <summary>One field of one position into its index slots; a dense value that is not a number names its list.</summary>
    private static void Encode(FeatureVocabulary vocabulary, int field, string[] values, Span<int> slots, string source, string listId)
    {
        try
        {
            vocabulary.Fields[field].Encode(values, slots);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{source}: list '{listId}', field '{vocabulary.Fields[field].Name}': {e.Message}", e);
        }
    }

    private static int Intern(Dictionary<string, int> index, string key)
    {
        if (!index.TryGetValue(key, out int i)) index[key] = i = index.Count;
        return i;
    }

    /// <summary>Tensors for the lists at <paramref name="indices"/> (created in the caller's dispose scope).</summary>
    public ListBatch Batch(ReadOnlySpan<int> indices)
    {
        EnsureTensors();
        var index = tensor(indices.ToArray().Select(i => (long)i).ToArray());
        return new ListBatch(rowsTensor!.index_select(0, index), rewardsTensor!.index_select(0, index), maskTensor!.index_select(0, index));
    }

    /// <summary>The whole set as tensors, built once and kept outside any dispose scope (batches are slices of them).</summary>
    private void EnsureTensors()
    {
        if (rowsTensor is not null) return;
        lock (Rows)
        {
            if (rowsTensor is not null) return;
            var mask = new bool[Count * MaxLength];
            for (int i = 0; i < Count; i++)
                for (int t = 0; t < Lengths[i]; t++) mask[i * MaxLength + t] = true;
            rewardsTensor = tensor(Rewards, [Count, MaxLength]).DetachFromDisposeScope();
            maskTensor = tensor(mask, [Count, MaxLength]).DetachFromDisposeScope();
            using var rows32 = tensor(Rows, [Count, MaxLength, FieldCount, MaxValues]).DetachFromDisposeScope();
            rowsTensor = rows32.to_type(ScalarType.Int64).DetachFromDisposeScope();
        }
    }
}

/// <summary>A minibatch of lists as tensors.</summary>
/// <param name="Rows">[B, L, F, M] int64 embedding rows (0 = padding).</param>
/// <param name="Rewards">[B, L].</param>
/// <param name="Mask">[B, L] true at real (not padded) positions.</param>
public sealed record ListBatch(Tensor Rows, Tensor Rewards, Tensor Mask)
{
    /// <summary>A batch from flat arrays: <paramref name="rows"/> [B, L, F, M], <paramref name="rewards"/> and <paramref name="mask"/> [B, L].</summary>
    public static ListBatch FromArrays(long[] rows, float[] rewards, bool[] mask, long lists, long length, long fields, long slots) =>
        new(tensor(rows, [lists, length, fields, slots]), tensor(rewards, [lists, length]), tensor(mask, [lists, length]));

    public long Size => Rows.shape[0];
    public long Length => Rows.shape[1];
}
