namespace Drlrec.Evaluation;

/// <summary>A mean with its 95% Student-t interval (NaN bounds when there is one value).</summary>
public sealed record MeanInterval(double Mean, double Low, double High, double Std, int Count)
{
    /// <summary>True when the interval lies entirely above or below <paramref name="value"/>.</summary>
    public bool Excludes(double value) => !double.IsNaN(Low) && (Low > value || High < value);
}

/// <summary>The few statistics the reports use, in one place.</summary>
public static class Statistics
{
    /// <summary>Sample standard deviation (n − 1 in the denominator); 0 for fewer than two values.</summary>
    public static double Std(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>
    /// The mean and its 95% interval: mean ± t(0.975, n − 1) · s / √n. For paired comparisons pass the per-pair
    /// differences (e.g. per seed, or per request): the interval then says whether the difference is distinguishable
    /// from zero.
    /// </summary>
    public static MeanInterval Mean95(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("a mean of no values", nameof(values));
        double mean = values.Average(), sd = Std(values);
        if (values.Count < 2) return new MeanInterval(mean, double.NaN, double.NaN, 0, 1);
        double half = TCritical95(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return new MeanInterval(mean, mean - half, mean + half, sd, values.Count);
    }

    /// <summary>Two-sided 95% critical value of Student's t with <paramref name="df"/> ≥ 1 degrees of freedom (the normal
    /// 1.96 above 30, where the table ends; the exact value is within 2% of it there).</summary>
    public static double TCritical95(int df)
    {
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), "degrees of freedom start at 1");
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        return df <= table.Length ? table[df - 1] : 1.96;
    }
}
