using static TorchSharp.torch;
using Drlrec.Model;

namespace Drlrec.Tests.Model;

public sealed class PrefixMatchTests
{
    /// <summary>One candidate with the values {3, 4} in one field after three items {3}, {5}, {4, 3} (rows; 0 pads):
    /// overlaps 1/2, 0, 2/2, so κ = 0 gives the last item's 1, κ = 0.5 gives 0.25·0.5 + 0.5·0 + 1 = 1.125, κ = 1 gives 1.5.</summary>
    [Fact]
    public void Features_are_the_decayed_shares_of_the_candidates_values_the_earlier_items_carry()
    {
        using var scope = NewDisposeScope();
        var candidate = tensor(new long[] { 3, 4 }, [1, 1, 1, 2]);                             // [R, C, Fm, M]
        var prefix = tensor(new long[] { 3, 0, 5, 0, 4, 3 }, [1, 3, 1, 2]);                    // [R, T, Fm, M]
        var features = PrefixMatch.AfterPrefix(candidate, prefix, null).data<float>().ToArray();
        Assert.Equal([1f, 1.125f, 1.5f], features);
    }

    [Fact]
    public void Padding_values_never_match_and_an_empty_prefix_gives_zeros()
    {
        using var scope = NewDisposeScope();
        var candidate = tensor(new long[] { 7, 0 }, [1, 1, 1, 2]);                             // one value, one padding slot
        var prefix = tensor(new long[] { 0, 0, 8, 0 }, [1, 2, 1, 2]);                          // a padded item, another value
        Assert.All(PrefixMatch.AfterPrefix(candidate, prefix, null).data<float>().ToArray(), v => Assert.Equal(0f, v));
        Assert.All(PrefixMatch.AfterPrefix(candidate, prefix.narrow(1, 0, 0), null).data<float>().ToArray(), v => Assert.Equal(0f, v));
    }

    /// <summary>Serving counts a request's overlaps from each field's values (<see cref="PrefixMatch.Placed.Overlaps"/>);
    /// they equal the tensor comparison's, padding in any slot, a value repeated in one row, and values shared across rows
    /// included; and the trimmed width (<see cref="PrefixMatch.Filled"/>) keeps every filled slot.</summary>
    [Fact]
    public void Counted_overlaps_equal_the_compared_ones_and_trimming_keeps_every_value()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        var values = Enumerable.Range(0, 30 * 3 * 6).Select(i => i % 6 >= 4 ? 0L : (long)rng.Next(0, 5)).ToArray(); // slots 5–6 padding
        var rows = tensor(values, [30, 3, 6]);                                                 // [N, Fm, M]
        var compared = PrefixMatch.Overlap(rows.unsqueeze(0), rows.unsqueeze(0)).squeeze(0);   // [N, N, Fm]
        Assert.True(PrefixMatch.Placed.Overlaps(rows).allclose(compared, rtol: 0, atol: 1e-6));
        Assert.Equal(4, PrefixMatch.Filled(rows).shape[^1]);
        Assert.Equal(1, PrefixMatch.Filled(zeros(2, 3, 4, ScalarType.Int64)).shape[^1]);
    }

    /// <summary>Teacher forcing (every position of a list after the positions before it) equals the step after each prefix,
    /// and a key mask (prefixes of different lengths in one batch) equals the prefix cut to its real length.</summary>
    [Fact]
    public void Along_lists_equals_after_each_prefix_and_a_key_mask_equals_a_cut_prefix()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(5);
        var values = Enumerable.Range(0, 2 * 5 * 2 * 3).Select(_ => (long)rng.Next(0, 4)).ToArray();
        var rows = tensor(values, [2, 5, 2, 3]);                                               // [B, L, Fm, M]
        var along = PrefixMatch.AlongLists(rows);                                              // [B, L, Fm·K]
        for (int t = 0; t < 5; t++)
        {
            var step = PrefixMatch.AfterPrefix(rows.narrow(1, t, 1), rows.narrow(1, 0, t), null); // [B, 1, Fm·K]
            Assert.True(step.squeeze(1).allclose(along.select(1, t), atol: 1e-6), $"position {t}");
            // The whole list as a prefix with only the first t positions real.
            var mask = arange(5).unsqueeze(0).expand(2, 5).lt(t);
            var masked = PrefixMatch.AfterPrefix(rows.narrow(1, t, 1), rows, mask);
            Assert.True(masked.allclose(step, atol: 1e-6), $"masked at {t}");
        }
        Assert.True(along.abs().sum().item<float>() > 0); // the random rows do repeat values, so the checks above are not of zeros
    }
}
