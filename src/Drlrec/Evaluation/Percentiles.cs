namespace Drlrec.Evaluation;

/// <summary>
/// Nearest-rank percentiles of timings: the p-th percentile of n values sorted ascending is the value of rank ⌈p·n⌉
/// (rank 1 for p = 0). Used by the latency benchmark, the HTTP load client and the int8 order agreement alike.
/// </summary>
public static class Percentiles
{
    /// <summary>Of values already sorted ascending (no copy).</summary>
    /// <exception cref="ArgumentException">There are no values.</exception>
    public static double OfSorted(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) throw new ArgumentException("a percentile of no values", nameof(sorted));
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Of values in any order.</summary>
    public static double Of(IEnumerable<double> values, double p) => OfSorted(values.Order().ToArray(), p);
}
