using Drlrec.OffPolicy;
using Drlrec.Ranking;

namespace Drlrec.Tests.OffPolicy;

/// <summary>The estimators' formulas (<see cref="SlateEstimators"/>) on hand-made logs and against the simulator's truth.</summary>
public sealed class SlateEstimatorsTests
{
    private static IReadOnlyDictionary<string, string[]> Candidate(string key, double score) =>
        new Dictionary<string, string[]> { ["item_id"] = [key], ["upstream_score"] = [score.ToString(System.Globalization.CultureInfo.InvariantCulture)] };

    /// <summary>A list whose two shown items are candidates 0 and 1 (a third unshown), with upstream scores, clicks and propensities.</summary>
    private static LoggedSlate Slate(string id, double[] scores, float[] rewards, double[] propensities) => new(id,
        new SlateRequest(new Dictionary<string, string[]>(), new Dictionary<string, string[]>(),
            scores.Select((s, c) => Candidate($"{id}{c}", s)).ToList(), 2), rewards, propensities);

    private static readonly LoggedSlate[] Tiny =
    [
        Slate("a", [3, 1, 2], [1, 1], [0.5, 0.4]),   // the upstream order is c0, c2: it agrees at position 1 only
        Slate("b", [1, 2, 0], [0, 1], [0.25, 0.5]),  // the upstream order is c1, c0: it disagrees at once
    ];

    private static double Rips(IEnumerable<LoggedSlate> slates, TargetSmoothing smoothing) => slates
        .Select(s => SlateEstimators.Rips(TargetTerms.Of(s, [0, 1, 2], new UpstreamPolicy(), smoothing, NoClicks.Instance, 1, new Random(0)).Terms))
        .Average();

    [Fact]
    public void Rips_equals_the_value_computed_by_hand_on_a_tiny_log()
    {
        // Greedy: list a, w1 = 1/0.5 = 2, w2 = 0 (c1 logged, c2 chosen): 2·1; list b: w = 0. (2 + 0) / 2.
        Assert.Equal(1.0, Rips(Tiny, TargetSmoothing.Greedy), 12);
        // ε = 0.2. a: π(c0) = 0.8 + 0.2/3, w1 = 0.86667/0.5; π(c1 | c0) = 0.2/2, w2 = w1 · 0.1/0.4; a's term w1 + w2.
        //          b: π(c0) = 0.2/3, w1 = 0.06667/0.25; π(c1 | c0) = 0.8 + 0.1, w2 = w1 · 0.9/0.5; b's term w2.
        double w1a = (0.8 + 0.2 / 3) / 0.5, w2a = w1a * 0.1 / 0.4, w1b = 0.2 / 3 / 0.25, w2b = w1b * 0.9 / 0.5;
        Assert.Equal((w1a + w2a + w2b) / 2, Rips(Tiny, new TargetSmoothing(SmoothingKind.Epsilon, 0.2)), 6);
    }

    [Fact]
    public void Self_normalised_rips_divides_each_position_by_its_weights()
    {
        var terms = Tiny.Select(s => TargetTerms.Of(s, [0, 1, 2], new UpstreamPolicy(), TargetSmoothing.Greedy, NoClicks.Instance, 1, new Random(0)).Terms).ToArray();
        var weights = terms.Select(SlateEstimators.CascadeWeights).ToArray();
        // Position 1: (2·1 + 0·0) / (2 + 0); position 2: no weight, 0.
        Assert.Equal(1.0, SlateEstimators.SelfNormalised(weights, terms.Select(t => t.Rewards).ToArray(), null), 12);
        Assert.Equal([1.0, 0.0], SlateEstimators.EffectiveSampleSize(weights)); // (2 + 0)² / (4 + 0)
        // Counted twice, list a alone: the same ratio.
        Assert.Equal(1.0, SlateEstimators.SelfNormalised(weights, terms.Select(t => t.Rewards).ToArray(), [2, 0]), 12);
    }

    [Fact]
    public void Cascade_dr_is_rips_when_its_click_model_is_zero()
    {
        var logs = SimulatedLogs.Small();
        foreach (var smoothing in new[] { TargetSmoothing.Greedy, new TargetSmoothing(SmoothingKind.Softmax, 0.3) })
            foreach (var (slate, _) in logs.Log(40, 1))
            {
                var terms = TargetTerms.Of(slate, Enumerable.Range(0, slate.Candidates).ToArray(), new DiversityPolicy(1, 0.5), smoothing,
                    NoClicks.Instance, 2, new Random(1)).Terms;
                Assert.Equal(SlateEstimators.Rips(terms), SlateEstimators.CascadeDr(terms), 12);
            }
    }

    [Fact]
    public void Cascade_dr_with_a_greedy_target_is_the_direct_method_plus_rips_on_the_residuals()
    {
        var logs = SimulatedLogs.Small();
        foreach (var (slate, request) in logs.Log(40, 2))
        {
            var clicks = logs.TrueClicks(slate, request);
            var (terms, greedy) = TargetTerms.Of(slate, Enumerable.Range(0, slate.Candidates).ToArray(), new UpstreamPolicy(),
                TargetSmoothing.Greedy, clicks, 1, new Random(1));
            var q = greedy.Select((c, l) => clicks.Click(greedy[..l], c)).ToArray();
            var w = SlateEstimators.CascadeWeights(terms);
            double expected = q.Sum() + Enumerable.Range(0, slate.Shown).Sum(l => w[l] * (slate.Rewards[l] - q[l]));
            Assert.Equal(expected, SlateEstimators.CascadeDr(terms), 10);
            // Clipped: the same with each weight capped, min(w_l, 1.5).
            double clipped = q.Sum() + Enumerable.Range(0, slate.Shown).Sum(l => Math.Min(w[l], 1.5) * (slate.Rewards[l] - q[l]));
            Assert.Equal(clipped, SlateEstimators.CascadeDr(terms, clip: 1.5), 10);
            Assert.Equal(logs.Truth(slate, request, greedy), terms.Direct, 10); // the true click model's direct method is the truth
        }
    }

