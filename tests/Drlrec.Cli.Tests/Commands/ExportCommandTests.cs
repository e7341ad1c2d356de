using Spectre.Console;
using Drlrec.Checkpoints;
using Drlrec.Cli.Tests.Support;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Onnx;
using Drlrec.Ranking;
using Drlrec.Testing;


namespace Drlrec.Cli.Tests.Commands;

[Collection(ConsoleCollection.Name)]
public sealed class ExportCommandTests : IDisposable
{
    private readonly TemporaryFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static CliResult Run(params string[] args) => CliRunner.Run(args);

    /// <summary>A run folder holding an untrained toy student (three fields).</summary>
    private string SaveModel()
    {
        var schema = new ListSchema([new FieldSpec("user", FieldGroup.User), new FieldSpec("item", FieldGroup.Item), new FieldSpec("position", FieldGroup.Context)]);
        var lists = Enumerable.Range(0, 4).Select(l => new LoggedList($"l{l}", $"u{l}", l,
            Enumerable.Range(0, 3).Select(t => new LoggedItem($"i{l + t}", [[$"u{l}"], [$"i{l + t}"], [$"{t + 1}"]], t % 2)).ToList())).ToList();
        var vocabulary = FeatureVocabulary.Fit(new ListDataset(schema, lists, "toy"), new FeatureConfig());
        var config = new QNetworkConfig { EmbeddingDim = 4 };
        using var network = new QNetwork(config, FieldLayout.Of(schema), vocabulary.Rows);
        var header = new CheckpointHeader
        {
            Name = "toy-student", Role = ModelRole.Student, Model = config, Fields = schema.Fields, Vocabulary = vocabulary,
            Parameters = network.ParameterCount,
        };
        ModelCheckpoint.Save(temp["run/" + ModelCheckpoint.FileName], header, network, network);
        return temp["run"];
    }

    [Fact]
    public void Export_onnx_writes_the_graphs_and_vocabulary_and_prints_file_size_and_opset()
    {
        string model = SaveModel(), target = temp["out/student.onnx"];

        var (code, output) = Run("export", "--model", model, "--format", "onnx", "--out", target);

        Assert.Equal(0, code);
        Assert.Contains($"wrote {target} (", output);
        Assert.Contains("KB, opset 17, fp32, step graph of 'toy-student')", output);
        Assert.Contains($"wrote {temp["out/student.list.onnx"]}", output);
        Assert.Contains($"wrote {temp["out/student.encode.onnx"]} and {temp["out/student.cached.onnx"]} (serving split", output);
        Assert.Contains($"wrote {temp["out/student.slate.onnx"]} (slate graph", output);
        Assert.Equal(["student.cached.onnx", "student.encode.onnx", "student.list.onnx", "student.onnx", "student.slate.onnx", "student.vocabulary.json"],
            Directory.GetFiles(temp["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var ranker = OnnxServing.LoadRanker(target);
        using var scorer = ranker.Scorer;
        var slate = ranker.Rank(new SlateRequest(new Dictionary<string, string[]> { ["user"] = ["u1"] }, new Dictionary<string, string[]>(),
            [new Dictionary<string, string[]> { ["item"] = ["i1"] }, new Dictionary<string, string[]> { ["item"] = ["new"] }], 2));
        Assert.Equal([0, 1], slate.Order.Order());
    }

    [Fact]
    public void Export_quantize_int8_writes_int8_graphs_that_serve_the_same_request()
    {
        string model = SaveModel(), fp32 = temp["fp32/student.onnx"], int8 = temp["int8/student.onnx"];
        Assert.Equal(0, Run("export", "--model", model, "--out", fp32).Code);

        var (code, output) = Run("export", "--model", model, "--out", int8, "--quantize", "int8");

        Assert.Equal(0, code);
        Assert.Contains("KB, opset 17, int8, step graph of 'toy-student')", output);
        Assert.True(new FileInfo(temp["int8/student.cached.onnx"]).Length < new FileInfo(temp["fp32/student.cached.onnx"]).Length);
        var request = new SlateRequest(new Dictionary<string, string[]> { ["user"] = ["u1"] }, new Dictionary<string, string[]>(),
            [new Dictionary<string, string[]> { ["item"] = ["i1"] }, new Dictionary<string, string[]> { ["item"] = ["i2"] }], 2);
        var byFp32 = OnnxServing.LoadRanker(fp32);
        var byInt8 = OnnxServing.LoadRanker(int8);
        using (byFp32.Scorer)
        using (byInt8.Scorer)
        {
            Assert.Equal(OnnxPrecision.Int8, ((OnnxStepScorer)byInt8.Scorer).Info.Precision);
            var (a, b) = (byFp32.Rank(request), byInt8.Rank(request));
            Assert.Equal(2, b.Order.Length);
            Assert.Equal(a.Q.Max(), b.Q.Max(), 0.05f);
        }
        Assert.NotEqual(0, Run("export", "--model", model, "--out", temp["bad/student.onnx"], "--quantize", "int4").Code);
    }

    [Fact]
    public void An_unsupported_format_exits_1_with_a_message_and_writes_nothing()
    {
        string model = SaveModel();

        var (code, _, errors) = Run("export", "--model", model, "--format", "torchscript", "--out", temp["out/model.pt"]);

        Assert.Equal(1, code);
        Assert.Contains("error: --format 'torchscript' is not supported (supported: onnx)", errors);
        Assert.False(Directory.Exists(temp["out"]));
    }

    [Fact]
    public void A_missing_model_exits_1_with_a_message()
    {
        var (code, _, errors) = Run("export", "--model", temp["nothing"], "--out", temp["model.onnx"]);

        Assert.Equal(1, code);
        Assert.Contains("error: no model at", errors);
    }

    [Fact]
    public void Help_shows_the_default_format()
    {
        var writer = new StringWriter();
        int code = DrlrecCli.BuildRoot().Parse(["export", "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = writer });

        Assert.Equal(0, code);
        Assert.Contains("[default: onnx]", writer.ToString());
        Assert.Contains("--out <out> (REQUIRED)", writer.ToString());
        // Every file an export writes is named (the serving split is what requests run on).
        foreach (string file in new[] { "NAME.list.onnx", "NAME.vocabulary.json", "NAME.encode.onnx", "NAME.cached.onnx" })
            Assert.Contains(file, writer.ToString());
    }
}
