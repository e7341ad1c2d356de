using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

public sealed class AliasSamplerTests
{
    [Fact]
    public void Draws_follow_the_weights()
    {
        double[] weights = [5, 0, 1, 2, 0.5, 1.5];
        var sampler = new AliasSampler(weights);
        var rng = new Random(1);
        const int draws = 200_000;
        var counts = new int[weights.Length];
        for (int k = 0; k < draws; k++) counts[sampler.Sample(rng)]++;
        double total = weights.Sum();
        for (int i = 0; i < weights.Length; i++)
        {
            double expected = weights[i] / total;
            double tolerance = 5 * Math.Sqrt(expected * (1 - expected) / draws) + 1e-9;
            Assert.InRange(counts[i] / (double)draws, expected - tolerance, expected + tolerance);
        }
        Assert.Equal(0, counts[1]); // a zero weight is never drawn
    }

    [Fact]
    public void Bad_weights_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AliasSampler([]));
        Assert.Throws<ArgumentException>(() => new AliasSampler([0.0, 0.0]));
        Assert.Throws<ArgumentException>(() => new AliasSampler([1.0, -1.0]));
        Assert.Throws<ArgumentException>(() => new AliasSampler([1.0, double.NaN]));
    }
}
