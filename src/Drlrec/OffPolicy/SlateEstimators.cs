namespace Drlrec.OffPolicy;

/// <summary>The estimators of a target policy's clicks per list.</summary>
public enum Estimator
{
    /// <summary>The click model's value of the target's slates (<see cref="SlateEstimators.Direct"/>).</summary>
    DirectMethod,
    /// <summary>Reward-interaction IPS (<see cref="SlateEstimators.Rips"/>).</summary>
    Rips,
    /// <summary>RIPS self-normalised per position (<see cref="SlateEstimators.SelfNormalised"/>).</summary>
    SnRips,
    /// <summary>Cascade doubly robust (<see cref="SlateEstimators.CascadeDr"/>), the default.</summary>
    CascadeDr,
    /// <summary>Cascade-DR with every cascade weight capped (<see cref="OpeSettings.Clip"/>): biased by the click model's
    /// residuals where a weight is capped, far less variable.</summary>
    CascadeDrClipped,
    /// <summary>Independent (per-position) IPS, self-normalised: a diagnostic (<see cref="SlateEstimators.IndependentWeights"/>).</summary>
    SnIips,
}

/// <summary>
/// What the estimators read of one logged list for one target policy π, position by position (l = 1..L, arrays 0-based):
/// the click r_l, the logging propensity π0(a_l | a_&lt;l), the target's probability π(a_l | a_&lt;l) of the logged item
/// after the logged prefix, the click model's q̂(a_1..a_l), its expectation under the target after the logged prefix
/// Σ_a π(a | a_&lt;l) q̂(a_&lt;l, a), the continuation G_l (below), and the direct method's value of the list.
/// </summary>
/// <param name="Continuation">G_l, any function of the logged prefix a_&lt;l that approximates the click model's value of the
/// target's slate after position l: for a greedy target Σ over l' &gt; l of q̂(g_1..g_l') (g its slate) when a_&lt;l equals
/// g_&lt;l, else 0; for a smoothed one the mean of that value over the slates drawn from it for the direct method.</param>
/// <param name="Direct">E over the target's slates s of Σ_l q̂(s_1..s_l).</param>
public sealed record ListTerms(float[] Rewards, double[]? Logging, double[] Target, double[] LoggedClicks, double[] ExpectedClicks,
    double[] Continuation, double Direct)
{
    public int Length => Rewards.Length;
}

/// <summary>
/// The off-policy estimators of a slate policy's expected clicks per list under the cascade assumption (the click at
/// position l depends on the items at 1..l only, as the simulator's click model), over n logged lists i:
/// <code>
///   w_il = Π_{j ≤ l} π(a_ij | a_i&lt;j) / π0(a_ij | a_i&lt;j)                         cascade weight (w_i0 = 1)
///   v_il = π(a_il | a_i&lt;l) / π0(a_il | a_i&lt;l)                                   independent (per-position) weight
///   DM     = 1/n Σ_i E_π[Σ_l q̂(s_1..s_l)]
///   RIPS   = 1/n Σ_i Σ_l w_il r_il
///   SN-RIPS = Σ_l (n_l / n) Σ_i w_il r_il / Σ_i w_il                                 over the n_l lists with a position l
///   CDR    = 1/n Σ_i Σ_l [ w_il (r_il − q̂(a_i1..a_il) − G_il) + w_i(l−1) (Σ_a π(a | a_i&lt;l) q̂(a_i&lt;l, a) + G_il) ]
///   SN-IIPS = Σ_l (n_l / n) Σ_i v_il r_il / Σ_i v_il
/// </code>
/// CDR is Kiyohara et al.'s Cascade-DR with the Q-model Q̂_l(a_1..a_l) = q̂(a_1..a_l) + G_l: unbiased whatever q̂ (the
/// control variate has mean 0 given the prefix), RIPS when q̂ = 0, and for a greedy target the direct method plus RIPS
/// on the residuals, CDR = Σ_l q̂(g_1..g_l) + Σ_l w_l (r_l − q̂(g_1..g_l)). Clipped CDR caps every w_il at W (both
/// where it weighs a residual and where it weighs an expectation): for a greedy target it is the direct method plus
/// the residuals weighted min(w_l, W), biased by E[(min(w_l, W) − w_l)(r_l − q̂_l)], which vanishes with a perfect click
/// model, and rid of the rare lists whose prefix matched by chance deep into the list with weights in the thousands. SN-IIPS ignores the items before a position
/// (each slot as its own bandit): biased when the clicks interact across positions, which is what its distance from
/// RIPS shows. Each estimate is a mean (or ratio of sums) over lists, so a bootstrap resamples lists: the
/// <c>counts</c> argument gives each list's multiplicity (null: once each).
/// </summary>
public static class SlateEstimators
{
    /// <summary>w_l, the cascade weights of a list (0 from the first position the target cannot reach on).</summary>
    public static double[] CascadeWeights(ListTerms t)
    {
        var logging = t.Logging ?? throw new InvalidOperationException("the list has no propensities");
        var w = new double[t.Length];
        double running = 1;
        for (int l = 0; l < w.Length; l++) w[l] = running = running == 0 ? 0 : running * t.Target[l] / logging[l];
        return w;
    }

