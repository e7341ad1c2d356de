using Drlrec.IO;
using Drlrec.OffPolicy;

namespace Drlrec.Tests.OffPolicy;

/// <summary>A whole off-policy evaluation (<see cref="OffPolicyEvaluation.Run"/>) on a small world's logs.</summary>
public sealed class OffPolicyEvaluationTests
{
    private static readonly SimulatedLogs World = SimulatedLogs.Small(candidates: 12);
    private static readonly LoggedSlate[] Fitting = World.Log(600, 1).Select(p => p.Slate).ToArray();
    private static readonly LoggedSlate[] Evaluated = World.Log(300, 2).Select(p => p.Slate).ToArray();
    private static readonly OpeTarget[] Targets = [new(new UpstreamPolicy(), false), new(new DiversityPolicy(2, 0.5)), new(new UniformPolicy(), false)];

    private static OpeResult Run(IReadOnlyList<LoggedSlate> lists, OpeSettings? settings = null) =>
        OffPolicyEvaluation.Run(World.Simulator.Schema, lists, Fitting, Targets, settings ?? new OpeSettings { Bootstrap = 60, Window = 8 });

    [Fact]
    public void The_same_logs_and_seed_give_the_same_estimates_and_the_logging_policy_gets_its_logged_clicks()
    {
        var first = Run(Evaluated);
        Assert.Equal(Json.Serialize(first), Json.Serialize(Run(Evaluated)));

        double logged = Evaluated.Average(s => s.Clicks);
        var logging = first.Logging;
        Assert.Equal(logged, logging.LoggedClicks!.Value, 12);
        foreach (string estimator in new[] { "rips", "sn_rips", "sn_iips", "cascade_dr", "cascade_dr_clip" })
            Assert.Equal(logged, logging.Estimates[estimator].Value, 9); // every weight 1
        Assert.InRange(logging.Estimates["dm"].Value, 0.9 * logged, 1.1 * logged); // the click model's calibration
        Assert.All(first.Policies.SelectMany(p => p.Estimates.Values), e => Assert.True(e.Ci95[0] <= e.Value && e.Value <= e.Ci95[1]));
        Assert.Equal(first.Policies.Count - 1, first.BestAgainst.Count);
        Assert.Equal("cascade_dr_clip", first.DefaultEstimator);
    }

    [Fact]
    public void Logs_without_propensities_are_estimated_by_the_direct_method_alone_and_the_result_says_why()
    {
        var result = Run(Evaluated.Select(s => s with { Propensities = null }).ToArray());

        Assert.All(result.Policies, p => Assert.Equal(["dm"], p.Estimates.Keys));
        Assert.Equal("dm", result.DefaultEstimator);
        Assert.Contains("only the direct method", result.Note);
    }

    [Fact]
    public void Lists_without_propensities_among_others_are_left_out_and_counted()
    {
        var mixed = Evaluated.Select((s, i) => i % 3 == 0 ? s with { Propensities = null } : s).ToArray();
        var result = Run(mixed);
        Assert.Equal(200, result.Lists);
        Assert.Equal(100, result.ListsWithoutPropensities);
        Assert.Contains("100 lists carry no propensities", result.Note);
    }

    [Fact]
    public void Fitting_on_the_folds_alone_ignores_the_training_lists_and_needs_two_folds()
    {
        var settings = new OpeSettings { Bootstrap = 20, Window = 8, FitOn = ClickModelLists.Folds, Refits = 0 };
        var folds = OffPolicyEvaluation.Run(World.Simulator.Schema, Evaluated, Fitting, Targets, settings);
        var withoutTraining = OffPolicyEvaluation.Run(World.Simulator.Schema, Evaluated, [], Targets, settings);
        var withTraining = OffPolicyEvaluation.Run(World.Simulator.Schema, Evaluated, Fitting, Targets, settings with { FitOn = ClickModelLists.TrainingAndFolds });

        Assert.Equal(Json.Serialize(withoutTraining.Policies), Json.Serialize(folds.Policies));
        Assert.NotEqual(withTraining.Policies[0].Estimates["dm"].Value, folds.Policies[0].Estimates["dm"].Value);
        var refused = Assert.Throws<ArgumentException>(() => OffPolicyEvaluation.Run(World.Simulator.Schema, Evaluated, Fitting, Targets, settings with { Folds = 1 }));
        Assert.Contains("--ope-folds must be at least 2", refused.Message);
    }

