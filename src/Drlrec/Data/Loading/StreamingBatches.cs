using Drlrec.Distributed;
using Drlrec.Features;

namespace Drlrec.Data.Loading;

/// <summary>
/// Minibatches streamed from Parquet part files: each epoch visits this rank's row groups in an order drawn from the
/// epoch's seed, encodes each row group's training lists with the vocabulary, passes them through a
/// <see cref="ShuffleBuffer{T}"/> of <c>data.shuffle_buffer</c> lists (drawn from the same seed) and cuts what comes out
/// into minibatches of <c>trainer.batch_size</c> (the last one shorter), at most <c>trainer.max_steps_per_epoch</c> of
/// them when that is above 0. Memory: the buffer, one row group and one batch.
/// <para>Data-parallel training: rank <c>r</c> of <c>w</c> reads the row groups whose index among all parts' row groups
/// is r modulo w, so the ranks' shares are disjoint and together the whole training set. <c>trainer.batch_size</c> is
/// the global batch: each rank cuts batches of its share of it (<see cref="Shares"/>). Every rank takes the same number
/// of steps (the collectives of a step need all ranks): the fewest any rank's lists fill, so a rank with more lists
/// leaves its last ones for a later epoch (its row-group order changes every epoch).</para>
/// </summary>
public sealed class StreamingBatches : ITrainingBatches
{
    private readonly StreamingData data;
    private readonly int batchSize, bufferSize, rank, worldSize;

    public StreamingBatches(StreamingData data, int batchSize, int bufferSize, int maxStepsPerEpoch = 0, int rank = 0, int worldSize = 1)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "must be at least 1");
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {worldSize}: needs 0 <= rank < world size");
        this.data = data;
        if (batchSize < worldSize)
            throw new ArgumentException($"trainer.batch_size ({batchSize}) is the global batch and must be at least the number of ranks ({worldSize})");
        this.batchSize = Shares.Of(batchSize, rank, worldSize).Count;
        this.bufferSize = bufferSize;
        this.rank = rank;
        this.worldSize = worldSize;
        TrainingLists = data.TrainingListsIn(rank, worldSize);
        int fewest = int.MaxValue;
        for (int r = 0; r < worldSize; r++)
        {
            int share = Shares.Of(batchSize, r, worldSize).Count;
            fewest = Math.Min(fewest, (data.TrainingListsIn(r, worldSize) + share - 1) / share);
        }
        StepsPerEpoch = maxStepsPerEpoch > 0 ? Math.Min(fewest, maxStepsPerEpoch) : fewest;
    }

    /// <summary>Training lists in this rank's row groups.</summary>
    public int TrainingLists { get; }

    /// <summary>The most lists the shuffle buffer held in the last epoch (never more than <c>data.shuffle_buffer</c>).</summary>
    public int LastBufferPeak { get; private set; }

    /// <summary>Batches per epoch, the same on every rank.</summary>
    public int StepsPerEpoch { get; }

    public IEnumerable<TrainingBatch> Epoch(int epoch, int shuffleSeed)
    {
        var random = new Random(shuffleSeed);
        var order = Enumerable.Range(0, data.RowGroupCount).Where(g => g % worldSize == rank).ToArray();
        random.Shuffle(order);
        var buffer = new ShuffleBuffer<StreamedList>(bufferSize, random);
        var pending = new List<StreamedList>(batchSize);
        int steps = 0, limit = StepsPerEpoch;
        if (limit == 0) yield break;
        using var reader = data.OpenParts();
        try
        {
            foreach (int rowGroup in order)
            {
                if (data.EncodeTraining(rowGroup, reader) is not { } encoded) continue;
                foreach (var list in Split(encoded))
                {
                    if (!buffer.Add(list, out var next)) continue;
                    pending.Add(next);
                    if (pending.Count < batchSize) continue;
                    yield return Batch(pending);
                    pending = new List<StreamedList>(batchSize);
                    if (++steps == limit) yield break;
                }
            }
            foreach (var next in buffer.Drain())
            {
                pending.Add(next);
                if (pending.Count < batchSize) continue;
                yield return Batch(pending);
                pending = new List<StreamedList>(batchSize);
                if (++steps == limit) yield break;
            }
            if (pending.Count > 0)
            {
                yield return Batch(pending);
                steps++;
            }
            // Ranks step together: one whose lists ran short (a list its first pass counted but encoding skipped) still
            // takes part in the remaining steps, with nothing to add.
            for (; worldSize > 1 && steps < limit; steps++) yield return Batch([]);
        }
        finally
        {
            LastBufferPeak = buffer.MaxCount;
        }
    }

    /// <summary>One list of an encoded row group, copied out so that the row group's arrays can go, with its keys (for
    /// distillation's explorer).</summary>
    private sealed record StreamedList(int[] Rows, float[] Rewards, int Length, ListKeys Keys);

    private static IEnumerable<StreamedList> Split(EncodedLists encoded)
    {
        int cell = encoded.MaxLength * encoded.FieldCount * encoded.MaxValues;
        for (int i = 0; i < encoded.Count; i++)
            yield return new StreamedList(encoded.Rows.AsSpan(i * cell, cell).ToArray(),
                encoded.Rewards.AsSpan(i * encoded.MaxLength, encoded.MaxLength).ToArray(), encoded.Lengths[i], encoded.KeysOf(i));
    }

    private TrainingBatch Batch(List<StreamedList> lists)
    {
        int items = lists.Sum(l => l.Length);
        return new TrainingBatch(() => Tensors(lists), items, indices: null, () => lists.Select(l => l.Keys).ToArray());
    }

    private ListBatch Tensors(List<StreamedList> lists)
    {
        int length = data.MaxLength, fields = data.Schema.Count, slots = data.Slots;
        int cell = length * fields * slots;
        var rows = new long[lists.Count * cell];
        var rewards = new float[lists.Count * length];
        var mask = new bool[lists.Count * length];
        for (int b = 0; b < lists.Count; b++)
        {
            var list = lists[b];
            for (int k = 0; k < cell; k++) rows[b * cell + k] = list.Rows[k];
            list.Rewards.CopyTo(rewards, b * length);
            for (int t = 0; t < list.Length; t++) mask[b * length + t] = true;
        }
        return ListBatch.FromArrays(rows, rewards, mask, lists.Count, length, fields, slots);
    }
}
