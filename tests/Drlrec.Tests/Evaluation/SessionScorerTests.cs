using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Evaluation;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Ranking;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Evaluation;

public sealed class SessionScorerTests
{
    /// <summary>Placing each list's logged items in order through a serving session gives every real position the Q of the
    /// forward pass over the logged list (the logged scoring of offline evaluation); padded positions are left at 0.</summary>
    [Fact]
    public void Logged_lists_scored_through_slate_sessions_equal_the_forward_pass()
    {
        var lists = ToyData.Lists(12, length: 5);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var encoded = EncodedLists.Encode(lists, vocabulary);
        manual_seed(3);
        using var network = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        network.eval();
        using var scorer = new TorchStepScorer(network);

        var bySession = SessionScorer.ScoreLogged(scorer, encoded, lists.Schema.FirstItemField, lists.Schema.ItemCount);
        var byForward = QScorer.Score(network, encoded);

        Assert.Equal(byForward.Length, bySession.Length);
        int l = encoded.MaxLength;
        Assert.Contains(encoded.Lengths, n => n < l); // some lists are padded
        for (int i = 0; i < encoded.Count; i++)
            for (int t = 0; t < l; t++)
                Assert.Equal(t < encoded.Lengths[i] ? byForward[i * l + t] : 0f, bySession[i * l + t], 1e-4f);
        Assert.Equal(OfflineMetrics.Compute(encoded, byForward).Auc, OfflineMetrics.Compute(encoded, bySession).Auc, 6);
    }
}
