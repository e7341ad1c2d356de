namespace Drlrec.Evaluation;

/// <summary>
/// The same-category load a diversity rule penalises: per category, at the next slot p,
/// <code>load(c) = Σ over placed items j of category c  decay^(p − j − 1)</code>
/// One place for the diversity re-rank (<see cref="DiversityRerank"/>), the category penalty diagnostic
/// (<see cref="CategoryPenalty"/>) and the re-rank as an off-policy target.
/// </summary>
/// <param name="categories">Categories, numbered 0..categories − 1.</param>
/// <param name="decay">How much an earlier same-category item still weighs per item placed after it.</param>
public sealed class CategoryLoad(int categories, double decay)
{
    private readonly double[] load = new double[categories];

    /// <summary>load(c) at the next slot.</summary>
    public double Of(int category) => load[category];

    /// <summary>An item of <paramref name="category"/> was placed: every load decays by one slot, then its category's grows by 1.</summary>
    public void Place(int category)
    {
        for (int c = 0; c < load.Length; c++) load[c] *= decay;
        load[category] += 1;
    }

    /// <summary>Back to no item placed.</summary>
    public void Clear() => Array.Clear(load);
}
