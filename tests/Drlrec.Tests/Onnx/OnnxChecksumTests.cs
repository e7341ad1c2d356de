using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Drlrec.Checkpoints;
using Drlrec.Onnx;
using Drlrec.Testing;

namespace Drlrec.Tests.Onnx;

/// <summary>
/// Every file of an export carries the SHA-256 of its own bytes, and every loader refuses a file whose bytes changed
/// (issue 28: 16 bytes XORed at 90% of a copied slate graph were served and ranked 10 of 20 slates differently).
/// </summary>
public sealed class OnnxChecksumTests(OnnxTestModel toy) : IClassFixture<OnnxTestModel>, IDisposable
{
    private readonly TemporaryFolder folder = new();
    private readonly LoadedModel model = toy.Checkpoint;

    public void Dispose() => folder.Dispose();

    /// <summary>The files of an export, by the name the tests use.</summary>
    private static IReadOnlyDictionary<string, string> Files(OnnxExport export) => new Dictionary<string, string>
    {
        ["step"] = export.Path, ["list"] = export.ListPath, ["encode"] = export.EncodePath!, ["cached"] = export.CachedStepPath!,
        ["slate"] = export.SlatePath!, ["vocabulary"] = export.VocabularyPath!,
    };

    /// <summary>The scheme as documented, computed independently of the code that writes and checks it: a graph's last 64
    /// bytes are its metadata entry drlrec.file_sha256, the SHA-256 of the file with those 64 bytes as '0'; the vocabulary's
    /// file_sha256 is the SHA-256 of the file with its value as '0'.</summary>
    [Theory]
    [InlineData(OnnxPrecision.Float32)]
    [InlineData(OnnxPrecision.Int8)]
    public void Every_exported_file_carries_the_sha256_of_its_own_bytes(OnnxPrecision precision)
    {
        var export = OnnxExporter.Export(model, folder["model.onnx"], precision);
        string zeros = new('0', 64);

        foreach (var (kind, path) in Files(export))
        {
            byte[] bytes = File.ReadAllBytes(path);
            string stored;
            byte[] blanked;
            if (kind == "vocabulary")
            {
                stored = JsonNode.Parse(bytes)!["file_sha256"]!.GetValue<string>();
                string text = Encoding.UTF8.GetString(bytes);
                Assert.Equal(text.IndexOf(stored, StringComparison.Ordinal), text.LastIndexOf(stored, StringComparison.Ordinal));
                blanked = Encoding.UTF8.GetBytes(text.Replace(stored, zeros));
            }
            else
            {
                stored = global::Onnx.ModelProto.Parser.ParseFrom(bytes).MetadataProps.Single(p => p.Key == "drlrec.file_sha256").Value;
                Assert.Equal(stored, Encoding.ASCII.GetString(bytes, bytes.Length - 64, 64));
                blanked = [.. bytes[..^64], .. Encoding.ASCII.GetBytes(zeros)];
            }
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(blanked)), stored);
        }
    }

    public static TheoryData<OnnxPrecision, string, string> Damages()
    {
        var cases = new TheoryData<OnnxPrecision, string, string>();
        foreach (var precision in new[] { OnnxPrecision.Float32, OnnxPrecision.Int8 })
            foreach (string kind in new[] { "step", "list", "encode", "cached", "slate", "vocabulary" })
                foreach (string where in new[] { "start", "10%", "50%", "90%", "checksum", "before checksum" })
                    cases.Add(precision, kind, where);
        return cases;
    }

    /// <summary>16 bytes XORed anywhere in any file of a copied (renamed) export: the loader that reads that file refuses
    /// it, naming it, while the intact copy opens. The loaders are the ones every command goes through: OnnxServing.OpenFor
    /// (serve, /admin/reload, rank, bench, evaluate: step, encode, cached step and slate graphs), OpenListFor (bench: the list
    /// graph) and LoadRanker (an export served alone: the vocabulary).</summary>
    [Theory]
    [MemberData(nameof(Damages))]
    public void A_few_flipped_bytes_anywhere_in_any_file_are_refused_by_the_loader_that_reads_it(OnnxPrecision precision, string kind, string where)
    {
        var export = OnnxExporter.Export(model, folder["s8/s8.onnx"], precision);
        var copies = Files(export).ToDictionary(f => f.Key, f => Path.Combine(folder["x"], Path.GetFileName(f.Value).Replace("s8.", "x.")));
        Directory.CreateDirectory(folder["x"]);
        foreach (var (name, path) in Files(export)) File.Copy(path, copies[name]);
        string step = copies["step"];
        Action open = kind switch
        {
            "list" => () => OnnxServing.OpenListFor(model, copies["list"]).Dispose(),
            "vocabulary" => () => OnnxServing.LoadRanker(step).Scorer.Dispose(),
            _ => () => OnnxServing.OpenFor(model, step).Dispose(),
        };
        open(); // the intact copy, under another name, is accepted

        string damaged = copies[kind];
        byte[] bytes = File.ReadAllBytes(damaged);
        int at = where switch
        {
            "start" => 0,
            "checksum" => bytes.Length - 16,
            "before checksum" => bytes.Length - 64 - 12,
            _ => (int)(bytes.Length * double.Parse(where.TrimEnd('%')) / 100),
        };
        for (int i = at; i < at + 16; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(damaged, bytes);

        var error = Assert.Throws<InvalidDataException>(open);
        Assert.StartsWith(damaged + ":", error.Message);
        Assert.Contains("corrupted", error.Message);
    }

    /// <summary>A graph or vocabulary of the previous format (bound to its model, without a checksum of its own) is refused
    /// with a message to export again: nothing in it could tell a corrupted copy from a good one.</summary>
    [Fact]
    public void A_file_exported_before_files_carried_their_checksum_is_refused_with_a_message_to_export_again()
    {
        var export = OnnxExporter.Export(model, folder["model.onnx"]);
        var step = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.Path));
        step.MetadataProps.Remove(step.MetadataProps.Single(p => p.Key == "drlrec.file_sha256"));
        step.MetadataProps.Single(p => p.Key == "drlrec.format").Value = "drlrec-onnx/2";
        File.WriteAllBytes(export.Path, Google.Protobuf.MessageExtensions.ToByteArray(step));
        var words = JsonNode.Parse(File.ReadAllText(export.VocabularyPath!))!.AsObject();
        words.Remove("file_sha256");
        words["format"] = "drlrec-onnx-vocabulary/2";
        File.WriteAllText(export.VocabularyPath!, words.ToJsonString());

        foreach (var (file, open) in new (string, Action)[]
                 {
                     (export.Path, () => OnnxServing.OpenFor(model, export.Path).Dispose()),
                     (export.VocabularyPath!, () => OnnxVocabulary.Read(export.VocabularyPath!)),
                 })
        {
            var error = Assert.Throws<InvalidDataException>(open);
            Assert.Equal($"{file}: exported by an earlier drlrec (format '{(file == export.Path ? "drlrec-onnx/2" : "drlrec-onnx-vocabulary/2")}'), " +
                         "which did not record a checksum of the file's own bytes, so a corrupted copy could not be told from a good one; " +
                         "export it again (drlrec export --model DIR --format onnx --out FILE)", error.Message);
        }
    }

    /// <summary>A current-format graph whose checksum entry was removed (not just damaged) is refused too: every file of
    /// this format is written with one.</summary>
    [Fact]
    public void A_current_graph_without_its_checksum_is_refused_as_corrupted()
    {
        var export = OnnxExporter.Export(model, folder["model.onnx"]);
        var slate = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(export.SlatePath!));
        slate.MetadataProps.Remove(slate.MetadataProps.Single(p => p.Key == "drlrec.file_sha256"));
        File.WriteAllBytes(export.SlatePath!, Google.Protobuf.MessageExtensions.ToByteArray(slate));

        var error = Assert.Throws<InvalidDataException>(() => OnnxServing.OpenFor(model, export.Path));

        Assert.StartsWith($"{export.SlatePath}: corrupted: it is an export of this drlrec's format but its own checksum (drlrec.file_sha256) is missing", error.Message);
    }
}
