using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Features;

public sealed class FeatureDropoutTests
{
    private static readonly FeatureVocabulary Vocabulary = FeatureVocabulary.Fit(ToyData.Lists(400, seed: 7), new FeatureConfig());
    private static readonly EncodedLists Lists = EncodedLists.Encode(ToyData.Lists(400, seed: 7), Vocabulary);

    private static long[] Oov => Vocabulary.Fields.Select(f => (long)f.Offset).ToArray();

    /// <summary>Checks every field of every position: padded positions stay all 0; a real field either is unchanged
    /// or is exactly [its OOV row, 0, ...]. Returns how many real fields were dropped and how many there are.</summary>
    private static (int Dropped, int Real) Check(Tensor before, Tensor after, bool[] mask)
    {
        long[] b = before.contiguous().data<long>().ToArray(), a = after.contiguous().data<long>().ToArray();
        int f = (int)before.shape[2], m = (int)before.shape[3], dropped = 0, real = 0;
        for (int position = 0; position < mask.Length; position++)
            for (int k = 0; k < f; k++)
            {
                int cell = (position * f + k) * m;
                var original = b.AsSpan(cell, m).ToArray();
                var result = a.AsSpan(cell, m).ToArray();
                if (!mask[position])
                {
                    Assert.All(result, v => Assert.Equal(0, v));
                    continue;
                }
                real++;
                Assert.NotEqual(Oov[k], original[0]); // every toy value has its own row
                if (result.SequenceEqual(original)) continue;
                Assert.Equal(Oov[k], result[0]);
                Assert.All(result.Skip(1), v => Assert.Equal(0, v));
                dropped++;
            }
        return (dropped, real);
    }

    [Fact]
    public void A_dropped_field_is_exactly_its_oov_row_and_padding_stays_padding()
    {
        using var scope = NewDisposeScope();
        var batch = Lists.Batch(Enumerable.Range(0, 40).ToArray());
        var mask = batch.Mask.contiguous().data<bool>().ToArray();
        Assert.Contains(false, mask);
        Assert.True(Lists.MaxValues > 1); // fields with padded value slots

        manual_seed(3);
        var half = Check(batch.Rows, new FeatureDropout(Vocabulary, 0.5).Apply(batch.Rows), mask);
        Assert.InRange(half.Dropped, 1, half.Real - 1); // both outcomes occur
        var all = Check(batch.Rows, new FeatureDropout(Vocabulary, 1).Apply(batch.Rows), mask);
        Assert.Equal(all.Real, all.Dropped);             // p = 1: every real field, and nothing else
    }

    [Fact]
    public void Probability_zero_returns_the_input_itself()
    {
        using var scope = NewDisposeScope();
        var batch = Lists.Batch([0, 1, 2]);
        var off = new FeatureDropout(Vocabulary, 0);
        Assert.Same(batch.Rows, off.Apply(batch.Rows));
        Assert.Same(batch, off.Apply(batch));
        var on = new FeatureDropout(Vocabulary, 0.3).Apply(batch);
        Assert.Same(batch.Mask, on.Mask);
        Assert.Same(batch.Rewards, on.Rewards);
    }

    [Fact]
    public void The_drop_rate_over_real_fields_is_near_p()
    {
        using var scope = NewDisposeScope();
        var batch = Lists.Batch(Enumerable.Range(0, Lists.Count).ToArray());
        var mask = batch.Mask.contiguous().data<bool>().ToArray();
        manual_seed(4);
        var (dropped, real) = Check(batch.Rows, new FeatureDropout(Vocabulary, 0.1).Apply(batch.Rows), mask);
        // over 10,000 real fields: a binomial standard deviation below 0.003 around 0.1
        Assert.True(real > 10_000, $"{real} real fields");
        Assert.Equal(0.1, (double)dropped / real, tolerance: 0.01);
    }
}
