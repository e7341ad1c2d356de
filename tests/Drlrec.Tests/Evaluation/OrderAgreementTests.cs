using Drlrec.Configuration;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Ranking;
using Drlrec.Tests.Onnx;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Evaluation;

/// <summary>The int8-against-float32 order measure on scorers whose Q-values are known, counted by hand.</summary>
public sealed class OrderAgreementTests
{
    private static readonly FeatureVocabulary Vocabulary = FeatureVocabulary.Fit(ToyData.Lists(16), new FeatureConfig());

    private static SlateRanker Ranker(params float[] q) => new(new FixedScorer(q), Vocabulary, ToyData.Schema);

    /// <summary>
    /// Reference Q 1.0, 0.9, 0.5, 0.0; the other scorer adds 0.15 to candidate 1 and 0.01 to candidate 3. Along the
    /// reference's slate (0, then 1) the scores compared are slot 1: all four (errors 0, 0.15, 0, 0.01), slot 2: 1, 2, 3
    /// (0.15, 0, 0.01). Of the 6 + 3 pairs only (0, 1) in slot 1 swaps (gap 0.1, other gap −0.05). The p99 and the largest
    /// error are 0.15; the 8 pairs with a gap over it (every pair but (0, 1), whose gap is 0.1) keep their order. The other scorer's own slate starts with candidate 1: not the same slate, nor the same first item.
    /// </summary>
    [Fact]
    public void Pairs_swapped_and_errors_are_counted_along_the_reference_slate()
    {
        var request = OnnxTestModel.RandomRequest(new Random(1), candidates: 4, slateSize: 2);

        var agreement = OrderAgreement.Measure(Ranker(1.0f, 0.9f, 0.5f, 0.0f), Ranker(1.0f, 1.05f, 0.5f, 0.01f), [request]);

        Assert.Equal((1, 0, 0, 7L), (agreement.Requests, agreement.SameSlates, agreement.SameFirst, agreement.Scores));
        Assert.Equal(0.01, agreement.ErrorP50, 1e-6);
        Assert.Equal(0.15, agreement.ErrorP99, 1e-6);
        Assert.Equal(0.15, agreement.ErrorMax, 1e-6);
        Assert.Equal((9L, 1L), (agreement.Pairs, agreement.Reordered));
        Assert.Equal((8L, 0L, 8L, 0L), (agreement.PairsBeyondP99, agreement.ReorderedBeyondP99, agreement.PairsBeyondMax, agreement.ReorderedBeyondMax));
    }

    [Fact]
    public void The_same_scores_agree_on_everything_and_a_tie_the_reference_does_not_make_counts_as_a_swap()
    {
        var requests = new[] { 1, 2 }.Select(seed => OnnxTestModel.RandomRequest(new Random(seed), candidates: 3, slateSize: 3)).ToArray();

        var same = OrderAgreement.Measure(Ranker(0.3f, 0.2f, 0.1f), Ranker(0.3f, 0.2f, 0.1f), requests);
        Assert.Equal((2, 2, 2, 0L, 0.0), (same.Requests, same.SameSlates, same.SameFirst, same.Reordered, same.ErrorMax));
        Assert.Equal(2 * (3 + 1), same.Pairs); // slot 1: three pairs, slot 2: one, slot 3: none

        var tied = OrderAgreement.Measure(Ranker(0.3f, 0.2f, 0.1f), Ranker(0.3f, 0.3f, 0.1f), requests[..1]);
        Assert.Equal(1, tied.Reordered); // (0, 1) in slot 1: the reference orders them, the other ties them
        Assert.Throws<ArgumentException>(() => OrderAgreement.Measure(Ranker(0.1f), Ranker(0.1f), []));
    }

    /// <summary>Q by candidate index, whatever the slot and prefix.</summary>
    private sealed class FixedScorer(float[] q) : IStepScorer
    {
        public string Backend => "fixed";
        public int FieldCount => ToyData.Schema.Count;
        public ISlateSession Begin(SlateInput input) => new Session(q);

        public void Dispose()
        {
        }

        private sealed class Session(float[] q) : ISlateSession
        {
            public float[] Score(IReadOnlyList<int> candidates) => candidates.Select(c => q[c]).ToArray();

            public void Place(int chosen)
            {
            }

            public void Dispose()
            {
            }
        }
    }
}
