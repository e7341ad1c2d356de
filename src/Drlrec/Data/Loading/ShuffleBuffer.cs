namespace Drlrec.Data.Loading;

/// <summary>
/// A bounded shuffle between a stream and its reader: the first <see cref="Capacity"/> items fill the buffer; then each
/// new item takes the place of one drawn uniformly from the buffer, which goes out. It never holds more than
/// <see cref="Capacity"/> items, and an item leaves at most about Capacity·ln(n) places from where it came in.
/// </summary>
public sealed class ShuffleBuffer<T>(int capacity, Random random)
{
    private readonly List<T> items = new(Math.Min(capacity, 1 << 16));

    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "must be at least 1");

    public int Count => items.Count;

    /// <summary>The most items held at once so far.</summary>
    public int MaxCount { get; private set; }

    /// <summary>Takes <paramref name="item"/>; gives one out once the buffer is full.</summary>
    public bool Add(T item, out T emitted)
    {
        if (items.Count < Capacity)
        {
            items.Add(item);
            MaxCount = Math.Max(MaxCount, items.Count);
            emitted = default!;
            return false;
        }
        int at = random.Next(items.Count);
        emitted = items[at];
        items[at] = item;
        return true;
    }

    /// <summary>What is left, in a random order; the buffer is empty afterwards.</summary>
    public IEnumerable<T> Drain()
    {
        while (items.Count > 0)
        {
            int at = random.Next(items.Count);
            var item = items[at];
            items[at] = items[^1];
            items.RemoveAt(items.Count - 1);
            yield return item;
        }
    }
}
