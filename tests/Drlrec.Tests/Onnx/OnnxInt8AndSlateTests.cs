using Xunit.Abstractions;
using Drlrec.Configuration;
using Drlrec.Onnx;
using Drlrec.Ranking;
using Drlrec.Testing;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Onnx;

/// <summary>The int8 and slate checks on the default-sized toy network, and the checker's own check.</summary>
public sealed class OnnxInt8AndSlateTests(OnnxTestModel model, ITestOutputHelper output) : OnnxInt8AndSlateChecks<OnnxTestModel>(model, output)
{
    [OnnxCheckerFact]
    public void The_checker_catches_a_broken_graph()
    {
        var export = ExportAs(OnnxPrecision.Float32, "broken.onnx");
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.CachedStepPath!));
        proto.Graph.Node[3].Input[0] = "no_such_value";
        string broken = Folder["broken.cached.onnx"];
        File.WriteAllBytes(broken, Google.Protobuf.MessageExtensions.ToByteArray(proto));

        Assert.False(OnnxChecker.Check(broken).Ok);
    }
}

/// <summary>The same checks with every size knob away from its default (<see cref="OnnxTestModel.SizedConfig"/>): the
/// state projection (F·d = 20 → D = 12), the MLP width and the head counts go through the slate graph's loop and the int8
/// graphs.</summary>
public sealed class SizedOnnxInt8AndSlateTests(SizedOnnxTestModel model, ITestOutputHelper output)
    : OnnxInt8AndSlateChecks<SizedOnnxTestModel>(model, output)
{
    [Fact]
    public void The_sized_slate_and_int8_graphs_project_the_item_vectors_to_the_state_width()
    {
        var export = ExportAs(OnnxPrecision.Int8, "sized.onnx");
        var slate = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.SlatePath!));
        var initializers = slate.Graph.Initializer.ToDictionary(t => t.Name, t => t.Dims.ToArray());
        Assert.Equal([20L, 12], initializers["stateProjection.weight.T.int8"]);                   // the candidates' projection, int8
        Assert.Equal([20L, 12], initializers["stateProjection.weight.T"]);                        // the slots' context, float32
        Assert.Equal([12L, 36], initializers["gru.weight_ih_l0.T.int8"]);                         // D wide, not F·d
    }
}

/// <summary>The same checks with the list features (<see cref="PrefixMatchOnnxTestModel"/>): the slate graph's loop carries
/// each candidate's decayed overlap sums.</summary>
public sealed class PrefixMatchOnnxInt8AndSlateTests(PrefixMatchOnnxTestModel model, ITestOutputHelper output)
    : OnnxInt8AndSlateChecks<PrefixMatchOnnxTestModel>(model, output);

