using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Testing;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Checkpoints;

public sealed class ModelCheckpointTests
{
    [Fact]
    public void CopyOnline_is_an_independent_network_with_the_same_weights_in_eval_mode()
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-copy-").FullName;
        try
        {
            var config = new RunConfig
            {
                Seed = 3,
                Model = new QNetworkConfig { EmbeddingDim = 8 },
                Trainer = new TrainerConfig { Epochs = 1, BatchSize = 16 },
            };
            TrainWorkflow.Run(config, PreparedData.Prepare(ToyData.Lists(80, seed: 2), null, new DataConfig(), new()), dir);
            using var model = ModelCheckpoint.Load(dir);
            using var copy = ModelCheckpoint.CopyOnline(model);

            Assert.NotSame(model.Online, copy);
            Assert.False(copy.training);
            var original = model.Online.named_parameters().ToList();
            var copied = copy.named_parameters().ToList();
            Assert.Equal(original.Select(p => p.name), copied.Select(p => p.name));
            foreach (var ((_, p), (_, q)) in original.Zip(copied))
                Assert.True(p.eq(q).all().item<bool>());

            using (no_grad())
            {
                using var one = 1.0.ToScalar(); // held, not a temporary: see Model/Scalars.cs
                copied[0].parameter.add_(one, one);
            }
            Assert.False(original[0].parameter.eq(copied[0].parameter).all().item<bool>()); // no shared storage
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A student trained with every size knob set keeps its sizes through config.json, the checkpoint, a copy for a
    /// serving worker and the ONNX export: the loaded network has the trained weights and parameter count, and the torch
    /// and ONNX Runtime rankers (the serving backends) give the same slates.
    /// </summary>
    [Fact]
    public void A_sized_model_round_trips_through_the_checkpoint_the_onnx_export_and_both_serving_backends()
    {
        using var folder = new TemporaryFolder();
        var sizes = new QNetworkConfig { EmbeddingDim = 4, FieldHeads = 1, StateDim = 12, SequenceHeads = 3, MlpWidth = 6, HintDim = 5 };
        var config = new RunConfig { Seed = 4, Role = ModelRole.Student, Model = sizes, Trainer = new TrainerConfig { Epochs = 1, BatchSize = 16 } };
        var lists = ToyData.Lists(80, seed: 2);
        var result = TrainWorkflow.Run(config, PreparedData.Prepare(lists, null, new DataConfig(), new()), folder["run"]);

        Assert.Contains("\"state_dim\": 12", File.ReadAllText(Path.Combine(folder["run"], "config.json")));
        using var model = ModelCheckpoint.Load(folder["run"]);
        Assert.Equal(sizes, model.Header.Model);
        Assert.Equal((12, result.Parameters), (model.Online.StateDim, model.Online.ParameterCount));
        Assert.Equal(model.Header.Parameters, model.Online.ParameterCount);
        Assert.Contains(model.Online.named_parameters(), p => p.name == "stateProjection.weight");
        using var copy = ModelCheckpoint.CopyOnline(model);
        AssertSameWeights(model.Online, copy);

        var export = Drlrec.Onnx.OnnxExporter.Export(model, folder["model.onnx"]);
        Assert.NotNull(export.EncodePath);                                         // the serving split, encoded once per request
        var byOnnx = Drlrec.Onnx.OnnxServing.LoadRanker(export.Path);
        using var onnxScorer = byOnnx.Scorer;
        using var torchScorer = new Drlrec.Ranking.TorchStepScorer(copy);
        var byTorch = new Drlrec.Ranking.SlateRanker(torchScorer, model.Vocabulary, model.Schema);
        foreach (var list in lists.Lists.Take(6))
        {
            var request = new Drlrec.Ranking.SlateRequest(
                new Dictionary<string, string[]> { ["user"] = list.Items[0].Values[0], ["age"] = list.Items[0].Values[1] },
                new Dictionary<string, string[]>(),
                list.Items.DistinctBy(item => item.ItemKey).Select(item => (IReadOnlyDictionary<string, string[]>)new Dictionary<string, string[]>
                {
                    ["item"] = item.Values[2], ["tags"] = item.Values[3],
                }).ToList(),
                3);
            var (expected, actual) = (byTorch.Rank(request), byOnnx.Rank(request));
            Assert.Equal(expected.Order, actual.Order);
            Assert.True(expected.Q.Zip(actual.Q).All(p => Math.Abs(p.First - p.Second) < 1e-4), $"list {list.ListId}");
        }
    }

    private static void AssertSameWeights(QNetwork expected, QNetwork actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys) Assert.True(a[key].shape.SequenceEqual(b[key].shape) && a[key].eq(b[key]).all().item<bool>(), key);
    }