    /// <summary>v_l, the per-position (independent) weights of a list.</summary>
    public static double[] IndependentWeights(ListTerms t)
    {
        var logging = t.Logging ?? throw new InvalidOperationException("the list has no propensities");
        return t.Target.Select((p, l) => p / logging[l]).ToArray();
    }

    /// <summary>The direct method's term of a list.</summary>
    public static double Direct(ListTerms t) => t.Direct;

    /// <summary>RIPS's term of a list: Σ_l w_l r_l.</summary>
    public static double Rips(ListTerms t)
    {
        var w = CascadeWeights(t);
        double sum = 0;
        for (int l = 0; l < w.Length; l++) sum += w[l] * t.Rewards[l];
        return sum;
    }

    /// <summary>Cascade-DR's term of a list (class summary), with every cascade weight capped at <paramref name="clip"/>.</summary>
    public static double CascadeDr(ListTerms t, double clip = double.PositiveInfinity)
    {
        var w = CascadeWeights(t);
        for (int l = 0; l < w.Length; l++) w[l] = Math.Min(w[l], clip);
        double sum = 0, before = 1;
        for (int l = 0; l < w.Length; l++)
        {
            double g = t.Continuation[l];
            sum += w[l] * (t.Rewards[l] - t.LoggedClicks[l] - g) + before * (t.ExpectedClicks[l] + g);
            before = w[l];
        }
        return sum;
    }

    /// <summary>A mean of per-list terms, each list counted <c>counts[i]</c> times.</summary>
    public static double Mean(double[] terms, int[]? counts)
    {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < terms.Length; i++)
        {
            int c = counts?[i] ?? 1;
            sum += c * terms[i];
            n += c;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>
    /// A self-normalised estimate Σ_l (n_l / n) Σ_i x_il r_il / Σ_i x_il from per-list weights x (cascade or independent);
    /// a position no list reaches with a positive weight adds 0.
    /// </summary>
    public static double SelfNormalised(IReadOnlyList<double[]> weights, IReadOnlyList<float[]> rewards, int[]? counts)
    {
        int length = weights.Count == 0 ? 0 : weights.Max(w => w.Length);
        var weighted = new double[length];
        var total = new double[length];
        var present = new long[length];
        long n = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            int c = counts?[i] ?? 1;
            if (c == 0) continue;
            n += c;
            for (int l = 0; l < weights[i].Length; l++)
            {
                weighted[l] += c * weights[i][l] * rewards[i][l];
                total[l] += c * weights[i][l];
                present[l] += c;
            }
        }
        double estimate = 0;
        for (int l = 0; l < length; l++)
            if (total[l] > 0) estimate += (double)present[l] / n * weighted[l] / total[l];
        return n == 0 ? double.NaN : estimate;
    }

    /// <summary>Kish's effective sample size of the weights at each position: (Σ_i x_il)² / Σ_i x_il².</summary>
    public static double[] EffectiveSampleSize(IReadOnlyList<double[]> weights)
    {
        int length = weights.Count == 0 ? 0 : weights.Max(w => w.Length);
        var ess = new double[length];
        for (int l = 0; l < length; l++)
        {
            double sum = 0, squares = 0;
            foreach (var w in weights)
                if (l < w.Length) { sum += w[l]; squares += w[l] * w[l]; }
            ess[l] = squares == 0 ? 0 : sum * sum / squares;
        }
        return ess;
    }
}
