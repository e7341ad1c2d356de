using System.Text.Json.Serialization;
using Drlrec.Data;
using MathNetStatistics = MathNet.Numerics.Statistics.Statistics;

namespace Drlrec.OffPolicy;

/// <summary>Settings of an off-policy evaluation (<c>drlrec evaluate --ope</c>).</summary>
public sealed record OpeSettings
{
    /// <summary>The windowed targets (models, the diversity re-rank) re-rank the upstream top N of each list's candidates
    /// (<see cref="CandidateWindow"/>); null: all of them.</summary>
    public int? Window { get; init; }

    /// <summary>The targets' randomness (<see cref="TargetSmoothing"/>). Default greedy: the policies as served.</summary>
    public TargetSmoothing Smoothing { get; init; } = TargetSmoothing.Greedy;

    /// <summary>
    /// Cross-fitting folds of the click model: the evaluated lists are split into K folds (by a hash of the list id and the
    /// seed) and each fold is scored by a model fitted on the fitting lists and the other folds, so no list is scored by a
    /// model fitted on it. 1: one model fitted on the fitting lists alone. Default 2.
    /// </summary>
    public int Folds { get; init; } = 2;

    /// <summary>
    /// Which lists the click model is fitted on. <see cref="ClickModelLists.Auto"/> (default): the other folds alone from
    /// <see cref="FoldsFrom"/> evaluated lists on, else the training lists and the other folds (measured, docs/ope.md: at
    /// 20,000 lists the folds fit removes the +0.03 bias a click model fitted on the models' own training lists shares with
    /// them; at 5,000 it ranks the policies worse and misses random by 11%). <see cref="ClickModelLists.TrainingAndFolds"/>:
    /// the training lists and the other folds; <see cref="ClickModelLists.Folds"/>: the other folds of the evaluated lists
    /// alone (at least 2 folds), so the click model shares no data with the models it scores.
    /// </summary>
    public ClickModelLists FitOn { get; init; } = ClickModelLists.Auto;

    /// <summary>Evaluated lists from which <see cref="ClickModelLists.Auto"/> fits on the other folds alone. Default 20,000 (at 10,000 the training lists still helped: docs/ope.md).</summary>
    public int FoldsFrom { get; init; } = 20_000;

    /// <summary>Bootstrap resamples of the lists for the 95% intervals (percentile method). Default 500.</summary>
    public int Bootstrap { get; init; } = 500;

    /// <summary>
    /// Refits of the click model, each on a bootstrap resample of its fitting lists (and a row order of its own): the
    /// standard deviation of every estimate over them is the click model's own noise, added to the interval's (the list
    /// bootstrap alone holds the logs' noise given one fitted model, and measured at 20,000 lists the fits' noise was
    /// larger: docs/ope.md). Each refit costs a fit per fold and a pass over the lists. 0: no refits. Default (null):
    /// <see cref="AutoRefits"/> when the click model is fitted on the folds alone, else 0.
    /// </summary>
    public int? Refits { get; init; }

    /// <summary>The refits a folds-only fit gets when <see cref="Refits"/> is not given.</summary>
    public const int AutoRefits = 10;

    /// <summary>Seed of the folds, the click model's row order, the bootstrap and a smoothed target's sampled slates. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Slates drawn per list from a smoothed target for the direct method. Default 8.</summary>
    public int DmSamples { get; init; } = 8;

    /// <summary>The cap on cascade weights of the clipped Cascade-DR (<see cref="Estimator.CascadeDrClipped"/>). Default 20.</summary>
    public double Clip { get; init; } = 20;

    /// <summary>
    /// The estimator a user is told to read and that chooses among variants. Default the clipped Cascade-DR: with greedy
    /// targets the unclipped one's few lists matched deep down carry weights in the thousands (docs/ope.md, measured:
    /// 10–21% errors and the exit-category world's γ sweep chosen wrong, where the clipped one erred by ≤ 5%).
    /// </summary>
    public Estimator Default { get; init; } = Estimator.CascadeDrClipped;

    public ClickModelSettings ClickModel { get; init; } = new();

