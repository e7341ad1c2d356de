using System.Globalization;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Ranking;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Ranking;

public sealed class SlateRankerTests
{
    /// <summary>
    /// The greedy slate by brute force: at each slot t, every remaining candidate is put after the items placed so far
    /// and the whole list (the request's user fields at every position, "position" = slot + 1) goes through the full
    /// forward pass; the candidate with the largest Q at slot t is placed.
    /// </summary>
    private static (int[] Order, float[] Q) BruteForceSlate(QNetwork net, FeatureVocabulary vocabulary, string[] user,
        string[][][] candidates, int slateSize)
    {
        const int f = 5, m = 2; // ToyData: user, age | item, tags | position; tags hold up to two values
        long[] Cell(int field, string[] values)
        {
            var cell = new long[m];
            for (int v = 0; v < values.Length; v++) cell[v] = vocabulary.Row(field, values[v]);
            return cell;
        }
        var placed = new List<int>();
        var qs = new List<float>();
        var remaining = Enumerable.Range(0, candidates.Length).ToList();
        for (int t = 0; t < slateSize; t++)
        {
            int best = -1;
            float bestQ = float.NegativeInfinity;
            foreach (int c in remaining)
            {
                var order = placed.Append(c).ToArray();
                var rows = new long[(t + 1) * f * m];
                for (int p = 0; p <= t; p++)
                {
                    string[][] fields = [[user[0]], [user[1]], candidates[order[p]][0], candidates[order[p]][1], [(p + 1).ToString(CultureInfo.InvariantCulture)]];
                    for (int k = 0; k < f; k++) Cell(k, fields[k]).CopyTo(rows, (p * f + k) * m);
                }
                float q = net.Forward(tensor(rows, [1, t + 1, f, m])).Q[0, t].item<float>();
                if (q > bestQ) (best, bestQ) = (c, q);
            }
            placed.Add(best);
            qs.Add(bestQ);
            remaining.Remove(best);
        }
        return (placed.ToArray(), qs.ToArray());
    }

    [Fact]
    public void The_greedy_slate_places_at_each_slot_the_candidate_a_full_forward_pass_values_most()
    {
        var lists = ToyData.Lists(60, seed: 2);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        manual_seed(8);
        using var net = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, Dropout = 0 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        using var scorer = new TorchStepScorer(net);
        var ranker = new SlateRanker(scorer, vocabulary, lists.Schema);
        string[] user = ["u3", "a0"];
        // item and tags of six candidates; i999 is unknown to the vocabulary (out-of-vocabulary rows)
        string[][][] candidates =
        [
            [["i0"], ["t0", "t1"]], [["i7"], ["t2"]], [["i12"], ["t0", "t1"]], [["i21"], ["t1"]], [["i999"], ["t4"]], [["i34"], ["t4"]],
        ];
        var request = new SlateRequest(
            new Dictionary<string, string[]> { ["user"] = [user[0]], ["age"] = [user[1]] },
            new Dictionary<string, string[]>(), // "position" is filled per slot
            candidates.Select(c => (IReadOnlyDictionary<string, string[]>)new Dictionary<string, string[]> { ["item"] = c[0], ["tags"] = c[1] }).ToList(),
            SlateSize: 5);

        var slate = ranker.Rank(request);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (order, q) = BruteForceSlate(net, vocabulary, user, candidates, 5);
        Assert.Equal(order, slate.Order);
        for (int t = 0; t < order.Length; t++) Assert.Equal(q[t], slate.Q[t], 4);
    }
}
