using Xunit.Abstractions;
using static TorchSharp.torch;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Onnx;
using Drlrec.Ranking;

namespace Drlrec.Tests.Onnx;

/// <summary>ONNX Runtime on the exported graphs against the TorchSharp network they came from, default-sized.</summary>
public sealed class OnnxEquivalenceTests(OnnxTestModel model, ITestOutputHelper output)
    : OnnxEquivalenceChecks<OnnxTestModel>(model, output);

/// <summary>The same checks with every size knob away from its default (<see cref="OnnxTestModel.SizedConfig"/>): the
/// state projection, MLP width, hint size and head counts go through every graph, the serving split included.</summary>
public sealed class SizedOnnxEquivalenceTests(SizedOnnxTestModel model, ITestOutputHelper output)
    : OnnxEquivalenceChecks<SizedOnnxTestModel>(model, output)
{
    [Fact]
    public void The_sized_model_has_its_state_projection_and_widths()
    {
        var parameters = Model.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([12L, 20], parameters["stateProjection.weight"]);
        Assert.Equal([6L, 12 + 3], parameters["mlp.hidden1.weight"]);                            // the state and the tags' list features
        Assert.Equal([5L, 3], parameters["mlp.hint.weight"]);
        Assert.Equal((12, 3, 4, 5), (Model.Step.StateDim, Model.Step.Heads, Model.Step.HeadDim, Model.Step.Info.HintDim));
    }
}

/// <summary>The same checks with the list features (<see cref="PrefixMatchOnnxTestModel"/>): the placed items' rows go into
/// the step graph, the compared rows and placed indices into the cached step, and the slate graph's loop carries the sums.</summary>
public sealed class PrefixMatchOnnxEquivalenceTests(PrefixMatchOnnxTestModel model, ITestOutputHelper output)
    : OnnxEquivalenceChecks<PrefixMatchOnnxTestModel>(model, output)
{
    [Fact]
    public void The_model_compares_the_tags_and_its_step_graph_asks_for_the_placed_rows()
    {
        Assert.Equal(3, Model.Network.MatchFeatures);
        Assert.True(Model.Step.MatchesPrefix);
        var input = OnnxEquivalenceChecks<PrefixMatchOnnxTestModel>.WithoutPrefixRows(Model, new Random(3));
        var error = Assert.Throws<ArgumentException>(() => Model.Step.Score(input));
        Assert.Contains("placed items' rows", error.Message);
    }
}

