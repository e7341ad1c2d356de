using Drlrec.Data;
using Drlrec.Distributed;

namespace Drlrec.Features;

/// <summary>
/// Where an epoch's minibatches come from: lists held in memory (<see cref="InMemoryBatches"/>) or lists streamed from
/// files (<c>Data.Loading.StreamingBatches</c>). The trainer asks for one epoch at a time; a source seeds its order from
/// (run seed, epoch), so an epoch does not depend on how the process got there.
/// </summary>
public interface ITrainingBatches
{
    /// <summary>Steps one epoch takes (for a streamed source, counted from the lists' metadata): progress and the mean loss.</summary>
    int StepsPerEpoch { get; }

    /// <summary>The minibatches of epoch <paramref name="epoch"/> (1-based), in an order drawn from <paramref name="shuffleSeed"/>.</summary>
    IEnumerable<TrainingBatch> Epoch(int epoch, int shuffleSeed);
}

/// <summary>
/// One minibatch before it becomes tensors: <see cref="Tensors"/> makes them in the caller's dispose scope (one per step,
/// or again when a step needs the batch as read, before dropout).
/// </summary>
/// <param name="tensors">Makes the batch's tensors.</param>
/// <param name="items">Real (not padded) list items in the batch.</param>
/// <param name="indices">The lists' indices in an in-memory training set (what the distillation's per-list caches are
/// indexed by); null for streamed lists, which have no such index.</param>
/// <param name="keys">Makes each list's user and item keys (what the explorer needs of a list besides its rows).</param>
public sealed class TrainingBatch(Func<ListBatch> tensors, int items, int[]? indices, Func<IReadOnlyList<ListKeys>> keys)
{
    public int Items { get; } = items;
    public int[]? Indices { get; } = indices;
    public ListBatch Tensors() => tensors();
    /// <summary>The user and item keys of the batch's lists, in batch order.</summary>
    public IReadOnlyList<ListKeys> Keys() => keys();

    /// <summary>The lists at <paramref name="indices"/> of lists held in memory.</summary>
    public static TrainingBatch Of(EncodedLists lists, int[] indices)
    {
        int items = 0;
        foreach (int i in indices) items += lists.Lengths[i];
        return new TrainingBatch(() => lists.Batch(indices), items, indices, () => indices.Select(lists.KeysOf).ToArray());
    }
}

/// <summary>
/// Minibatches of encoded lists held in memory: each epoch a permutation of all lists drawn from the epoch's seed, cut
/// into consecutive batches (the last one shorter), at most <paramref name="maxStepsPerEpoch"/> of them when above 0.
/// Data-parallel, every rank draws the same permutation and takes its share of each global batch
/// (<see cref="DataParallel.ShareOf(ReadOnlySpan{int})"/>); <paramref name="batchSize"/> is the global batch.
/// </summary>
public sealed class InMemoryBatches(EncodedLists train, int batchSize, int maxStepsPerEpoch = 0, DataParallel? world = null) : ITrainingBatches
{
    public EncodedLists Lists => train;

    public int StepsPerEpoch
    {
        get
        {
            int whole = (train.Count + batchSize - 1) / batchSize;
            return maxStepsPerEpoch > 0 ? Math.Min(whole, maxStepsPerEpoch) : whole;
        }
    }

    public IEnumerable<TrainingBatch> Epoch(int epoch, int shuffleSeed)
    {
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(shuffleSeed).Shuffle(order);
        int steps = StepsPerEpoch;
        for (int s = 0; s < steps; s++)
        {
            int start = s * batchSize, n = Math.Min(batchSize, order.Length - start);
            yield return TrainingBatch.Of(train, (world ?? DataParallel.Single).ShareOf(order.AsSpan(start, n)));
        }
    }
}