    public void Validate()
    {
        Smoothing.Validate();
        if (Folds < 1) throw new ArgumentException($"--ope-folds: must be at least 1 (got {Folds})");
        if (FoldsFrom < 1) throw new ArgumentException($"--ope-folds-from: must be at least 1 (got {FoldsFrom})");
        if (FitOn == ClickModelLists.Folds && Folds < 2)
            throw new ArgumentException("--ope-fit folds: fits the click model on the other folds of the evaluated lists, so --ope-folds must be at least 2");
        if (Bootstrap < 0) throw new ArgumentException($"--ope-bootstrap: must not be negative (got {Bootstrap})");
        if (Refits is < 0 or 1) throw new ArgumentException($"--ope-refits: must be 0 or at least 2, to measure a spread (got {Refits})");
        if (DmSamples < 1) throw new ArgumentException($"--ope-dm-samples: must be at least 1 (got {DmSamples})");
        if (Window is < 1) throw new ArgumentException($"--candidates: must be at least 1 (got {Window})");
        if (!(Clip >= 1)) throw new ArgumentException($"--ope-clip: must be at least 1 (got {Clip})");
    }

    /// <summary>The settings with <see cref="ClickModelLists.Auto"/> and the default refits decided for
    /// <paramref name="lists"/> evaluated lists.</summary>
    public OpeSettings Resolved(int lists)
    {
        var fit = FitOn != ClickModelLists.Auto ? FitOn
            : Folds >= 2 && lists >= FoldsFrom ? ClickModelLists.Folds
            : ClickModelLists.TrainingAndFolds;
        return this with { FitOn = fit, Refits = Refits ?? (fit == ClickModelLists.Folds ? AutoRefits : 0) };
    }
}

/// <summary>The lists the direct method's click model is fitted on (<see cref="OpeSettings.FitOn"/>).</summary>
public enum ClickModelLists
{
    /// <summary><see cref="Folds"/> from <see cref="OpeSettings.FoldsFrom"/> evaluated lists on, else <see cref="TrainingAndFolds"/>.</summary>
    Auto,

    /// <summary>The training lists and the other folds of the evaluated lists.</summary>
    TrainingAndFolds,

    /// <summary>The other folds of the evaluated lists alone.</summary>
    Folds,
}

/// <summary>A policy to evaluate; <paramref name="Windowed"/>: it re-ranks the window (models, the diversity re-rank), else every candidate.</summary>
public sealed record OpeTarget(ISlatePolicy Policy, bool Windowed = true);

/// <summary>One estimator's estimate of a policy's clicks per list, its 95% bootstrap interval and its effective sample size
/// per position (Kish's, of its weights; the direct method's is the list count).</summary>
public sealed record OpeEstimate(double Value, [property: JsonPropertyName("ci95")] double[] Ci95, double[] Ess)
{
    /// <summary>True when the interval holds <paramref name="value"/>.</summary>
    public bool Covers(double value) => Ci95[0] <= value && value <= Ci95[1];
}

/// <summary>A policy's estimates by estimator name (<see cref="OffPolicyEvaluation.Names"/>).</summary>
public sealed record OpePolicy(string Name, IReadOnlyDictionary<string, OpeEstimate> Estimates)
{
    /// <summary>The policy's logged clicks per list with a bootstrap interval: only the logging policy's row has them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OpeEstimate? LoggedClicks { get; init; }
}

/// <summary>A − B by the default estimator on the same bootstrap resamples, with its 95% interval.</summary>
public sealed record OpeDifference(string A, string B, double Difference, [property: JsonPropertyName("ci95")] double[] Ci95)
{
    public bool Distinguishable => Ci95[0] > 0 || Ci95[1] < 0;
}

