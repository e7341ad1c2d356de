using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.OffPolicy;
using Drlrec.Ranking;
using static TorchSharp.torch;

namespace Drlrec.Tests.OffPolicy;

public sealed class TargetPoliciesTests
{
    /// <summary>An untrained model (list features and dense fields on, the defaults) over a small simulated world of 8
    /// candidates per request, as a greedy target policy.</summary>
    private sealed class RandomModel : IDisposable
    {
        private readonly QNetwork network;
        private readonly TorchStepScorer scorer;

        public RandomModel(int worldSeed, int torchSeed, ContextInput context = ContextInput.ItemVector)
        {
            Logs = SimulatedLogs.Small(seed: worldSeed, candidates: 8);
            var fitting = Logs.Simulator.GenerateLogs(300);
            var vocabulary = FeatureVocabulary.Fit(fitting, new FeatureConfig());
            manual_seed(torchSeed);
            network = new QNetwork(new QNetworkConfig { EmbeddingDim = 4, Dropout = 0, ContextInput = context }, FieldLayout.Of(fitting.Schema), vocabulary.Rows);
            scorer = new TorchStepScorer(network);
            Policy = new ModelPolicy("model", new SlateRanker(scorer, vocabulary, fitting.Schema));
        }

        public SimulatedLogs Logs { get; }
        public bool EncodesOncePerRequest => network.EncodesOncePerRequest;
        public ModelPolicy Policy { get; }

        public void Dispose()
        {
            scorer.Dispose();
            network.Dispose();
        }
    }

    /// <summary>
    /// A model's greedy slates built a batch of lists at a time (one batched step per slot) are the ones its session builds
    /// list by list: on a simulated log with list features and dense fields, over every candidate and over a window.
    /// </summary>
    /// <remarks>The item-vector context encodes candidates once per request; field attention over the context encodes them
    /// in every slot (the two paths of the batched step).</remarks>
    [Theory]
    [InlineData(null, ContextInput.ItemVector)]
    [InlineData(5, ContextInput.ItemVector)]
    [InlineData(5, ContextInput.FieldAttention)]
    public void Greedy_slates_built_many_at_a_time_equal_the_ones_built_one_list_at_a_time(int? window, ContextInput context)
    {
        using var model = new RandomModel(worldSeed: 5, torchSeed: 3, context);
        Assert.Equal(context == ContextInput.ItemVector, model.Policy.RanksManySlates && model.EncodesOncePerRequest);
        var policy = model.Policy;
        var slates = model.Logs.Log(300, seed: 9).Select(x => x.Slate).ToList();
        var windows = slates.Select(s => CandidateWindow.Of(s, window)).ToList();

        Assert.True(policy.RanksManySlates);
        var many = policy.GreedySlates(slates, windows);

        var one = slates.Select((s, i) => TargetTerms.Slate(policy, s, windows[i], s.Shown, SlateRanker.Best)).ToArray();
        Assert.Equal(one, many);
        Assert.True(one.Select(o => string.Join(",", o)).Distinct().Count() > 10, "the slates should differ from list to list");
        Assert.All(many.Zip(windows), p => Assert.All(p.First, c => Assert.Contains(c, p.Second)));
    }

    [Fact]
    public void Requests_of_different_candidate_counts_are_ranked_in_their_own_batches()
    {
        using var model = new RandomModel(worldSeed: 6, torchSeed: 4);
        var policy = model.Policy;
        var slates = model.Logs.Log(60, seed: 2).Select(x => x.Slate).ToList();
        var windows = slates.Select((s, i) => CandidateWindow.Of(s, 3 + i % 6)).ToList(); // 3..8 candidates

        var many = policy.GreedySlates(slates, windows);

        for (int i = 0; i < slates.Count; i++)
        {
            Assert.Equal(TargetTerms.Slate(policy, slates[i], windows[i], slates[i].Shown, SlateRanker.Best), many[i]);
            Assert.All(many[i], c => Assert.Contains(c, windows[i]));
        }
    }
}
