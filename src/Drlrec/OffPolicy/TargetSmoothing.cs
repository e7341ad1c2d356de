namespace Drlrec.OffPolicy;

/// <summary>How a slot's scores become the target policy's probabilities of choosing each remaining candidate.</summary>
public enum SmoothingKind
{
    /// <summary>The highest score with probability 1 (the first of equal ones): the policy as served.</summary>
    Greedy,
    /// <summary>π(a) = (1 − ε) · 1{a = greedy} + ε / |remaining|.</summary>
    Epsilon,
    /// <summary>π(a) = exp(s_a / τ) / Σ_b exp(s_b / τ), τ in score units (for a model, Q units).</summary>
    Softmax,
    /// <summary>π(a) = 1 / |remaining|: the random policy.</summary>
    Uniform,
}

/// <summary>
/// The target policy's randomness. Greedy (the default) is the model as served; every estimator handles it, but an
/// importance weight is then 0 unless the logged prefix is exactly the model's own, so the IPS family sees few lists past
/// the first positions. ε-greedy and softmax spread the target over every candidate, so every logged list keeps a weight
/// (lower variance, a different policy than the one served).
/// </summary>
/// <param name="Value">ε for <see cref="SmoothingKind.Epsilon"/>, τ for <see cref="SmoothingKind.Softmax"/>.</param>
public sealed record TargetSmoothing(SmoothingKind Kind, double Value = 0)
{
    public static TargetSmoothing Greedy { get; } = new(SmoothingKind.Greedy);
    public static TargetSmoothing Uniform { get; } = new(SmoothingKind.Uniform);

    /// <summary>True when the policy puts probability 1 on one candidate per slot.</summary>
    public bool Deterministic => Kind == SmoothingKind.Greedy;

    /// <summary>Refuses a smoothing that is not a distribution: ε outside [0, 1], τ not above 0.</summary>
    public void Validate()
    {
        if (Kind == SmoothingKind.Epsilon && !(Value is >= 0 and <= 1))
            throw new ArgumentException($"--ope-smoothing epsilon: ε must be between 0 and 1 (got {Value})");
        if (Kind == SmoothingKind.Softmax && !(Value > 0 && double.IsFinite(Value)))
            throw new ArgumentException($"--ope-smoothing softmax: τ must be above 0 (got {Value})");
    }

    /// <summary>Parses <c>greedy</c>, <c>epsilon:E</c> or <c>softmax:T</c>.</summary>
    public static TargetSmoothing Parse(string text)
    {
        string[] parts = text.Split(':', 2);
        var kind = parts[0] switch
        {
            "greedy" => SmoothingKind.Greedy,
            "epsilon" => SmoothingKind.Epsilon,
            "softmax" => SmoothingKind.Softmax,
            _ => throw new ArgumentException($"--ope-smoothing: '{text}' is not greedy, epsilon:E or softmax:T"),
        };
        if (kind == SmoothingKind.Greedy) return Greedy;
        if (parts.Length < 2 || !double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value))
            throw new ArgumentException($"--ope-smoothing: '{text}' needs a number after ':' (epsilon:0.1, softmax:0.05)");
        var smoothing = new TargetSmoothing(kind, value);
        smoothing.Validate();
        return smoothing;
    }

    public override string ToString() => Kind switch
    {
        SmoothingKind.Greedy => "greedy",
        SmoothingKind.Uniform => "uniform",
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
    };

    /// <summary>The probabilities of choosing each candidate whose score is in <paramref name="scores"/> (formulas above).</summary>
    public double[] Probabilities(float[] scores)
    {
        int n = scores.Length;
        var p = new double[n];
        if (n == 0) return p;
        switch (Kind)
        {
            case SmoothingKind.Uniform:
                Array.Fill(p, 1.0 / n);
                return p;
            case SmoothingKind.Softmax:
                double top = scores.Max(), total = 0;
                for (int j = 0; j < n; j++) total += p[j] = Math.Exp((scores[j] - top) / Value);
                for (int j = 0; j < n; j++) p[j] /= total;
                return p;
            default:
                double epsilon = Kind == SmoothingKind.Epsilon ? Value : 0;
                Array.Fill(p, epsilon / n);
                p[Ranking.SlateRanker.Best(scores)] += 1 - epsilon;
                return p;
        }
    }
}
