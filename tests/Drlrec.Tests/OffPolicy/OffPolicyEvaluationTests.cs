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
}
