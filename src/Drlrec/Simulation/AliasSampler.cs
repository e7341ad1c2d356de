namespace Drlrec.Simulation;

/// <summary>
/// Draws an index with probability proportional to its weight in constant time (Walker's alias method, built with
/// Vose's stable two-worklist construction in linear time). Holds one float and one int per outcome.
/// </summary>
public sealed class AliasSampler
{
    private readonly float[] keep;   // probability of keeping the drawn column rather than taking its alias
    private readonly int[] alias;

    /// <param name="weights">Non-negative, finite weights with a positive sum.</param>
    public AliasSampler(ReadOnlySpan<double> weights)
    {
        int n = weights.Length;
        if (n == 0) throw new ArgumentException("an alias sampler needs at least one weight", nameof(weights));
        double sum = 0;
        foreach (double w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException($"weights must be finite and non-negative (got {w})", nameof(weights));
            sum += w;
        }
        if (!(sum > 0)) throw new ArgumentException("weights must have a positive sum", nameof(weights));

        keep = new float[n];
        alias = new int[n];
        var scaled = new double[n];
        // Both worklists share one array: small columns fill it from the front, large ones from the back.
        var work = new int[n];
        int small = 0, large = n;
        for (int i = 0; i < n; i++)
        {
            scaled[i] = weights[i] * n / sum;
            if (scaled[i] < 1) work[small++] = i; else work[--large] = i;
        }
        int smallTop = small, largeTop = large;
        while (smallTop > 0 && largeTop < n)
        {
            int s = work[--smallTop], l = work[largeTop];
            keep[s] = (float)scaled[s];
            alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1;
            if (scaled[l] < 1)
            {
                largeTop++;
                work[smallTop++] = l; // the slot just freed by s
            }
        }
        // What remains is 1 up to rounding: always keep it.
        while (smallTop > 0) { int s = work[--smallTop]; keep[s] = 1; alias[s] = s; }
        while (largeTop < n) { int l = work[largeTop++]; keep[l] = 1; alias[l] = l; }
    }

    public int Count => keep.Length;

    public int Sample(Random rng)
    {
        int column = rng.Next(keep.Length);
        return rng.NextDouble() < keep[column] ? column : alias[column];
    }
}
