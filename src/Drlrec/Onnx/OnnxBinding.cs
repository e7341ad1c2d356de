using Drlrec.Checkpoints;

namespace Drlrec.Onnx;

/// <summary>
/// Which model an exported file belongs to. Every graph and the vocabulary of an export carry the
/// <see cref="ModelFingerprint"/> of the network they were exported from (<see cref="OnnxModelInfo.ModelSha256"/>,
/// <see cref="OnnxVocabulary.ModelSha256"/>); a file is used only with that model and with files of the same export, so a
/// graph can never rank under another checkpoint's name.
/// </summary>
public static class OnnxBinding
{
    /// <summary>Marks the refusals (<see cref="Exception.Data"/>), so that a caller can add how to pair the files in its own
    /// terms (<see cref="IsRefusal"/>).</summary>
    private const string RefusalKey = "drlrec.onnx.binding";

    /// <summary>Whether <paramref name="e"/> is a refusal of this class: a graph or vocabulary of another model or export,
    /// or one exported before binding.</summary>
    public static bool IsRefusal(Exception e) => e.Data.Contains(RefusalKey);

    private static InvalidDataException Refusal(string message)
    {
        var e = new InvalidDataException(message);
        e.Data[RefusalKey] = true;
        return e;
    }

    /// <summary>What the refusals tell the user to do.</summary>
    private static string ExportHint(string model) => $"drlrec export --model {model} --format onnx --out FILE";

    /// <summary>Refuses a graph that was not exported from <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">The fingerprints differ; the message names both files, models and fingerprints.</exception>
    public static void EnsureBelongsTo(OnnxModelInfo graph, string graphPath, LoadedModel model)
    {
        if (graph.ModelSha256 == model.Fingerprint) return;
        throw Refusal(
            $"{graphPath} does not belong to {model.Path}: the graph was exported from '{graph.Name}' " +
            $"(weights sha256 {ModelFingerprint.Short(graph.ModelSha256)}), the checkpoint holds '{model.Name}' " +
            $"(weights sha256 {ModelFingerprint.Short(model.Fingerprint)}); export this model's graph ({ExportHint(model.Path)}) and pair that file with it");
    }

    /// <summary>Refuses a file written beside a step graph by another export.</summary>
    /// <exception cref="InvalidDataException">The fingerprints differ.</exception>
    public static void EnsureSameExport(string path, string fingerprint, string stepPath, OnnxModelInfo step)
    {
        if (fingerprint == step.ModelSha256) return;
        throw Refusal(
            $"{path} does not belong with {stepPath}: they were exported from different models (weights sha256 " +
            $"{ModelFingerprint.Short(fingerprint)} and {ModelFingerprint.Short(step.ModelSha256)} of '{step.Name}'); export the model " +
            $"again ({ExportHint("DIR")}) so that the files beside each other come from one export");
    }

    /// <summary>Refuses a graph written beside a step graph by another export: another model's, or the same model's at
    /// another precision (an int8 export's graphs over a float32 export's, or the reverse).</summary>
    /// <exception cref="InvalidDataException">The fingerprints or the precisions differ.</exception>
    public static void EnsureSameExport(string path, OnnxModelInfo graph, string stepPath, OnnxModelInfo step)
    {
        EnsureSameExport(path, graph.ModelSha256, stepPath, step);
        if (graph.Precision == step.Precision) return;
        throw Refusal(
            $"{path} does not belong with {stepPath}: they are exports of '{step.Name}' at different precisions " +
            $"({OnnxPrecisions.Name(graph.Precision)} and {OnnxPrecisions.Name(step.Precision)}); export the model again " +
            $"({ExportHint("DIR")} [--quantize int8]) so that the files beside each other come from one export");
    }

    /// <summary>A file exported before files were bound to their model.</summary>
    public static InvalidDataException Unbound(string path, string format) => Refusal(
        $"{path}: exported by an earlier drlrec (format '{format}'), which did not record the model it belongs to, so it " +
        $"could be paired with any checkpoint; export it again ({ExportHint("DIR")})");

    /// <summary>64 lower-case hex digits.</summary>
    public static bool IsFingerprint(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigitLower);
}