    /// <summary>Per replication of <paramref name="lists"/> fresh logged lists: the estimate minus the truth on the same requests.</summary>
    internal static double[] Errors(SimulatedLogs logs, ISlatePolicy policy, TargetSmoothing smoothing, int replications, int lists,
        Func<ListTerms, double> estimator, bool trueClicks = false)
    {
        var errors = new double[replications];
        for (int r = 0; r < replications; r++)
        {
            double estimate = 0, truth = 0;
            foreach (var (slate, request) in logs.Log(lists, 1000 + r))
            {
                var clicks = trueClicks ? logs.TrueClicks(slate, request) : NoClicks.Instance;
                var (terms, _) = TargetTerms.Of(slate, Enumerable.Range(0, slate.Candidates).ToArray(), policy, smoothing, clicks, 1, new Random(r));
                estimate += estimator(terms);
                truth += logs.ExactValue(slate, request, policy, smoothing);
            }
            errors[r] = (estimate - truth) / lists;
        }
        return errors;
    }

    private static void Unbiased(double[] errors, string what)
    {
        var m = Drlrec.Evaluation.Statistics.Mean95(errors);
        double se = m.Std / Math.Sqrt(errors.Length);
        Assert.True(Math.Abs(m.Mean) <= 3 * se + 1e-12, $"{what}: mean error {m.Mean:F5}, standard error {se:F5}");
    }

    [Fact]
    public void With_the_logging_policy_as_target_every_ips_estimator_is_unbiased_over_replications()
    {
        // The logging policy is Plackett-Luce over the upstream score with temperature β: the upstream order under a softmax of τ = β.
        var logs = SimulatedLogs.Small();
        var logging = new TargetSmoothing(SmoothingKind.Softmax, logs.Simulator.Config.LoggingExploration);
        var policy = new UpstreamPolicy();
        var (slate, _) = logs.Log(1, 5)[0];
        var terms = TargetTerms.Of(slate, Enumerable.Range(0, slate.Candidates).ToArray(), policy, logging, NoClicks.Instance, 1, new Random(0)).Terms;
        Assert.All(SlateEstimators.CascadeWeights(terms), w => Assert.Equal(1, w, 4)); // the same policy: every weight 1

        Unbiased(Errors(logs, policy, logging, 60, 40, SlateEstimators.Rips), "RIPS");
        Unbiased(Errors(logs, policy, logging, 60, 40, t => SlateEstimators.CascadeDr(t)), "Cascade-DR");
        Unbiased(Errors(logs, policy, logging, 60, 40, t => SlateEstimators.SelfNormalised([SlateEstimators.CascadeWeights(t)], [t.Rewards], null)), "SN-RIPS");
        Unbiased(Errors(logs, policy, logging, 60, 40, t => SlateEstimators.SelfNormalised([SlateEstimators.IndependentWeights(t)], [t.Rewards], null)), "SN-IIPS");
    }

    [Fact]
    public void For_a_smoothed_target_unlike_the_logging_policy_rips_is_the_truth_on_average_over_many_small_replications()
    {
        var logs = SimulatedLogs.Small();
        var target = new DiversityPolicy(2, 0.5); // a diversity re-rank, ε-greedy: not the logging policy
        var smoothing = new TargetSmoothing(SmoothingKind.Epsilon, 0.3);
        var errors = Errors(logs, target, smoothing, 150, 20, SlateEstimators.Rips);
        Unbiased(errors, "RIPS, ε-greedy diversity re-rank");
        // The same replications for Cascade-DR with the simulator's own conditional clicks: unbiased, and less variable.
        var dr = Errors(logs, target, smoothing, 150, 20, t => SlateEstimators.CascadeDr(t), trueClicks: true);
        Unbiased(dr, "Cascade-DR with the true click model");
        Assert.True(Drlrec.Evaluation.Statistics.Std(dr) < Drlrec.Evaluation.Statistics.Std(errors),
            $"Cascade-DR's spread {Drlrec.Evaluation.Statistics.Std(dr):F4} is not below RIPS's {Drlrec.Evaluation.Statistics.Std(errors):F4}");
    }

    [Fact]
    public void With_the_true_conditional_clicks_cascade_dr_varies_less_than_rips_over_replications_for_a_greedy_target()
    {
        // 12 candidates for 3 positions, with session exit: the greedy target often leaves the logged prefix, where RIPS
        // loses the rest of the list and Cascade-DR keeps it through its click model. (With 6 candidates the logging
        // policy nearly always agrees with it and both spread alike, from the clicks' own noise: 0.31 against 0.27.)
        var logs = SimulatedLogs.Small(exit: 1, candidates: 12);
        var target = new DiversityPolicy(2, 0.5);
        var rips = Errors(logs, target, TargetSmoothing.Greedy, 80, 30, SlateEstimators.Rips);
        var dr = Errors(logs, target, TargetSmoothing.Greedy, 80, 30, t => SlateEstimators.CascadeDr(t), trueClicks: true);
        Unbiased(rips, "RIPS");
        Unbiased(dr, "Cascade-DR");
        Assert.True(Drlrec.Evaluation.Statistics.Std(dr) < 0.8 * Drlrec.Evaluation.Statistics.Std(rips),
            $"Cascade-DR's spread {Drlrec.Evaluation.Statistics.Std(dr):F4} against RIPS's {Drlrec.Evaluation.Statistics.Std(rips):F4}");
    }
}