/// <summary>
/// The int8 export against its float32 self, the whole-slate graph against the step-by-step path, and every exported
/// graph against the ONNX checker.
/// </summary>
public abstract class OnnxInt8AndSlateChecks<TModel>(TModel model, ITestOutputHelper output) : IClassFixture<TModel>, IDisposable
    where TModel : OnnxTestModel
{
    private readonly TemporaryFolder folder = new();

    protected TemporaryFolder Folder => folder;

    public void Dispose() => folder.Dispose();

    protected OnnxExport ExportAs(OnnxPrecision precision, string name) =>
        OnnxExporter.Export(model.Network, "toy", ModelRole.Student, folder[name], new OnnxVocabulary(model.Lists.Schema.Fields, model.Vocabulary), precision);

    /// <summary>
    /// float32: the same slates as one call per slot, always. int8: the slate graph's loop body sums in another order,
    /// so an activation can round to a neighbouring int8 level and move Q by a quantisation step; a slate then differs
    /// only where two candidates' Q were that close. Counted and bounded.
    /// </summary>
    [Theory]
    [InlineData(OnnxPrecision.Float32)]
    [InlineData(OnnxPrecision.Int8)]
    public void The_slate_graph_ranks_as_one_call_per_slot(OnnxPrecision precision)
    {
        var export = ExportAs(precision, $"{precision}.onnx");
        using var whole = new OnnxStepScorer(export.Path);
        using var steps = new OnnxStepScorer(export.Path, wholeSlates: false);
        Assert.True(whole.RanksWholeSlates);
        Assert.False(steps.RanksWholeSlates);
        Assert.Equal(precision, whole.Info.Precision);
        var (byGraph, bySteps) = (Ranker(whole), Ranker(steps));
        var rng = new Random(31);
        int requests = 40, same = 0;
        float worst = 0;
        for (int r = 0; r < requests; r++)
        {
            // Slates shorter than, as long as and (asked) longer than the candidates.
            var request = RandomRequest(rng, candidates: 1 + rng.Next(20), slateSize: 1 + rng.Next(12));
            var (a, b) = (byGraph.Rank(request), bySteps.Rank(request));
            Assert.Equal(b.Order.Length, a.Order.Length);
            if (!a.Order.SequenceEqual(b.Order)) continue;
            same++;
            for (int t = 0; t < a.Q.Length; t++) worst = Math.Max(worst, Math.Abs(a.Q[t] - b.Q[t]));
        }
        output.WriteLine($"{precision}: same slate in {same}/{requests} requests, max |Δq| of placed {worst:E2}");
        if (precision == OnnxPrecision.Float32)
        {
            Assert.Equal(requests, same);
            Assert.True(worst <= 1e-5f, $"placed Q differ by {worst}");
        }
        else
        {
            Assert.True(same >= 0.8 * requests, $"only {same} of {requests} slates are the same");
            Assert.True(worst <= 0.05f, $"placed Q differ by {worst}");
        }
    }

    /// <summary>
    /// int8 scores within a stated tolerance of float32 on the same requests, and the slates mostly the same: the
    /// differences are counted and bounded (a swap needs two candidates whose Q differ by less than the quantisation error).
    /// </summary>
    [Fact]
    public void The_int8_export_scores_within_tolerance_of_float32_and_mostly_places_the_same_candidates()
    {
        var fp32 = ExportAs(OnnxPrecision.Float32, "fp32.onnx");
        var int8 = ExportAs(OnnxPrecision.Int8, "int8.onnx");
        using var full = new OnnxStepScorer(fp32.Path, wholeSlates: false);
        using var quantized = new OnnxStepScorer(int8.Path, wholeSlates: false);
        Assert.Equal(OnnxPrecision.Int8, quantized.Info.Precision);
        // The weights, not the file: at the sized toy's widths (D = 12) the quantisation nodes outweigh what int8 saves.
        // (The slot context's projection and the embedding table stay float32 in both.)
        Assert.True(WeightBytes(int8.CachedStepPath!) < WeightBytes(fp32.CachedStepPath!), "int8 weights take less room than float32 ones");

        var rng = new Random(5);
        double worst = 0, scale = 0;
        int requests = 60, slots = 0, samePlaced = 0, sameSlates = 0;
        for (int r = 0; r < requests; r++)
        {
            var request = RandomRequest(rng, candidates: 20, slateSize: 5);
            // The first slot's scores of every candidate, one call each path.
            var (a, b) = (FirstSlot(full, request), FirstSlot(quantized, request));
            for (int j = 0; j < a.Length; j++)
            {
                worst = Math.Max(worst, Math.Abs(a[j] - b[j]));
                scale = Math.Max(scale, Math.Abs(a[j]));
            }
            var (x, y) = (Ranker(full).Rank(request), Ranker(quantized).Rank(request));
            slots += x.Order.Length;
            samePlaced += x.Order.Zip(y.Order).Count(p => p.First == p.Second);
            sameSlates += x.Order.SequenceEqual(y.Order) ? 1 : 0;
        }
        output.WriteLine($"int8 vs fp32: max |Δq| {worst:F4} (max |q| {scale:F3}), same candidate in {samePlaced}/{slots} slots, same slate {sameSlates}/{requests}");
        // A harsh case: every parameter of the toy network has N(0, 0.2²) noise added (measured: max |Δq| 8% of max |q|,
        // 85% of slots the same); a trained student's int8 export keeps its float32 AUC (docs/serving.md).
        Assert.True(worst <= 0.1 * scale, $"max |q_int8 - q_fp32| = {worst} over 10% of max |q| = {scale}");
        Assert.True(samePlaced >= 0.75 * slots, $"only {samePlaced} of {slots} slots hold the same candidate");
    }

    [Fact]
    public void A_step_graph_with_graphs_of_another_precision_beside_it_is_refused()
    {
        var fp32 = ExportAs(OnnxPrecision.Float32, "mixed.onnx");
        var int8 = ExportAs(OnnxPrecision.Int8, "other.onnx");
        File.Copy(int8.SlatePath!, fp32.SlatePath!, overwrite: true);

        var error = Assert.Throws<InvalidDataException>(() => new OnnxStepScorer(fp32.Path));

        Assert.True(OnnxBinding.IsRefusal(error));
        Assert.StartsWith($"{fp32.SlatePath} does not belong with {fp32.Path}: they are exports of 'toy' at different precisions (int8 and fp32)",
            error.Message);
        using (new OnnxStepScorer(fp32.Path, wholeSlates: false))
        {
            // The slate graph is not opened when it is not used.
        }
        File.Copy(int8.CachedStepPath!, fp32.CachedStepPath!, overwrite: true);
        Assert.StartsWith($"{fp32.CachedStepPath} does not belong with {fp32.Path}",
            Assert.Throws<InvalidDataException>(() => new OnnxStepScorer(fp32.Path, wholeSlates: false)).Message);
    }

    /// <summary>Both precisions, of the toy network and of one of the same size with a dense field (whose graphs read value
    /// codes).</summary>
    [OnnxCheckerFact]
    public void Every_exported_graph_passes_the_onnx_checker_in_both_precisions()
    {
        var lists = ToyData.DenseLists(16);
        var vocabulary = Drlrec.Features.FeatureVocabulary.Fit(lists, new FeatureConfig());
        TorchSharp.torch.manual_seed(4);
        using var dense = new Drlrec.Model.QNetwork(model.Network.Config, Drlrec.Features.FieldLayout.Of(vocabulary), vocabulary.Rows, "dense");
        dense.eval();
        var files = new[] { OnnxPrecision.Float32, OnnxPrecision.Int8 }.SelectMany(p =>
        {
            var toy = ExportAs(p, $"checked-{p}.onnx");
            var withDense = OnnxExporter.Export(dense, "dense", ModelRole.Student, folder[$"dense-{p}.onnx"], null, p);
            return new[] { toy, withDense }.SelectMany(e => new[] { e.Path, e.ListPath, e.EncodePath!, e.CachedStepPath!, e.SlatePath! });
        }).ToArray();

        var (ok, text) = OnnxChecker.Check(files);

        output.WriteLine(text);
        Assert.True(ok, text);
        Assert.Equal(files.Length, text.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
    }

    /// <summary>Bytes of a graph's initializers (weights, scales and constants).</summary>
    private static long WeightBytes(string path) =>
        global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer.Sum(t => (long)t.RawData.Length);

    private SlateRanker Ranker(IStepScorer scorer) => new(scorer, model.Vocabulary, model.Lists.Schema);

    private float[] FirstSlot(OnnxStepScorer scorer, SlateRequest request)
    {
        var all = Enumerable.Range(0, request.Candidates.Count).ToArray();
        var rows = EncodedSlate(request);
        using var session = scorer.Begin(rows);
        return session.Score(all);
    }

    /// <summary>The request encoded as the ranker encodes it (through a ranker on a recording scorer).</summary>
    private SlateInput EncodedSlate(SlateRequest request)
    {
        var recorder = new RecordingScorer(model.Fields);
        try
        {
            Ranker(recorder).Rank(request with { SlateSize = 1 });
        }
        catch (RecordedException)
        {
        }
        return recorder.Input!;
    }

    private sealed class RecordedException : Exception;

    private sealed class RecordingScorer(int fields) : IStepScorer
    {
        public SlateInput? Input { get; private set; }
        public string Backend => "recording";
        public int FieldCount => fields;

        public ISlateSession Begin(SlateInput input)
        {
            Input = input;
            throw new RecordedException();
        }

        public void Dispose()
        {
        }
    }

    private static SlateRequest RandomRequest(Random rng, int candidates, int slateSize) => OnnxTestModel.RandomRequest(rng, candidates, slateSize);
}
