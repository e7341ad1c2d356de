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

    private static OpeValidationResult Part(double seconds, params OpeValidationRow[] rows) =>
        new(new Drlrec.Simulation.SyntheticConfig(), ["a", "b", "c"], rows, OpeValidation.Summarise(rows), OpeValidation.Ranks(rows), new(), seconds);

    [Fact]
    public void Parts_of_one_study_merge_into_the_summaries_of_all_their_replications()
    {
        var first = Part(60, Row(0, "a", 1, 1, 0, 2), Row(0, "b", 2, 2, 0, 2), Row(0, "c", 3, 3, 0, 2));
        var second = Part(30, Row(1, "a", 3, 1, 0, 2), Row(1, "b", 2, 2, 0, 2), Row(1, "c", 1, 3, 0, 2));

        var merged = OpeValidation.Merge([("second", second), ("first", first)]);

        Assert.Equal([0, 0, 0, 1, 1, 1], merged.Rows.Select(r => r.Replication));
        Assert.Equal(0, Assert.Single(merged.Ranks).MeanSpearman, 12);    // ρ 1 and −1: the parts' replications summarised together
        Assert.Equal(2, merged.Summary.First(s => s.Policy == "a").Estimate, 12);
        Assert.Equal(90, merged.Seconds, 12);
    }

    [Fact]
    public void Parts_that_overlap_or_differ_are_refused_naming_the_part()
    {
        var first = Part(1, Row(0, "a", 1, 1, 0, 2));
        var again = Part(1, Row(0, "a", 1.5, 1, 0, 2));
        var other = first with { Settings = new() { Window = 25 } };

        var overlap = Assert.Throws<ArgumentException>(() => OpeValidation.Merge([("one", first), ("two", again)]));
        Assert.Contains("two repeats replication 0", overlap.Message);
        var differ = Assert.Throws<ArgumentException>(() => OpeValidation.Merge([("one", first), ("three", other with { Rows = [Row(1, "a", 1, 1, 0, 2)] })]));
        Assert.Contains("three is of another study", differ.Message);
    }
}
