using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Onnx;
using Drlrec.Testing;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Onnx;

/// <summary>
/// A toy Q-network with every parameter randomised (biases, norms and the padding row too, so that a graph that reads
/// padding or drops a bias is caught), exported to a temporary folder and opened in ONNX Runtime.
/// </summary>
public class OnnxTestModel : IDisposable
{
    public static QNetworkConfig DefaultConfig { get; } = new() { EmbeddingDim = 8, HintDim = 12 };

    /// <summary>Every size knob away from its default: a state projection F·d = 20 → 12 with three sequence heads,
    /// an MLP 12 → 6 → 3, a hint of 5 and one field head.</summary>
    public static QNetworkConfig SizedConfig { get; } = new()
    {
        EmbeddingDim = 4, FieldHeads = 1, StateDim = 12, SequenceHeads = 3, MlpWidth = 6, HintDim = 5,
    };

    public OnnxTestModel() : this(DefaultConfig, seed: 5)
    {
    }

    /// <summary>Another architecture (a class fixture may have only one public constructor).</summary>
    public static OnnxTestModel With(QNetworkConfig config, int seed) => new(config, seed);

    protected OnnxTestModel(QNetworkConfig config, int seed)
    {
        Lists = ToyData.Lists(32);
        // Values seen once get no row of their own: the data then has out-of-vocabulary values.
        Vocabulary = FeatureVocabulary.Fit(Lists, new FeatureConfig { MinCount = 2 });
        manual_seed(seed);
        Network = new QNetwork(config, FieldLayout.Of(Lists.Schema), Vocabulary.Rows);
        Randomize(Network);
        Network.eval();
        Export = OnnxExporter.Export(Network, "toy", ModelRole.Student, Folder["model.onnx"],
            new OnnxVocabulary(Lists.Schema.Fields, Vocabulary));
        Step = new OnnxStepScorer(Export.Path);
        List = new OnnxListScorer(Export.ListPath);
        checkpoint = new Lazy<LoadedModel>(SaveCheckpoint);
    }

    private readonly Lazy<LoadedModel> checkpoint;

    /// <summary>The network saved as a run's <c>model.ckpt</c> and loaded (made on first use): what pairs a graph with its
    /// model (<see cref="OnnxServing.OpenFor"/>) needs.</summary>
    public LoadedModel Checkpoint => checkpoint.Value;

    private LoadedModel SaveCheckpoint()
    {
        var header = new CheckpointHeader
        {
            Name = "toy", Role = ModelRole.Student, Model = Network.Config, Fields = Lists.Schema.Fields, Vocabulary = Vocabulary,
            Parameters = Network.ParameterCount,
        };
        ModelCheckpoint.Save(Folder["run/" + ModelCheckpoint.FileName], header, Network, Network);
        return ModelCheckpoint.Load(Folder["run"]);
    }

    public TemporaryFolder Folder { get; } = new();
    public ListDataset Lists { get; }
    public FeatureVocabulary Vocabulary { get; }
    public QNetwork Network { get; }
    public OnnxExport Export { get; }
    public OnnxStepScorer Step { get; }
    public OnnxListScorer List { get; }
    public int Fields => Network.FieldCount;

    /// <summary>Adds N(0, 0.2²) noise to every parameter.</summary>
    public static void Randomize(QNetwork network)
    {
        using var noGrad = no_grad();
        foreach (var p in network.parameters()) p.add_(randn_like(p) * 0.2);
    }

    /// <summary>
    /// Random rows [C, F, M]: each field holds 0..M values (0 = a field of padding only) from its own rows (its
    /// out-of-vocabulary row included) at random slots, padding in between.
    /// </summary>
    public long[] RandomRows(Random rng, int candidates, int maxValues)
    {
        var rows = new long[candidates * Fields * maxValues];
        for (int c = 0; c < candidates; c++)
            for (int f = 0; f < Fields; f++)
            {
                var field = Vocabulary.Fields[f];
                int count = rng.Next(6) == 0 ? 0 : rng.Next(1, maxValues + 1);
                foreach (int slot in Enumerable.Range(0, maxValues).OrderBy(_ => rng.Next()).Take(count))
                    rows[(c * Fields + f) * maxValues + slot] = field.Offset + rng.Next(field.Size);
            }
        return rows;
    }

    /// <summary>A request of the toy schema: known and unseen items (ids ≥ 40 are unseen), one- and two-valued tags.</summary>
    public static Drlrec.Ranking.SlateRequest RandomRequest(Random rng, int candidates, int slateSize)
    {
        var items = Enumerable.Range(0, 60).OrderBy(_ => rng.Next()).Take(candidates).ToArray();
        var user = rng.Next(14);
        return new Drlrec.Ranking.SlateRequest(
            new Dictionary<string, string[]> { ["user"] = [$"u{user}"], ["age"] = [$"a{user % 4}"] },
            new Dictionary<string, string[]>(),
            items.Select(i => (IReadOnlyDictionary<string, string[]>)new Dictionary<string, string[]>
            {
                ["item"] = [$"i{i}"],
                ["tags"] = rng.Next(3) == 0 ? [$"t{i % 5}", "t-new"] : [$"t{i % 5}"],
            }).ToList(),
            slateSize);
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Step.Dispose();
        List.Dispose();
        if (checkpoint.IsValueCreated) checkpoint.Value.Dispose();
        Network.Dispose();
        Folder.Dispose();
    }
}

/// <summary><see cref="OnnxTestModel"/> with <see cref="OnnxTestModel.SizedConfig"/>.</summary>
public sealed class SizedOnnxTestModel() : OnnxTestModel(SizedConfig, seed: 6);

/// <summary><see cref="OnnxTestModel"/> with the list features (<see cref="QNetworkConfig.PrefixMatch"/>: the toy's tags
/// compared with the placed items'), the dense skip (<see cref="QNetworkConfig.DenseSkip"/>, exercised on dense data) and a
/// state projection.</summary>
public sealed class PrefixMatchOnnxTestModel() : OnnxTestModel(SizedConfig with { PrefixMatch = true, DenseSkip = true }, seed: 7);