/// <summary>What an off-policy evaluation found (see <see cref="OffPolicyEvaluation.Run"/>).</summary>
public sealed record OpeResult(IReadOnlyList<OpePolicy> Policies, OpePolicy Logging, int Lists, int ListsWithoutPropensities,
    string DefaultEstimator, string Smoothing, int? Window, int Folds, int Bootstrap)
{
    /// <summary>Refits of the click model whose spread widens the intervals (<see cref="OpeSettings.Refits"/>).</summary>
    public int Refits { get; init; }

    /// <summary>The lists the click model was fitted on (<see cref="OpeSettings.FitOn"/>).</summary>
    public ClickModelLists FitOn { get; init; }

    /// <summary>Why some estimators are missing, for the user (null when all are there).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Note { get; init; }

    /// <summary>The policy with the highest default estimate, and its paired difference from every other policy.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Best { get; init; }

    public IReadOnlyList<OpeDifference> BestAgainst { get; init; } = [];
}

/// <summary>
/// Off-policy evaluation of slate policies on logged lists (the estimators: <see cref="SlateEstimators"/>): each target
/// policy is run over every logged list's candidates (<see cref="TargetTerms"/>), the direct method's click model is
/// cross-fitted (<see cref="OpeSettings.Folds"/>), and every estimate gets a 95% percentile bootstrap interval over
/// resampled lists (the same resamples for every policy, so differences are paired; the click model is not refitted per
/// resample, so the interval holds the logs' sampling noise given the model; <see cref="OpeSettings.Refits"/> adds the
/// model's own noise).
/// </summary>
public static class OffPolicyEvaluation
{
    /// <summary>The estimators' names in reports, in report order.</summary>
    public static IReadOnlyDictionary<Estimator, string> Names { get; } = new Dictionary<Estimator, string>
    {
        [Estimator.CascadeDr] = "cascade_dr", [Estimator.CascadeDrClipped] = "cascade_dr_clip", [Estimator.DirectMethod] = "dm", [Estimator.Rips] = "rips",
        [Estimator.SnRips] = "sn_rips", [Estimator.SnIips] = "sn_iips",
    };

    public const string LoggingPolicy = "logging-policy";

    /// <summary>Lists whose greedy slates a model builds in one go (<see cref="IManySlatesPolicy"/>).</summary>
    private const int SlateBlock = 1024;