    /// <summary>The default fit: the other folds alone (with refits) from 20,000 evaluated lists on, the training lists and the
    /// other folds below; typed refits are kept, and one fold always fits on the training lists.</summary>
    [Fact]
    public void Auto_fits_on_the_folds_alone_with_refits_from_folds_from_evaluated_lists_on()
    {
        var defaults = new OpeSettings();
        Assert.Equal((ClickModelLists.Auto, 20_000, (int?)null), (defaults.FitOn, defaults.FoldsFrom, defaults.Refits));
        Assert.Equal((ClickModelLists.TrainingAndFolds, (int?)0), Fit(defaults.Resolved(19_999)));
        Assert.Equal((ClickModelLists.Folds, (int?)OpeSettings.AutoRefits), Fit(defaults.Resolved(20_000)));
        Assert.Equal((ClickModelLists.Folds, (int?)0), Fit((defaults with { Refits = 0 }).Resolved(20_000)));
        Assert.Equal((ClickModelLists.TrainingAndFolds, (int?)0), Fit((defaults with { Folds = 1 }).Resolved(20_000)));
        Assert.Equal((ClickModelLists.TrainingAndFolds, (int?)3), Fit((defaults with { FitOn = ClickModelLists.TrainingAndFolds, Refits = 3 }).Resolved(20_000)));

        // A run reports what auto took.
        var small = OffPolicyEvaluation.Run(World.Simulator.Schema, Evaluated, Fitting, Targets, new OpeSettings { Bootstrap = 20, Window = 8 });
        Assert.Equal((ClickModelLists.TrainingAndFolds, 0), (small.FitOn, small.Refits));
        var large = OffPolicyEvaluation.Run(World.Simulator.Schema, Evaluated, Fitting, Targets,
            new OpeSettings { Bootstrap = 20, Window = 8, FoldsFrom = Evaluated.Count(), Refits = 2 });
        Assert.Equal((ClickModelLists.Folds, 2), (large.FitOn, large.Refits));
        static (ClickModelLists, int?) Fit(OpeSettings s) => (s.FitOn, s.Refits);
    }

    [Fact]
    public void A_spread_over_refits_widens_each_side_of_an_interval_as_an_independent_variance()
    {
        // σ of {1, 1.1, 0.9} = 0.1, so 1.96 σ = 0.196: sides √(0.1² + 0.196²) = 0.220036 and √(0.2² + 0.196²) = 0.280029.
        var widened = OffPolicyEvaluation.Widened(1, [0.9, 1.2], [1, 1.1, 0.9]);
        Assert.Equal(0.77996, widened[0], 5);
        Assert.Equal(1.28003, widened[1], 5);
        Assert.Equal([0.9, 1.2], OffPolicyEvaluation.Widened(1, [0.9, 1.2], []));
        Assert.Equal([0.9, 1.2], OffPolicyEvaluation.Widened(1, [0.9, 1.2], [2, 2, 2]));
    }

    [Fact]
    public void Refits_keep_the_estimates_and_widen_the_intervals_of_the_estimators_that_read_the_click_model()
    {
        var settings = new OpeSettings { Bootstrap = 40, Window = 8 };
        var plain = Run(Evaluated, settings);
        var refitted = Run(Evaluated, settings with { Refits = 3 });

        Assert.Equal(3, refitted.Refits);
        foreach (var (a, b) in plain.Policies.Append(plain.Logging).Zip(refitted.Policies.Append(refitted.Logging)))
            foreach (var (name, estimate) in a.Estimates)
            {
                var other = b.Estimates[name];
                Assert.Equal(estimate.Value, other.Value);
                Assert.True(other.Ci95[0] <= estimate.Ci95[0] + 1e-12 && other.Ci95[1] >= estimate.Ci95[1] - 1e-12, $"{a.Name} {name}");
            }
        // The direct method reads nothing but the click model: its intervals widen; RIPS reads none of it: they stay.
        Assert.All(plain.Policies.Zip(refitted.Policies), p => Assert.True(
            p.Second.Estimates["dm"].Ci95[1] - p.Second.Estimates["dm"].Ci95[0] > p.First.Estimates["dm"].Ci95[1] - p.First.Estimates["dm"].Ci95[0]));
        Assert.All(plain.Policies.Zip(refitted.Policies), p => Assert.Equal(p.First.Estimates["rips"].Ci95, p.Second.Estimates["rips"].Ci95));
        Assert.All(plain.BestAgainst.Zip(refitted.BestAgainst), d => Assert.True(d.Second.Ci95[0] <= d.First.Ci95[0] && d.Second.Ci95[1] >= d.First.Ci95[1]));
        var refused = Assert.Throws<ArgumentException>(() => Run(Evaluated, settings with { Refits = 1 }));
        Assert.Contains("--ope-refits: must be 0 or at least 2", refused.Message);
    }
}