    /// <summary>Copies a checkpoint's entries into <paramref name="target"/>, its header (<c>model.json</c>) rewritten: how
    /// the tests make the files older writers wrote.</summary>
    private static void CopyRewritingHeader(System.IO.Compression.ZipArchive source, System.IO.Compression.ZipArchive target,
        Func<string, string> rewrite)
    {
        foreach (var entry in source.Entries)
        {
            using var from = entry.Open();
            using var to = target.CreateEntry(entry.Name).Open();
            if (entry.Name != "model.json") { from.CopyTo(to); continue; }
            to.Write(System.Text.Encoding.UTF8.GetBytes(rewrite(new StreamReader(from).ReadToEnd())));
        }
    }

    /// <summary>A small saved checkpoint (online and target networks of d = 4 on the toy data).</summary>
    /// <param name="paperNetwork">The paper's network (no list features, no dense skip): what files of formats 1 to 3 held.</param>
    private static string SaveSmall(TemporaryFolder folder, string name = ModelCheckpoint.FileName, bool paperNetwork = false)
    {
        var lists = ToyData.Lists(30);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var config = new QNetworkConfig { EmbeddingDim = 4, HintDim = 8, PrefixMatch = !paperNetwork, DenseSkip = !paperNetwork };
        manual_seed(5);
        using var online = new QNetwork(config, FieldLayout.Of(lists.Schema), vocabulary.Rows, "online");
        using var target = new QNetwork(config, FieldLayout.Of(lists.Schema), vocabulary.Rows, "target");
        var header = new CheckpointHeader
        {
            Name = "small", Role = ModelRole.Student, Model = config, Fields = lists.Schema.Fields, Vocabulary = vocabulary,
            Parameters = online.ParameterCount,
        };
        ModelCheckpoint.Save(folder[name], header, online, target);
        return folder[name];
    }