    /// <param name="schema">The lists' schema (the click model reads its fields).</param>
    /// <param name="evaluated">The lists the targets are evaluated on.</param>
    /// <param name="fitting">Lists the click model is fitted on besides the other folds (the training lists).</param>
    /// <param name="onList">Called after each evaluated list (progress).</param>
    /// <param name="onSlate">Called with (target, list, greedy slate) for each target and list (the validation harness
    /// scores the slates with the simulator's truth).</param>
    public static OpeResult Run(ListSchema schema, IReadOnlyList<LoggedSlate> evaluated, IReadOnlyList<LoggedSlate> fitting,
        IReadOnlyList<OpeTarget> targets, OpeSettings settings, Action<int>? onList = null, Action<int, int, int[]>? onSlate = null)
    {
        settings.Validate();
        if (evaluated.Count == 0) throw new ArgumentException("off-policy evaluation needs at least one logged list");
        bool weighted = evaluated.Any(s => s.Propensities is not null);
        var lists = weighted ? evaluated.Where(s => s.Propensities is not null).ToList() : evaluated.ToList();
        int without = evaluated.Count - lists.Count;
        settings = settings.Resolved(lists.Count);
        var models = FitClickModels(schema, lists, fitting, settings);

        var terms = targets.Select(_ => new ListTerms[lists.Count]).ToArray();
        var logging = new ListTerms[lists.Count];
        // Greedy models build their slates a block of lists at a time (one batched step per slot: IManySlatesPolicy).
        var many = targets.Select(t => (t.Policy.OwnSmoothing ?? settings.Smoothing).Deterministic
            && t.Policy is IManySlatesPolicy { RanksManySlates: true } m ? m : null).ToArray();
        var built = new int[targets.Count][][];
        var greedySlates = targets.Select(_ => new int[lists.Count][]).ToArray();
        for (int i = 0; i < lists.Count; i++)
        {
            var slate = lists[i];
            var clicks = models.Model(slate).For(slate);
            var all = CandidateWindow.Of(slate, null);
            var window = CandidateWindow.Of(slate, settings.Window);
            if (i % SlateBlock == 0)
            {
                var block = lists.Skip(i).Take(SlateBlock).ToList();
                for (int t = 0; t < targets.Count; t++)
                    built[t] = many[t]?.GreedySlates(block, block.Select(s => CandidateWindow.Of(s, targets[t].Windowed ? settings.Window : null)).ToList())!;
            }
            for (int t = 0; t < targets.Count; t++)
            {
                var policy = targets[t].Policy;
                var rng = new Random(Stream(settings.Seed, i, t, 1));
                var (listTerms, greedy) = TargetTerms.Of(slate, targets[t].Windowed ? window : all, policy,
                    policy.OwnSmoothing ?? settings.Smoothing, clicks, settings.DmSamples, rng, built[t]?[i % SlateBlock]);
                terms[t][i] = listTerms;
                greedySlates[t][i] = greedy;
                onSlate?.Invoke(t, i, greedy);
            }
            logging[i] = TargetTerms.Logging(slate, clicks);
            onList?.Invoke(1);
        }

        var estimators = weighted ? Names.Keys.ToArray() : [Estimator.DirectMethod];
        var samples = terms.Select(t => new Sample(t, settings.Clip)).Append(new Sample(logging, settings.Clip)).ToArray();
        var logged = lists.Select(s => s.Clicks).ToArray();
        var replicates = Bootstrap(samples, estimators, logged, lists.Count, settings);
        var refits = Refit(schema, lists, fitting, targets, greedySlates, estimators, settings);
        OpeEstimate Estimate(int s, Estimator e)
        {
            double value = samples[s].Estimate(e, null);
            int column = Array.IndexOf(estimators, e);
            return new(value, Widened(value, Interval(replicates.Estimates[s][column]), refits.Select(r => r[s][column]).ToArray()), samples[s].Ess(e));
        }
        OpePolicy Policy(int s, string name) => new(name, estimators.ToDictionary(e => Names[e], e => Estimate(s, e)));

        var policies = targets.Select((t, s) => Policy(s, t.Policy.Name)).ToList();
        var loggingRow = Policy(targets.Count, LoggingPolicy) with
        {
            LoggedClicks = new OpeEstimate(logged.Average(), Interval(replicates.Logged), [lists.Count]),
        };
        var result = new OpeResult(policies, loggingRow, lists.Count, without, Names[weighted ? settings.Default : Estimator.DirectMethod],
            (settings.Smoothing).ToString(), settings.Window, settings.Folds, settings.Bootstrap)
        {
            Refits = settings.Refits ?? 0,
            FitOn = settings.FitOn,
            Note = weighted ? without > 0 ? $"{without} lists carry no propensities and are left out of every estimate" : null
                : "the logs carry no propensities: only the direct method can estimate a policy's clicks (no importance weights)",
        };
        if (targets.Count < 2) return result;
        var chosen = weighted ? settings.Default : Estimator.DirectMethod;
        int column = Array.IndexOf(estimators, chosen);
        int best = Enumerable.Range(0, targets.Count).MaxBy(t => policies[t].Estimates[Names[chosen]].Value);
        var against = Enumerable.Range(0, targets.Count).Where(t => t != best).Select(t =>
        {
            var differences = replicates.Estimates[best][column].Zip(replicates.Estimates[t][column], (a, b) => a - b).ToArray();
            double difference = policies[best].Estimates[Names[chosen]].Value - policies[t].Estimates[Names[chosen]].Value;
            return new OpeDifference(policies[best].Name, policies[t].Name, difference,
                Widened(difference, Interval(differences), refits.Select(r => r[best][column] - r[t][column]).ToArray()));
        }).ToList();
        return result with { Best = policies[best].Name, BestAgainst = against };
    }

