using Drlrec.Evaluation;

namespace Drlrec.Tests.Evaluation;

public sealed class PercentilesTests
{
    // Nearest rank ⌈p·n⌉ of [15, 20, 35, 40, 50] (n = 5), worked by hand.
    [Theory]
    [InlineData(0.0, 15)]   // rank 0, clamped to the first value
    [InlineData(0.05, 15)]  // ⌈0.25⌉ = 1
    [InlineData(0.30, 20)]  // ⌈1.5⌉ = 2
    [InlineData(0.40, 20)]  // ⌈2.0⌉ = 2: an exact rank is not rounded up
    [InlineData(0.50, 35)]  // ⌈2.5⌉ = 3
    [InlineData(0.99, 50)]  // ⌈4.95⌉ = 5
    [InlineData(1.0, 50)]
    public void Nearest_rank_of_sorted_values(double p, double expected) =>
        Assert.Equal(expected, Percentiles.OfSorted([15.0, 20, 35, 40, 50], p));

    [Fact]
    public void Unsorted_values_are_sorted_first_and_left_as_they_were()
    {
        double[] values = [40, 15, 50, 35, 20];
        Assert.Equal(35, Percentiles.Of(values, 0.5));
        Assert.Equal(20, Percentiles.Of(values, 0.3));
        Assert.Equal([40.0, 15, 50, 35, 20], values);
    }

    [Fact]
    public void No_values_have_no_percentile() =>
        Assert.Throws<ArgumentException>(() => Percentiles.OfSorted([], 0.5));
}
