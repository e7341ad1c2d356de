using System.Collections;

namespace Drlrec.Data;

/// <summary>
/// Read-only lists whose items are made on each access, not stored: what keeps a log's unshown candidates (five times
/// its shown items in the simulator) from filling memory while training never reads them.
/// </summary>
public static class LazyList
{
    /// <summary>A list of <paramref name="count"/> items, item k made by <paramref name="itemAt"/>(k); enumerating makes
    /// them all through <paramref name="all"/> when given (one shared set-up instead of one per item).</summary>
    public static IReadOnlyList<T> Of<T>(int count, Func<int, T> itemAt, Func<IEnumerable<T>>? all = null) =>
        new Computed<T>(count, itemAt, all);

    /// <summary><paramref name="source"/> with <paramref name="map"/> applied to each item as it is read.</summary>
    public static IReadOnlyList<T> Map<T>(IReadOnlyList<T> source, Func<T, T> map) =>
        new Computed<T>(source.Count, k => map(source[k]), () => source.Select(map));

    private sealed class Computed<T>(int count, Func<int, T> itemAt, Func<IEnumerable<T>>? all) : IReadOnlyList<T>
    {
        public int Count => count;

        public T this[int index] => (uint)index < (uint)count ? itemAt(index) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<T> GetEnumerator() => (all?.Invoke() ?? Enumerable.Range(0, count).Select(itemAt)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