    /// <summary>The seed of a random stream of its own for (seed, a, b, use): the same on every run and platform
    /// (<see cref="HashCode"/> is not).</summary>
    public static int Stream(int seed, int a, int b, int use)
    {
        Span<int> key = [seed, a, b, use];
        return (int)(System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(key)) >> 33);
    }

    /// <summary>The 2.5% and 97.5% quantiles of bootstrap replicates (NaN without replicates).</summary>
    public static double[] Interval(double[] replicates) => replicates.Length == 0
        ? [double.NaN, double.NaN]
        : [MathNetStatistics.Quantile(replicates, 0.025), MathNetStatistics.Quantile(replicates, 0.975)];

    /// <summary>
    /// A percentile interval around <paramref name="value"/> widened by the click model's noise: each side's half-width h
    /// becomes √(h² + (1.96 σ)²), with σ the standard deviation of the estimate over the refits (the two noises add as
    /// independent variances). Without refits the interval as it is.
    /// </summary>
    public static double[] Widened(double value, double[] interval, double[] refitted)
    {
        if (refitted.Length < 2 || double.IsNaN(interval[0])) return interval;
        double spread = 1.96 * MathNetStatistics.StandardDeviation(refitted);
        if (!(spread > 0)) return interval;
        double Side(double half) => Math.Sqrt(half * half + spread * spread);
        return [value - Side(value - interval[0]), value + Side(interval[1] - value)];
    }

    /// <summary>
    /// Every sample's estimates with the click model refitted <see cref="OpeSettings.Refits"/> times, each fold's model on
    /// a bootstrap resample of the lists it is fitted on: [refit][sample][estimator]. The targets' greedy slates are kept
    /// (they do not depend on the click model); a smoothed target's terms are computed again.
    /// </summary>
    private static double[][][] Refit(ListSchema schema, IReadOnlyList<LoggedSlate> lists, IReadOnlyList<LoggedSlate> fitting,
        IReadOnlyList<OpeTarget> targets, int[][][] greedySlates, Estimator[] estimators, OpeSettings settings)
    {
        int count = settings.Refits ?? 0;
        var result = new double[count][][];
        for (int r = 0; r < count; r++)
        {
            var rng = new Random(Stream(settings.Seed, r, 0, 5));
            var models = FitClickModels(schema, lists, fitting, settings, rng, fitSeed: settings.Seed + 1009 * (r + 1));
            var terms = targets.Select(_ => new ListTerms[lists.Count]).ToArray();
            var logging = new ListTerms[lists.Count];
            for (int i = 0; i < lists.Count; i++)
            {
                var slate = lists[i];
                var clicks = models.Model(slate).For(slate);
                var all = CandidateWindow.Of(slate, null);
                var window = CandidateWindow.Of(slate, settings.Window);
                for (int t = 0; t < targets.Count; t++)
                {
                    var policy = targets[t].Policy;
                    terms[t][i] = TargetTerms.Of(slate, targets[t].Windowed ? window : all, policy, policy.OwnSmoothing ?? settings.Smoothing,
                        clicks, settings.DmSamples, new Random(Stream(settings.Seed, i, t, 1)), greedySlates[t][i]).Terms;
                }
                logging[i] = TargetTerms.Logging(slate, clicks);
            }
            result[r] = terms.Select(t => new Sample(t, settings.Clip)).Append(new Sample(logging, settings.Clip))
                .Select(sample => estimators.Select(e => sample.Estimate(e, null)).ToArray()).ToArray();
        }
        return result;
    }

    /// <summary>The cross-fitted click models and which scores each list.</summary>
    private sealed record FoldModels(IReadOnlyList<IClickModel> Models, Func<LoggedSlate, int> FoldOf)
    {
        public IClickModel Model(LoggedSlate slate) => Models[FoldOf(slate)];
    }

    /// <param name="resample">Given: each model is fitted on a bootstrap resample (drawn from it) of its fitting lists.</param>
    /// <param name="fitSeed">The fits' seed (their row order); the folds stay those of <see cref="OpeSettings.Seed"/>.</param>
    private static FoldModels FitClickModels(ListSchema schema, IReadOnlyList<LoggedSlate> lists, IReadOnlyList<LoggedSlate> fitting, OpeSettings settings,
        Random? resample = null, int? fitSeed = null)
    {
        int seed = fitSeed ?? settings.Seed;
        IReadOnlyList<LoggedSlate> Drawn(IReadOnlyList<LoggedSlate> from) =>
            resample is null ? from : Enumerable.Range(0, from.Count).Select(_ => from[resample.Next(from.Count)]).ToList();
        if (settings.Folds == 1)
        {
            if (fitting.Count == 0) throw new ArgumentException("--ope-folds 1 fits the click model on the training lists alone, and there are none");
            return new FoldModels([FittedClickModel.Fit(schema, Drawn(fitting), seed, settings.ClickModel)], _ => 0);
        }
        int folds = settings.Folds;
        if (settings.FitOn == ClickModelLists.Folds) fitting = [];
        int FoldOf(LoggedSlate slate) =>
            (int)(System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(slate.ListId), settings.Seed) % (ulong)folds);
        var models = Enumerable.Range(0, folds).Select(k =>
            (IClickModel)FittedClickModel.Fit(schema, Drawn([.. fitting, .. lists.Where(s => FoldOf(s) != k)]), seed + k, settings.ClickModel)).ToList();
        return new FoldModels(models, FoldOf);
    }

    private sealed record Replicates(double[][][] Estimates, double[] Logged);

    /// <summary>Every sample's estimates on the same <see cref="OpeSettings.Bootstrap"/> resamples of the lists: [sample][estimator][resample].</summary>
    private static Replicates Bootstrap(Sample[] samples, Estimator[] estimators, double[] logged, int n, OpeSettings settings)
    {
        var estimates = samples.Select(_ => estimators.Select(_ => new double[settings.Bootstrap]).ToArray()).ToArray();
        var loggedReplicates = new double[settings.Bootstrap];
        var counts = new int[n];
        for (int b = 0; b < settings.Bootstrap; b++)
        {
            var rng = new Random(Stream(settings.Seed, b, 0, 2));
            Array.Clear(counts);
            for (int k = 0; k < n; k++) counts[rng.Next(n)]++;
            for (int s = 0; s < samples.Length; s++)
                for (int e = 0; e < estimators.Length; e++) estimates[s][e][b] = samples[s].Estimate(estimators[e], counts);
            loggedReplicates[b] = SlateEstimators.Mean(logged, counts);
        }
        return new Replicates(estimates, loggedReplicates);
    }

    /// <summary>One policy's per-list terms, reduced once to what each estimator sums.</summary>
    private sealed class Sample
    {
        private readonly double[] direct, rips, cdr, clipped;
        private readonly double[][] cascade, independent;
        private readonly float[][] rewards;

        public Sample(ListTerms[] terms, double clip)
        {
            direct = terms.Select(SlateEstimators.Direct).ToArray();
            rewards = terms.Select(t => t.Rewards).ToArray();
            bool weighted = terms.All(t => t.Logging is not null);
            cascade = weighted ? terms.Select(SlateEstimators.CascadeWeights).ToArray() : [];
            independent = weighted ? terms.Select(SlateEstimators.IndependentWeights).ToArray() : [];
            rips = weighted ? terms.Select(SlateEstimators.Rips).ToArray() : [];
            cdr = weighted ? terms.Select(t => SlateEstimators.CascadeDr(t)).ToArray() : [];
            clipped = weighted ? terms.Select(t => SlateEstimators.CascadeDr(t, clip)).ToArray() : [];
        }

        public double Estimate(Estimator estimator, int[]? counts) => estimator switch
        {
            Estimator.DirectMethod => SlateEstimators.Mean(direct, counts),
            Estimator.Rips => SlateEstimators.Mean(rips, counts),
            Estimator.CascadeDr => SlateEstimators.Mean(cdr, counts),
            Estimator.CascadeDrClipped => SlateEstimators.Mean(clipped, counts),
            Estimator.SnRips => SlateEstimators.SelfNormalised(cascade, rewards, counts),
            _ => SlateEstimators.SelfNormalised(independent, rewards, counts),
        };

        public double[] Ess(Estimator estimator) => estimator switch
        {
            Estimator.DirectMethod => [direct.Length],
            Estimator.SnIips => SlateEstimators.EffectiveSampleSize(independent),
            _ => SlateEstimators.EffectiveSampleSize(cascade),
        };
    }
}