/// <summary>ONNX Runtime on the exported graphs against the TorchSharp network they came from.</summary>
public abstract class OnnxEquivalenceChecks<TModel>(TModel model, ITestOutputHelper output) : IClassFixture<TModel>
    where TModel : OnnxTestModel
{
    protected TModel Model => model;

    private const float Tolerance = 1e-4f;

    private int H => model.Step.Heads;
    private int Dh => model.Step.HeadDim;
    private int D => model.Step.StateDim;

    [Fact]
    public void Step_graph_equals_ScoreCandidates_for_prefix_lengths_from_zero_several_candidates_and_value_counts()
    {
        var rng = new Random(11);
        float worst = 0;
        foreach (int t in new[] { 0, 1, 2, 5 })
            foreach (int c in new[] { 1, 3, 8 })
                foreach (int m in new[] { 1, 2, 4 })
                    worst = Math.Max(worst, CompareStep(RandomStep(rng, t, c, m), null, $"T={t} C={c} M={m}"));
        output.WriteLine($"step graph, max |onnx - torch| over q, keys, values, states, hint: {worst:E2}");
    }

    [Fact]
    public void Step_graph_ignores_masked_prefix_positions_as_torch_does()
    {
        var rng = new Random(12);
        float worst = 0;
        foreach (var mask in new[] { new[] { true, false, true, false }, [false, true, true, true], [false, false, false, false] })
            worst = Math.Max(worst, CompareStep(RandomStep(rng, mask.Length, 5, 3), mask, $"mask {string.Join(',', mask)}"));
        output.WriteLine($"masked prefixes, max |onnx - torch|: {worst:E2}");
    }

    [Fact]
    public void A_masked_out_position_changes_nothing_its_removal_would_not()
    {
        var rng = new Random(13);
        var full = RandomStep(rng, 3, 4, 2);
        var masked = model.Step.ScoreAll(full, [true, false, true]);
        int rowWidth = model.Fields * 2;
        var shorter = model.Step.ScoreAll(full with
        {
            PrefixLength = 2,
            PrefixKeys = DropPosition(full.PrefixKeys, 3, 1),
            PrefixValues = DropPosition(full.PrefixValues, 3, 1),
            PrefixRows = [.. full.PrefixRows![..rowWidth], .. full.PrefixRows![(2 * rowWidth)..]],
        });
        Assert.True(MaxDiff(masked.Q, shorter.Q) < 1e-6, "q");
        Assert.True(MaxDiff(masked.States, shorter.States) < 1e-6, "states");
    }

    [Fact]
    public void Greedy_ranker_gives_the_same_slates_with_torch_and_onnx_and_from_the_exported_vocabulary()
    {
        var rng = new Random(14);
        var schema = model.Lists.Schema;
        using var torch = new TorchStepScorer(model.Network);
        var byTorch = new SlateRanker(torch, model.Vocabulary, schema);
        var byOnnx = new SlateRanker(model.Step, model.Vocabulary, schema);
        var served = OnnxServing.LoadRanker(model.Export.Path);
        using var servedScorer = served.Scorer;
        float worst = 0;
        for (int r = 0; r < 6; r++)
        {
            var request = RandomRequest(rng, candidates: 4 + r, slateSize: 3 + r / 2);
            var expected = byTorch.Rank(request);
            foreach (var ranker in new[] { byOnnx, served })
            {
                var actual = ranker.Rank(request);
                // Two unseen items with the same tags are the same input (a tie any backend may break either way):
                // compare what was placed, by its encoding.
                Assert.Equal(expected.Order.Select(i => Encoded(request, i)), actual.Order.Select(i => Encoded(request, i)));
                worst = Math.Max(worst, MaxDiff(expected.Q, actual.Q));
            }
        }
        Assert.True(worst <= Tolerance, $"slate Q differ by {worst}");
        output.WriteLine($"greedy slates, max |onnx - torch| of placed Q: {worst:E2}");
    }

    /// <summary>The serving split (encode once, cached steps) ranks as the step graph alone does, and a model that
    /// encodes per slot gets no split.</summary>
    [Fact]
    public void Encoded_once_and_per_slot_the_onnx_ranker_gives_the_same_slates()
    {
        Assert.True(model.Step.EncodesOncePerRequest);
        using var folder = new Testing.TemporaryFolder();
        string alone = folder["alone.onnx"];
        File.Copy(model.Export.Path, alone);
        using var perSlot = new OnnxStepScorer(alone);
        Assert.False(perSlot.EncodesOncePerRequest);
        var split = new SlateRanker(model.Step, model.Vocabulary, model.Lists.Schema);
        var plain = new SlateRanker(perSlot, model.Vocabulary, model.Lists.Schema);
        var rng = new Random(21);
        for (int r = 0; r < 5; r++)
        {
            var request = RandomRequest(rng, candidates: 5 + r, slateSize: 4);
            var (a, b) = (split.Rank(request), plain.Rank(request));
            Assert.Equal(a.Order.Select(i => Encoded(request, i)), b.Order.Select(i => Encoded(request, i)));
            Assert.True(MaxDiff(a.Q, b.Q) <= Tolerance, $"request {r}");
        }

        using var old = OnnxTestModel.With(model.Network.Config with { ContextInput = Configuration.ContextInput.FieldAttention }, seed: 5);
        Assert.Null(old.Export.EncodePath);
        Assert.False(File.Exists(OnnxExporter.CachedStepPathFor(old.Export.Path)));
        Assert.False(old.Step.EncodesOncePerRequest);
    }

    [Fact]
    public void List_graph_equals_Forward_on_a_batch_with_padded_shorter_lists()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var data = EncodedLists.Encode(model.Lists, model.Vocabulary);
        var batch = data.Batch(Enumerable.Range(0, 12).ToArray());
        Assert.False(batch.Mask.all().item<bool>()); // some lists are shorter and padded
        var expected = model.Network.Forward(batch);
        int b = (int)batch.Size, l = (int)batch.Length, m = (int)batch.Rows.shape[3];

        var actual = model.List.Score(batch.Rows.contiguous().data<long>().ToArray(), b, l, m);

        float q = MaxDiff(Floats(expected.Q), actual.Q), hint = MaxDiff(Floats(expected.Hint), actual.Hint);
        Assert.True(q <= Tolerance && hint <= Tolerance, $"q {q}, hint {hint}");
        output.WriteLine($"list graph B={b} L={l}: max |onnx - torch| q {q:E2}, hint {hint:E2}");
    }

    [Fact]
    public void List_graph_scores_one_request_of_ten_positions()
    {
        var rng = new Random(15);
        var rows = model.RandomRows(rng, 10, 2);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = model.Network.Forward(tensor(rows, [1, 10, model.Fields, 2]));
        var actual = model.List.Score(rows, 1, 10, 2);
        Assert.True(MaxDiff(Floats(expected.Q), actual.Q) <= Tolerance);
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_the_reason()
    {
        var input = RandomStep(new Random(16), 1, 2, 1);
        var outside = Assert.Throws<ArgumentException>(() => model.Step.Score(input with { Rows = [.. input.Rows[..^1], model.Vocabulary.Rows] }));
        Assert.Contains("outside the table", outside.Message);
        var shape = Assert.Throws<ArgumentException>(() => model.Step.Score(input with { Hidden = new float[3] }));
        Assert.Contains("hidden", shape.Message);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /// <summary>Runs both backends on one step and asserts every output agrees; returns the largest difference.</summary>
    private float CompareStep(StepInput input, bool[]? mask, string what)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int t = input.PrefixLength;
        var prefix = new PrefixState(
            tensor(input.PrefixKeys, [1, H, t, Dh]), tensor(input.PrefixValues, [1, H, t, Dh]), tensor(input.Hidden, [1, D]),
            mask is null ? null : tensor(mask, [1, t]))
        {
            MatchRows = model.Network.MatchRows(tensor(input.PrefixRows!, [1, t, model.Fields, input.MaxValues])),
        };
        var expected = model.Network.ScoreCandidates(prefix, tensor(input.Rows, [1, input.Candidates, model.Fields, input.MaxValues]));
        var actual = model.Step.ScoreAll(input, mask);

        var diffs = new (string Name, float Diff)[]
        {
            ("q", MaxDiff(Floats(expected.Q), actual.Q)),
            ("keys", MaxDiff(Floats(expected.Keys), actual.Keys)),
            ("values", MaxDiff(Floats(expected.Values), actual.Values)),
            ("states", MaxDiff(Floats(expected.States), actual.States)),
            ("hint", MaxDiff(Floats(expected.Hint), actual.Hint)),
        };
        foreach (var (name, diff) in diffs) Assert.True(diff <= Tolerance, $"{what}: {name} differs by {diff}");
        return diffs.Max(d => d.Diff);
    }

    /// <summary>A prefix of T random keys and values, a random GRU state (zeros for T = 0), random rows of the placed items
    /// (read by models with list features) and random candidate rows.</summary>
    private StepInput RandomStep(Random rng, int t, int c, int m) => WithoutPrefixRows(model, rng, t, c, m) with
    {
        PrefixRows = model.RandomRows(rng, t, m),
    };

    /// <summary><see cref="RandomStep"/> without the placed items' rows.</summary>
    internal static StepInput WithoutPrefixRows(TModel model, Random rng, int t = 2, int c = 3, int m = 2)
    {
        int h = model.Step.Heads, dh = model.Step.HeadDim, d = model.Step.StateDim;
        float[] Normal(int n, float scale) => Enumerable.Range(0, n).Select(_ => scale * (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var hidden = t == 0 ? new float[d] : Normal(d, 0.9f);
        return new StepInput(t, Normal(h * t * dh, 1.5f), Normal(h * t * dh, 1.5f), hidden, model.RandomRows(rng, c, m), c, m);
    }

    /// <summary>A request of distinct items with known and unknown (out-of-vocabulary) values and multi-valued tags.</summary>
    /// <summary>A candidate as the model sees it: its item fields' vocabulary rows.</summary>
    private string Encoded(SlateRequest request, int candidate) =>
        string.Join(";", request.Candidates[candidate].OrderBy(f => f.Key, StringComparer.Ordinal).Select(f =>
        {
            int field = model.Lists.Schema.Fields.ToList().FindIndex(s => s.Name == f.Key);
            return string.Join(",", f.Value.Select(v => model.Vocabulary.Row(field, v)).Order());
        }));

    private static SlateRequest RandomRequest(Random rng, int candidates, int slateSize) => OnnxTestModel.RandomRequest(rng, candidates, slateSize);

    /// <summary>[h, T, dh] without position <paramref name="drop"/>.</summary>
    private float[] DropPosition(float[] x, int t, int drop) =>
        Enumerable.Range(0, H).SelectMany(head => Enumerable.Range(0, t).Where(p => p != drop)
            .SelectMany(p => x.AsSpan((head * t + p) * Dh, Dh).ToArray())).ToArray();

    private static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();

    private static float MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    [Fact]
    public void With_dense_fields_both_graphs_equal_the_network_and_the_greedy_slates_agree()
    {
        var lists = Support.ToyData.DenseLists(32);
        var vocabulary = FeatureVocabulary.Fit(lists, new Configuration.FeatureConfig());
        var layout = FieldLayout.Of(vocabulary);
        manual_seed(9);
        using var network = new QNetwork(model.Network.Config, layout, vocabulary.Rows, "dense");
        OnnxTestModel.Randomize(network);
        network.eval();
        using var folder = new Testing.TemporaryFolder();
        var export = OnnxExporter.Export(network, "dense", Configuration.ModelRole.Student, folder["dense.onnx"],
            new OnnxVocabulary(lists.Schema.Fields, vocabulary));
        using var listScorer = new OnnxListScorer(export.ListPath);
        using var stepScorer = new OnnxStepScorer(export.Path);

        using (NewDisposeScope())
        using (no_grad())
        {
            var batch = EncodedLists.Encode(lists, vocabulary).Batch(Enumerable.Range(0, 10).ToArray());
            var expected = network.Forward(batch);
            int b = (int)batch.Size, l = (int)batch.Length, m = (int)batch.Rows.shape[3];
            var actual = listScorer.Score(batch.Rows.contiguous().data<long>().ToArray(), b, l, m);
            Assert.True(MaxDiff(Floats(expected.Q), actual.Q) <= Tolerance, "list graph q");
        }

        using var torch = new TorchStepScorer(network);
        var byTorch = new SlateRanker(torch, vocabulary, lists.Schema);
        // The three serving paths: the whole slate in one call, the encode graph with cached steps, the step graph alone.
        using var cachedScorer = new OnnxStepScorer(export.Path, wholeSlates: false);
        File.Copy(export.Path, folder["alone.onnx"]);
        using var aloneScorer = new OnnxStepScorer(folder["alone.onnx"]);
        Assert.True(stepScorer.RanksWholeSlates && cachedScorer.EncodesOncePerRequest && !aloneScorer.EncodesOncePerRequest);
        var onnxRankers = new[] { stepScorer, cachedScorer, aloneScorer }.Select(s => new SlateRanker(s, vocabulary, lists.Schema)).ToArray();
        var rng = new Random(3);
        for (int r = 0; r < 5; r++)
        {
            var list = lists.Lists[r];
            var candidates = list.Items.Select(item => (IReadOnlyDictionary<string, string[]>)new Dictionary<string, string[]>
            {
                ["item"] = item.Values[2], ["tags"] = item.Values[3], ["quality"] = rng.Next(4) == 0 ? ["<none>"] : item.Values[4],
            }).ToList();
            var request = new SlateRequest(
                new Dictionary<string, string[]> { ["user"] = list.Items[0].Values[0], ["age"] = list.Items[0].Values[1] },
                new Dictionary<string, string[]> { ["load"] = list.Items[0].Values[6] }, candidates, Math.Min(4, candidates.Count));
            var expected = byTorch.Rank(request);
            foreach (var byOnnx in onnxRankers)
            {
                var actual = byOnnx.Rank(request);
                Assert.Equal(expected.Order, actual.Order);
                Assert.True(MaxDiff(expected.Q, actual.Q) <= Tolerance, "step graph q");
            }
        }
    }

    [Fact]
    public void An_export_carries_the_item_statistics_so_its_served_slates_equal_torchs_without_the_request_sending_them()
    {
        var data = Drlrec.Data.Loading.PreparedData.Prepare(Support.ToyData.Lists(120, seed: 6), null, new Configuration.DataConfig(),
            new Configuration.FeatureConfig());
        Assert.NotNull(data.Vocabulary.ItemStatistics);
        manual_seed(12);
        using var network = new QNetwork(model.Network.Config, data.Layout, data.Vocabulary.Rows, "stats");
        OnnxTestModel.Randomize(network);
        network.eval();
        using var folder = new Testing.TemporaryFolder();
        var export = OnnxExporter.Export(network, "stats", Configuration.ModelRole.Student, folder["stats.onnx"],
            new OnnxVocabulary(data.Schema.Fields, data.Vocabulary));
        var served = OnnxServing.LoadRanker(export.Path);
        using var servedScorer = served.Scorer;
        Assert.NotNull(OnnxVocabulary.Read(OnnxExporter.VocabularyPathFor(export.Path)).Vocabulary.ItemStatistics);
        using var torch = new TorchStepScorer(network);
        var byTorch = new SlateRanker(torch, data.Vocabulary, data.Schema);
        var rng = new Random(2);
        for (int r = 0; r < 4; r++)
        {
            var request = RandomRequest(rng, candidates: 6, slateSize: 4); // item and tags only: no derived field is sent
            var expected = byTorch.Rank(request);
            var actual = served.Rank(request);
            Assert.Equal(expected.Order, actual.Order);
            Assert.True(MaxDiff(expected.Q, actual.Q) <= Tolerance);
        }
    }
}