    [Fact]
    public void A_flipped_byte_anywhere_in_the_file_is_refused_at_load_naming_the_file()
    {
        using var folder = new TemporaryFolder();
        string path = SaveSmall(folder);
        var bytes = File.ReadAllBytes(path);
        using (ModelCheckpoint.Load(path)) { }                                   // intact: loads

        // 64 places spread over the whole file: local headers, the JSON, both weight blobs, the central directory, the hash.
        for (int k = 0; k < 64; k++)
        {
            int at = (int)((long)k * (bytes.Length - 1) / 63);
            var broken = bytes.ToArray();
            broken[at] ^= 0x10;
            string corrupt = folder[$"corrupt-{k}.ckpt"];
            File.WriteAllBytes(corrupt, broken);
            var e = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(corrupt).Dispose());
            Assert.Contains(corrupt, e.Message);
        }
    }

    [Fact]
    public void A_format_1_file_written_before_checksums_still_loads()
    {
        using var folder = new TemporaryFolder();
        string path = SaveSmall(folder, paperNetwork: true);
        string old = folder["old.ckpt"];
        using (var source = System.IO.Compression.ZipFile.OpenRead(path))
        using (var target = System.IO.Compression.ZipFile.Open(old, System.IO.Compression.ZipArchiveMode.Create))
            CopyRewritingHeader(source, target, json => json.Replace(CheckpointHeader.CurrentFormat, "drlrec-model/1"));

        using var loaded = ModelCheckpoint.Load(old);
        using var current = ModelCheckpoint.Load(path);
        Assert.Equal("drlrec-model/1", loaded.Header.Format);
        AssertSameWeights(current.Online, loaded.Online);
        // Written before context_input existed: the architecture files of that time had, whatever the JSON's default.
        Assert.Equal(ContextInput.FieldAttention, loaded.Header.Model.ContextInput);
        Assert.False(loaded.Online.EncodesOncePerRequest);
        Assert.Equal(ContextInput.ItemVector, current.Header.Model.ContextInput);
        Assert.False(loaded.Header.Model.PrefixMatch || loaded.Header.Model.DenseSkip);
    }

    /// <summary>A format-3 file (before the list features and the dense skip, whose JSON has no such keys) loads as the
    /// paper's network it holds, whatever today's defaults; a current file keeps its settings.</summary>
    [Fact]
    public void A_format_3_file_loads_without_the_list_features_and_the_dense_skip()
    {
        using var folder = new TemporaryFolder();
        string path = SaveSmall(folder, paperNetwork: true);
        string old = folder["format3.ckpt"];
        // Rewritten as a format-3 writer wrote it (checksummed, no list-feature keys in its JSON).
        using (var source = System.IO.Compression.ZipFile.OpenRead(path))
            Drlrec.IO.ChecksummedZip.Write(old, target => CopyRewritingHeader(source, target, text =>
            {
                var json = System.Text.Json.Nodes.JsonNode.Parse(text)!;
                json["format"] = CheckpointHeader.ContextInputFormat;
                json["model"]!.AsObject().Remove("prefix_match");
                json["model"]!.AsObject().Remove("dense_skip");
                return json.ToJsonString();
            }));
        Assert.True(new QNetworkConfig().PrefixMatch && new QNetworkConfig().DenseSkip);             // today's defaults
        using var loaded = ModelCheckpoint.Load(old);
        Assert.False(loaded.Header.Model.PrefixMatch || loaded.Header.Model.DenseSkip);
        Assert.Equal(ContextInput.ItemVector, loaded.Header.Model.ContextInput);
        using var current = ModelCheckpoint.Load(SaveSmall(folder, "current.ckpt"));
        Assert.True(current.Header.Model.PrefixMatch && current.Online.MatchFeatures > 0);
    }

    [Fact]
    public void Save_and_load_keep_the_online_and_the_target_weights_exactly_and_the_header_and_load_in_eval_mode()
    {
        using var folder = new TemporaryFolder();
        var lists = ToyData.Lists(30);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig { MinCount = 2 });
        var config = new QNetworkConfig { EmbeddingDim = 4, HintDim = 8, Dropout = 0.2 };
        manual_seed(9);
        using var online = new QNetwork(config, FieldLayout.Of(lists.Schema), vocabulary.Rows, "online");
        using var target = new QNetwork(config, FieldLayout.Of(lists.Schema), vocabulary.Rows, "target");
        using (no_grad())
        {
            using var one = 1.0.ToScalar(); // held, not a temporary: see Model/Scalars.cs
            foreach (var p in target.parameters()) p.add_(randn_like(p), one); // a target that has drifted from its start
        }
        var header = new CheckpointHeader
        {
            Name = "teacher-test",
            Role = ModelRole.Teacher,
            Model = config,
            Fields = lists.Schema.Fields,
            Vocabulary = vocabulary,
            Parameters = online.ParameterCount,
            Epoch = 4,
            ValidationAuc = 0.6789,
            RunConfig = new RunConfig { Seed = 9 },
        };
        Assert.True(online.training && target.training);

        ModelCheckpoint.Save(folder[ModelCheckpoint.FileName], header, online, target);
        using var loaded = ModelCheckpoint.Load(folder.Path); // a run folder holding model.ckpt

        AssertSameWeights(online, loaded.Online);
        AssertSameWeights(target, loaded.Target);
        Assert.False(loaded.Online.parameters().First().eq(loaded.Target.parameters().First()).all().item<bool>()); // not one network twice
        Assert.False(loaded.Online.training);
        Assert.False(loaded.Target.training);
        var h = loaded.Header;
        Assert.Equal((CheckpointHeader.CurrentFormat, "teacher-test", ModelRole.Teacher, 4, 0.6789), (h.Format, h.Name, h.Role, h.Epoch, h.ValidationAuc));
        Assert.Equal(config, h.Model);
        Assert.Equal(online.ParameterCount, h.Parameters);
        Assert.Equal(lists.Schema.Fields, h.Fields);
        Assert.Equal(vocabulary.Rows, h.Vocabulary.Rows);
        Assert.Equal(vocabulary.Fields.Select(f => (f.Name, f.Group, f.Offset, f.Hashed, string.Join(",", f.Values))),
            h.Vocabulary.Fields.Select(f => (f.Name, f.Group, f.Offset, f.Hashed, string.Join(",", f.Values))));
        Assert.Equal(9, h.RunConfig!.Seed);
        Assert.Equal(FieldLayout.Of(lists.Schema), loaded.Layout);
    }

    [Fact]
    public void The_fingerprint_is_the_sha256_of_the_online_weights_entry_kept_by_a_re_save_and_changed_by_any_weight()
    {
        using var folder = new TemporaryFolder();
        string path = SaveSmall(folder);
        using var first = ModelCheckpoint.Load(path);

        // What a user can check by hand: unzip -p model.ckpt online.weights | sha256sum
        using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
        using (var entry = zip.GetEntry("online.weights")!.Open())
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(entry)), first.Fingerprint);
        Assert.Matches("^[0-9a-f]{64}$", first.Fingerprint);

        // The same weights saved again under another name and epoch: another file, the same model.
        ModelCheckpoint.Save(folder["again.ckpt"], first.Header with { Name = "renamed", Epoch = 9 }, first.Online, first.Target);
        using var again = ModelCheckpoint.Load(folder["again.ckpt"]);
        Assert.NotEqual(File.ReadAllBytes(path), File.ReadAllBytes(folder["again.ckpt"]));
        Assert.Equal(first.Fingerprint, again.Fingerprint);

        // Other weights (the target network; one changed value) are another model.
        Assert.NotEqual(first.Fingerprint, ModelFingerprint.Of(first.Target));
        using (no_grad())
        {
            using var value = 1.5.ToScalar(); // held, not a temporary: see Tensors/Scalars.cs
            again.Online.parameters().First().view(-1)[0].fill_(value);
        }
        Assert.NotEqual(first.Fingerprint, ModelFingerprint.Of(again.Online));
    }
}
