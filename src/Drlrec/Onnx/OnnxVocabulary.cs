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
    /// <summary>Format 3 records <see cref="FileSha256"/>, format 2 only <see cref="ModelSha256"/>, format 1 neither; files of
    /// formats 1 and 2 are refused (<see cref="OnnxBinding.Unbound"/>, <see cref="OnnxChecksums.Unchecked"/>).</summary>
    public const string CurrentFormat = "drlrec-onnx-vocabulary/3";
    public const string UncheckedFormat = "drlrec-onnx-vocabulary/2";
    public const string UnboundFormat = "drlrec-onnx-vocabulary/1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>The <see cref="Checkpoints.ModelFingerprint"/> of the model exported with it (set by the exporter): the
    /// vocabulary is used only with graphs of that model.</summary>
    public string ModelSha256 { get; init; } = "";

    /// <summary>The SHA-256 of the file's own bytes with these 64 digits read as '0' (set by the exporter,
    /// <see cref="OnnxChecksums"/>): a vocabulary whose bytes changed after export is refused. Written first, so that a
    /// reader finds it before anything a damaged byte could make unreadable.</summary>
    [JsonPropertyOrder(-1)]
    public string FileSha256 { get; init; } = "";

    [JsonIgnore] public ListSchema Schema => new(Fields);

    /// <exception cref="ArgumentException">The fields or embedding rows differ from the network's.</exception>
    public void EnsureFits(QNetwork network)
    {
        if (Fields.Count != network.FieldCount || Vocabulary.Fields.Count != network.FieldCount)
            throw new ArgumentException($"the vocabulary has {Fields.Count} fields ({Vocabulary.Fields.Count} in its table) but the network {network.FieldCount}");
        if (Vocabulary.Rows != network.EmbeddingRows)
            throw new ArgumentException($"the vocabulary has {Vocabulary.Rows} embedding rows but the network {network.EmbeddingRows}");
    }

    /// <summary>The file's bytes, carrying their own checksum (<see cref="FileSha256"/>).</summary>
    public byte[] ToJsonBytes() =>
        OnnxChecksums.StampedJson(JsonSerializer.SerializeToUtf8Bytes(this with { FileSha256 = EmbeddedSha256.Placeholder }, Json.Options));

    /// <exception cref="FileNotFoundException">No vocabulary file.</exception>
    /// <exception cref="InvalidDataException">Corrupted (its own checksum does not match), not a drlrec ONNX vocabulary, or
    /// another format version.</exception>
    public static OnnxVocabulary Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"no vocabulary at {path}: serving an ONNX export needs the vocabulary that " +
                                            "'drlrec export' writes beside the .onnx file (or the model's checkpoint)", path);
        byte[] bytes = OnnxChecksums.ReadJson(path, out bool verified);
        OnnxVocabulary vocabulary;
        try
        {
            vocabulary = Json.Parse<OnnxVocabulary>(System.Text.Encoding.UTF8.GetString(bytes), path);
        }
        catch (InvalidDataException e) when (!verified)
        {
            throw new InvalidDataException(e.Message + OnnxChecksums.NoChecksumEither(OnnxChecksums.VocabularyKey), e);
        }
        if (vocabulary.Format == UnboundFormat) throw OnnxBinding.Unbound(path, vocabulary.Format);
        if (vocabulary.Format == UncheckedFormat) throw OnnxChecksums.Unchecked(path, vocabulary.Format);
        if (vocabulary.Format != CurrentFormat)
            throw new InvalidDataException($"{path}: format '{vocabulary.Format}', expected '{CurrentFormat}'");
        if (!verified) throw OnnxChecksums.MissingChecksum(path, OnnxChecksums.VocabularyKey);
        if (!OnnxBinding.IsFingerprint(vocabulary.ModelSha256))
            throw new InvalidDataException($"{path}: model_sha256 '{vocabulary.ModelSha256}' is not a SHA-256 (64 hex digits)");
        return vocabulary;
    }
}
