using System.Text.Json;
using System.Text.Json.Serialization;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.Model;

namespace Drlrec.Onnx;

/// <summary>
/// The part of a drlrec checkpoint that an ONNX export needs to serve raw field values: the ordered fields and the
/// value → embedding-row vocabulary (the graphs take rows). Written beside the step graph as <c>NAME.vocabulary.json</c>.
/// </summary>
public sealed record OnnxVocabulary(IReadOnlyList<FieldSpec> Fields, FeatureVocabulary Vocabulary)
{
    /// <summary>Format 2 records <see cref="ModelSha256"/>; format 1 files are refused (<see cref="OnnxBinding.Unbound"/>).</summary>
    public const string CurrentFormat = "drlrec-onnx-vocabulary/2";
    public const string UnboundFormat = "drlrec-onnx-vocabulary/1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>The <see cref="Checkpoints.ModelFingerprint"/> of the model exported with it (set by the exporter): the
    /// vocabulary is used only with graphs of that model.</summary>
    public string ModelSha256 { get; init; } = "";

    [JsonIgnore] public ListSchema Schema => new(Fields);

    /// <exception cref="ArgumentException">The fields or embedding rows differ from the network's.</exception>
    public void EnsureFits(QNetwork network)
    {
        if (Fields.Count != network.FieldCount || Vocabulary.Fields.Count != network.FieldCount)
            throw new ArgumentException($"the vocabulary has {Fields.Count} fields ({Vocabulary.Fields.Count} in its table) but the network {network.FieldCount}");
        if (Vocabulary.Rows != network.EmbeddingRows)
            throw new ArgumentException($"the vocabulary has {Vocabulary.Rows} embedding rows but the network {network.EmbeddingRows}");
    }

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json.Options);

    /// <exception cref="FileNotFoundException">No vocabulary file.</exception>
    /// <exception cref="InvalidDataException">Not a drlrec ONNX vocabulary, or another format version.</exception>
    public static OnnxVocabulary Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"no vocabulary at {path}: serving an ONNX export needs the vocabulary that " +
                                            "'drlrec export' writes beside the .onnx file (or the model's checkpoint)", path);
        var vocabulary = Json.ReadFile<OnnxVocabulary>(path);
        if (vocabulary.Format == UnboundFormat) throw OnnxBinding.Unbound(path, vocabulary.Format);
        if (vocabulary.Format != CurrentFormat)
            throw new InvalidDataException($"{path}: format '{vocabulary.Format}', expected '{CurrentFormat}'");
        if (!OnnxBinding.IsFingerprint(vocabulary.ModelSha256))
            throw new InvalidDataException($"{path}: model_sha256 '{vocabulary.ModelSha256}' is not a SHA-256 (64 hex digits)");
        return vocabulary;
    }
}
