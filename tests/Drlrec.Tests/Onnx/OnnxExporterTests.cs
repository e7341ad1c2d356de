using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Onnx;
using Drlrec.Ranking;
using Drlrec.Testing;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Onnx;

public sealed class OnnxExporterTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly ListDataset lists = ToyData.Lists(16);
    private readonly FeatureVocabulary vocabulary;
    private readonly QNetwork network;

    public OnnxExporterTests()
    {
        vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        manual_seed(21);
        network = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        OnnxTestModel.Randomize(network);
        network.eval();
    }

    public void Dispose()
    {
        network.Dispose();
        folder.Dispose();
    }

    private OnnxVocabulary Vocabulary => new(lists.Schema.Fields, vocabulary);

    [Fact]
    public void Export_writes_step_graph_list_graph_and_vocabulary_with_opset_metadata_and_no_temp_files()
    {
        var export = OnnxExporter.Export(network, "toy", ModelRole.Student, folder["out/model.onnx"], Vocabulary);

        Assert.Equal(["model.cached.onnx", "model.encode.onnx", "model.list.onnx", "model.onnx", "model.slate.onnx", "model.vocabulary.json"],
            Directory.GetFileSystemEntries(folder["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(new FileInfo(export.Path).Length, export.Bytes);
        Assert.Equal(17, export.Opset);

        var step = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.Path));
        Assert.Equal(OnnxExporter.IrVersion, step.IrVersion);
        Assert.Equal(OnnxExporter.Opset, step.OpsetImport.Single(o => o.Domain == "").Version);
        // The list features (the default) take the placed items' rows.
        Assert.Equal(["prefix_keys", "prefix_values", "prefix_mask", "hidden", "rows", "prefix_rows"], step.Graph.Input.Select(i => i.Name));
        Assert.Equal(["q", "keys", "values", "states", "hint"], step.Graph.Output.Select(o => o.Name));
        var metadata = step.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("drlrec-onnx/3", metadata["drlrec.format"]);
        Assert.Equal("toy", metadata["drlrec.name"]);
        Assert.Equal("student", metadata["drlrec.role"]);
        Assert.Equal("8", metadata["drlrec.embedding_dim"]);
        Assert.Equal("40", metadata["drlrec.state_dim"]);
        Assert.Contains(step.Graph.Initializer, w => w.Name == "embedding.weight" && w.Dims.SequenceEqual(new long[] { vocabulary.Rows, 8 }));

        var list = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.ListPath));
        Assert.Equal(["rows"], list.Graph.Input.Select(i => i.Name));
        Assert.Equal(["q", "hint"], list.Graph.Output.Select(o => o.Name));
        Assert.Equal("list", list.MetadataProps.Single(p => p.Key == "drlrec.graph").Value);

        var written = OnnxVocabulary.Read(export.VocabularyPath!);
        Assert.Equal(lists.Schema.Fields, written.Fields);
        Assert.Equal(vocabulary.Rows, written.Vocabulary.Rows);
    }

    [Fact]
    public void A_checkpoint_exports_its_online_network_name_and_role()
    {
        string checkpoint = folder["run/" + ModelCheckpoint.FileName];
        var header = new CheckpointHeader
        {
            Name = "toy-teacher", Role = ModelRole.Teacher, Model = network.Config, Fields = lists.Schema.Fields,
            Vocabulary = vocabulary, Parameters = network.ParameterCount,
        };
        ModelCheckpoint.Save(checkpoint, header, network, network);
        using var model = ModelCheckpoint.Load(folder["run"]);

        var export = OnnxExporter.Export(model, folder["toy.onnx"]);

        using var scorer = new OnnxStepScorer(export.Path);
        Assert.Equal(("toy-teacher", ModelRole.Teacher, 5, 40, 32), (scorer.Info.Name, scorer.Info.Role, scorer.FieldCount, scorer.StateDim, scorer.Info.HintDim));
        using var torch = new TorchStepScorer(model.Online);
        var input = new SlateInput([[1, 2, 3, 4, 5]], [[3, 4]], FirstItemField: 2, MaxValues: 1);
        using var byTorch = torch.Begin(input);
        using var byOnnx = scorer.Begin(input);
        Assert.Equal(byTorch.Score([0])[0], byOnnx.Score([0])[0], 1e-5f);
    }

    [Fact]
    public void Every_file_of_an_export_is_bound_to_the_weights_it_was_exported_from()
    {
        var export = OnnxExporter.Export(network, "toy", ModelRole.Student, folder["model.onnx"], Vocabulary);

        string fingerprint = ModelFingerprint.Of(network);
        foreach (string graph in new[] { export.Path, export.ListPath, export.EncodePath!, export.CachedStepPath!, export.SlatePath! })
            Assert.Equal(fingerprint, Metadata(graph)["drlrec.model_sha256"]);
        var int8 = OnnxExporter.Export(network, "toy", ModelRole.Student, folder["int8.onnx"], Vocabulary, OnnxPrecision.Int8);
        foreach (string graph in new[] { int8.Path, int8.ListPath, int8.EncodePath!, int8.CachedStepPath!, int8.SlatePath! })
            Assert.Equal((fingerprint, "int8"), (Metadata(graph)["drlrec.model_sha256"], Metadata(graph)["drlrec.precision"]));
        Assert.Equal(fingerprint, OnnxVocabulary.Read(export.VocabularyPath!).ModelSha256);
        using var other = OtherNetwork();
        Assert.NotEqual(fingerprint, ModelFingerprint.Of(other));
    }

    [Fact]
    public void A_graph_is_opened_for_its_own_checkpoint_even_re_saved_and_refused_for_another_naming_both()
    {
        using var other = OtherNetwork();
        using var own = ModelCheckpoint.Load(SaveCheckpoint(network, "toy-student", "own"));
        using var resaved = ModelCheckpoint.Load(SaveCheckpoint(network, "renamed", "resaved"));
        using var another = ModelCheckpoint.Load(SaveCheckpoint(other, "toy-teacher", "another"));
        var export = OnnxExporter.Export(own, folder["student.onnx"]);

        using (OnnxServing.OpenFor(own, export.Path))
        using (OnnxServing.OpenFor(resaved, export.Path))
        using (OnnxServing.OpenListFor(own, export.ListPath))
        {
        }
        var error = Assert.Throws<InvalidDataException>(() => OnnxServing.OpenFor(another, export.Path));
        Assert.Equal($"{export.Path} does not belong to {another.Path}: the graph was exported from 'toy-student' (weights sha256 " +
                     $"{own.Fingerprint[..12]}), the checkpoint holds 'toy-teacher' (weights sha256 {another.Fingerprint[..12]}); export " +
                     $"this model's graph (drlrec export --model {another.Path} --format onnx --out FILE) and pair that file with it",
            error.Message);
        Assert.Contains("does not belong to", Assert.Throws<InvalidDataException>(() => OnnxServing.OpenListFor(another, export.ListPath)).Message);
    }

    [Fact]
    public void A_graph_or_vocabulary_of_another_export_beside_the_step_graph_is_refused()
    {
        using var other = OtherNetwork();
        var export = OnnxExporter.Export(network, "toy", ModelRole.Student, folder["a/model.onnx"], Vocabulary);
        var foreign = OnnxExporter.Export(other, "toy", ModelRole.Student, folder["b/model.onnx"], Vocabulary);

        foreach (var (ours, theirs) in new[]
                 {
                     (export.EncodePath!, foreign.EncodePath!), (export.CachedStepPath!, foreign.CachedStepPath!),
                     (export.SlatePath!, foreign.SlatePath!),
                 })
        {
            File.Copy(ours, folder["kept.onnx"], overwrite: true);
            File.Copy(theirs, ours, overwrite: true);
            var error = Assert.Throws<InvalidDataException>(() => new OnnxStepScorer(export.Path));
            Assert.StartsWith($"{ours} does not belong with {export.Path}: they were exported from different models", error.Message);
            File.Copy(folder["kept.onnx"], ours, overwrite: true);
        }
        using (new OnnxStepScorer(export.Path))
        {
        }

        File.Copy(foreign.VocabularyPath!, export.VocabularyPath!, overwrite: true);
        Assert.StartsWith($"{export.VocabularyPath} does not belong with {export.Path}",
            Assert.Throws<InvalidDataException>(() => OnnxServing.LoadRanker(export.Path)).Message);
    }

    [Fact]
    public void A_graph_or_vocabulary_exported_before_binding_is_refused_with_a_message_to_export_again()
    {
        var export = OnnxExporter.Export(network, "toy", ModelRole.Student, folder["model.onnx"], Vocabulary);
        // As the previous version wrote them: format 1, no model_sha256 (nor the later file_sha256).
        var step = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.Path));
        step.MetadataProps.Remove(step.MetadataProps.Single(p => p.Key == "drlrec.model_sha256"));
        step.MetadataProps.Remove(step.MetadataProps.Single(p => p.Key == "drlrec.file_sha256"));
        step.MetadataProps.Single(p => p.Key == "drlrec.format").Value = "drlrec-onnx/1";
        File.WriteAllBytes(export.Path, Google.Protobuf.MessageExtensions.ToByteArray(step));
        var vocabulary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(export.VocabularyPath!))!.AsObject();
        vocabulary.Remove("model_sha256");
        vocabulary.Remove("file_sha256");
        vocabulary["format"] = "drlrec-onnx-vocabulary/1";
        File.WriteAllText(export.VocabularyPath!, vocabulary.ToJsonString());

        foreach (var (file, open) in new (string, Action)[]
                 {
                     (export.Path, () => new OnnxStepScorer(export.Path).Dispose()),
                     (export.VocabularyPath!, () => OnnxVocabulary.Read(export.VocabularyPath!)),
                 })
        {
            var error = Assert.Throws<InvalidDataException>(open);
            Assert.StartsWith($"{file}: exported by an earlier drlrec (format '", error.Message);
            Assert.Contains("which did not record the model it belongs to", error.Message);
            Assert.EndsWith("export it again (drlrec export --model DIR --format onnx --out FILE)", error.Message);
        }
    }

    /// <summary>A network of the same shape with other weights.</summary>
    private QNetwork OtherNetwork()
    {
        manual_seed(22);
        var other = new QNetwork(network.Config, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        OnnxTestModel.Randomize(other);
        other.eval();
        return other;
    }

    /// <summary>A run folder whose model.ckpt holds <paramref name="online"/> as its online network.</summary>
    private string SaveCheckpoint(QNetwork online, string name, string run)
    {
        var header = new CheckpointHeader
        {
            Name = name, Role = ModelRole.Student, Model = online.Config, Fields = lists.Schema.Fields, Vocabulary = vocabulary,
            Parameters = online.ParameterCount,
        };
        ModelCheckpoint.Save(folder[run + "/" + ModelCheckpoint.FileName], header, online, online);
        return folder[run];
    }

    private static Dictionary<string, string> Metadata(string graph) =>
        global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(graph)).MetadataProps.ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void A_vocabulary_that_does_not_fit_fails_the_export_before_anything_is_written()
    {
        var other = FeatureVocabulary.Fit(ToyData.Lists(16, items: 80, seed: 9), new FeatureConfig());

        var error = Assert.Throws<ArgumentException>(() =>
            OnnxExporter.Export(network, "toy", ModelRole.Student, folder["model.onnx"], new OnnxVocabulary(lists.Schema.Fields, other)));

        Assert.Contains("embedding rows", error.Message);
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public void A_write_that_fails_leaves_neither_temp_files_nor_the_files_written_before_it()
    {
        Directory.CreateDirectory(folder["model.onnx"]); // the target is a folder: its rename fails, after the list graph and vocabulary

        Assert.ThrowsAny<IOException>(() => OnnxExporter.Export(network, "toy", ModelRole.Student, folder["model.onnx"], Vocabulary));

        Assert.Equal(["model.onnx"], folder.Entries());
        Assert.Empty(Directory.GetFileSystemEntries(folder["model.onnx"]));
    }

    [Fact]
    public void Exporting_again_replaces_the_files_and_without_a_vocabulary_removes_the_stale_one()
    {
        OnnxExporter.Export(network, "first", ModelRole.Student, folder["model.onnx"], Vocabulary);

        var export = OnnxExporter.Export(network, "second", ModelRole.Student, folder["model.onnx"]);

        Assert.Null(export.VocabularyPath);
        Assert.Equal(["model.cached.onnx", "model.encode.onnx", "model.list.onnx", "model.onnx", "model.slate.onnx"], folder.Entries());
        using var scorer = new OnnxListScorer(export.ListPath);
        Assert.Equal("second", scorer.Info.Name);
        var error = Assert.Throws<FileNotFoundException>(() => OnnxServing.LoadRanker(export.Path));
        Assert.Contains("vocabulary", error.Message);
    }

    [Fact]
    public void Opening_the_wrong_file_is_a_clear_error()
    {
        var export = OnnxExporter.Export(network, "toy", ModelRole.Student, folder["model.onnx"], Vocabulary);

        Assert.Contains("list graph", Assert.Throws<InvalidDataException>(() => new OnnxStepScorer(export.ListPath)).Message);
        Assert.Contains("step graph", Assert.Throws<InvalidDataException>(() => new OnnxListScorer(export.Path)).Message);
        Assert.Contains("ONNX Runtime cannot load", Assert.Throws<InvalidDataException>(() => new OnnxStepScorer(export.VocabularyPath!)).Message);
        Assert.Throws<FileNotFoundException>(() => new OnnxStepScorer(folder["missing.onnx"]));
    }

    [Fact]
    public void Teacher_sized_network_with_more_heads_matches_torch_in_both_graphs()
    {
        using var model = OnnxTestModel.With(new QNetworkConfig { EmbeddingDim = 16, FieldHeads = 4, SequenceHeads = 4, HintDim = 32 }, seed: 8);
        var rng = new Random(3);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = model.RandomRows(rng, 4 * 7, 3);
        var forward = model.Network.Forward(tensor(rows, [4, 7, model.Fields, 3]));
        var list = model.List.Score(rows, 4, 7, 3);
        Assert.True(forward.Q.allclose(tensor(list.Q, [4, 7]), rtol: 0, atol: 1e-4));

        // Greedy steps from the forward pass's own prefix cache of list 0 reproduce its Q at each position.
        var one = model.Network.Forward(tensor(rows[..(7 * model.Fields * 3)], [1, 7, model.Fields, 3]));
        for (int p = 0; p < 7; p++)
        {
            var prefix = model.Network.PrefixAt(one, p);
            var step = model.Step.Score(new StepInput(p, Floats(prefix.Keys), Floats(prefix.Values), Floats(prefix.Hidden),
                rows[(p * model.Fields * 3)..((p + 1) * model.Fields * 3)], 1, 3, rows[..(p * model.Fields * 3)]));
            Assert.Equal(one.Q[0, p].item<float>(), step.Q[0], 1e-4f);
        }
    }

    private static float[] Floats(Tensor t) => t.numel() == 0 ? [] : t.contiguous().data<float>().ToArray();
}
