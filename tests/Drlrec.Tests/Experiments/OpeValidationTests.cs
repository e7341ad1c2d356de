using Drlrec.Experiments;

namespace Drlrec.Tests.Experiments;

/// <summary>The validation harness's summaries (<see cref="OpeValidation"/>) on rows made by hand.</summary>
public sealed class OpeValidationTests
{
    private static OpeValidationRow Row(int replication, string policy, double estimate, double truth, double low, double high) =>
        new(100, replication, policy, "cascade_dr", estimate, low, high, truth, 10, 1);

    [Fact]
    public void Relative_error_bias_variance_and_coverage_are_over_replications_against_each_ones_truth()
    {
        OpeValidationRow[] rows = [Row(0, "a", 2.2, 2.0, 2.1, 2.3), Row(1, "a", 1.9, 2.0, 1.8, 2.1), Row(2, "a", 2.0, 2.1, 1.95, 2.05)];

        var s = Assert.Single(OpeValidation.Summarise(rows));

        Assert.Equal((0.2 / 2.0 + 0.1 / 2.0 + 0.1 / 2.1) / 3, s.RelativeError, 12);
        Assert.Equal((0.2 - 0.1 - 0.1) / 3, s.Bias, 12);
        Assert.Equal(s.Bias * s.Bias, s.BiasSquared, 12);
        double[] errors = [0.2, -0.1, -0.1];
        Assert.Equal(errors.Sum(e => (e - errors.Average()) * (e - errors.Average())) / 2, s.Variance, 12); // sample variance
        Assert.Equal(1.0 / 3, s.Coverage, 12); // only replication 1's interval holds its truth
    }

    [Fact]
    public void Spearman_is_per_replication_across_the_zoo()
    {
        OpeValidationRow[] rows =
        [
            Row(0, "a", 1, 1, 0, 2), Row(0, "b", 2, 2, 0, 2), Row(0, "c", 3, 3, 0, 2),   // the truth's order: ρ = 1
            Row(1, "a", 3, 1, 0, 2), Row(1, "b", 2, 2, 0, 2), Row(1, "c", 1, 3, 0, 2),   // reversed: ρ = −1
        ];

        var k = Assert.Single(OpeValidation.Ranks(rows));

        Assert.Equal(0, k.MeanSpearman, 12);
        Assert.Equal(-1, k.MinSpearman, 12);
        Assert.Equal(0.5, k.ShareAtLeast09, 12);
    }
}
