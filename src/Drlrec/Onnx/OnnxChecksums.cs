using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Drlrec.IO;

namespace Drlrec.Onnx;

/// <summary>
/// Every file of an export carries the SHA-256 of its own bytes (<see cref="EmbeddedSha256"/>), checked whenever drlrec
/// reads it, so that a corrupted copy is refused instead of ranking differently: the fingerprint of the model's weights
/// (<see cref="OnnxBinding"/>) says which checkpoint a graph belongs to, not whether the graph's bytes are the ones the
/// export wrote (a few flipped bytes inside a weight tensor still parse). A graph's checksum is its last metadata entry,
/// <c>drlrec.file_sha256</c>, which the exporter places at the very end of the file; the vocabulary's is its
/// <c>file_sha256</c> key. A file needs nothing beside it, so a copied or renamed export stays checkable.
/// </summary>
public static class OnnxChecksums
{
    /// <summary>The metadata key of a graph's own checksum.</summary>
    public const string GraphKey = "drlrec.file_sha256";

    /// <summary>The JSON key of the vocabulary's own checksum.</summary>
    public const string VocabularyKey = "file_sha256";

    // The bytes that end every checked graph: one more metadata_props entry, key GraphKey, value the 64 digits. Made by
    // serialising that entry alone (a protobuf message may be extended by appending fields), not hand-encoded.
    private static readonly byte[] Tail = new ModelProto
    {
        MetadataProps = { new StringStringEntryProto { Key = GraphKey, Value = EmbeddedSha256.Placeholder } },
    }.ToByteArray();

    /// <summary>The graph file of <paramref name="model"/>, its checksum entry added last and stamped.</summary>
    /// <exception cref="InvalidOperationException">The model already has metadata after which the entry would not end the
    /// file (a writer's mistake).</exception>
    public static byte[] Stamped(ModelProto model)
    {
        model.MetadataProps.Add(new StringStringEntryProto { Key = GraphKey, Value = EmbeddedSha256.Placeholder });
        byte[] file = model.ToByteArray();
        if (!file.AsSpan().EndsWith(Tail))
            throw new InvalidOperationException($"the {GraphKey} entry does not end the serialised graph");
        EmbeddedSha256.Stamp(file, file.Length - EmbeddedSha256.Length);
        return file;
    }

    /// <summary>
    /// The bytes of the graph at <paramref name="path"/>, refused when its checksum entry is there and does not match. A
    /// file without the entry is returned as it is: the graph's format then says what it is (an export of an earlier
    /// drlrec, refused by <see cref="OnnxModelInfo.FromMetadata"/>; or a current export whose end was damaged, refused
    /// there by <see cref="MissingChecksum"/>).
    /// </summary>
    /// <param name="verified">Whether the file carried its checksum (and it matched).</param>
    /// <exception cref="InvalidDataException">The checksum does not match: the file is corrupted.</exception>
    public static byte[] ReadGraph(string path, out bool verified)
    {
        byte[] file = File.ReadAllBytes(path);
        int at = file.Length - EmbeddedSha256.Length;
        // The entry's key and length bytes before the last 64 bytes: the file says it carries its checksum.
        verified = file.Length >= Tail.Length && file.AsSpan(0, at).EndsWith(Tail.AsSpan(0, Tail.Length - EmbeddedSha256.Length));
        if (verified && !EmbeddedSha256.Holds(file, at)) throw Corrupted(path);
        return file;
    }

    /// <summary>The vocabulary file's bytes (JSON with <see cref="VocabularyKey"/> = the placeholder), stamped.</summary>
    public static byte[] StampedJson(byte[] json)
    {
        EmbeddedSha256.Stamp(json, JsonValueAt(json) ?? throw new InvalidOperationException($"no '{VocabularyKey}' in the JSON"));
        return json;
    }

    /// <summary>The vocabulary's bytes, refused when its checksum is there and does not match.</summary>
    /// <param name="verified">Whether the file carried its checksum (and it matched); when not, its format says what it is.</param>
    /// <exception cref="InvalidDataException">The checksum does not match: the file is corrupted.</exception>
    public static byte[] ReadJson(string path, out bool verified)
    {
        byte[] file = File.ReadAllBytes(path);
        int? at = JsonValueAt(file);
        verified = at is not null;
        if (at is { } offset && !EmbeddedSha256.Holds(file, offset)) throw Corrupted(path);
        return file;
    }

    /// <summary>The whole file's SHA-256 in hex, as <c>sha256sum</c> prints it (what the served version shows).</summary>
    public static string FileSha256(byte[] file) => Convert.ToHexStringLower(SHA256.HashData(file));

    /// <summary>A current export whose checksum is missing or damaged (the format says it was written with one).</summary>
    /// <param name="key">Where the checksum should be (<see cref="GraphKey"/>, <see cref="VocabularyKey"/>).</param>
    public static InvalidDataException MissingChecksum(string path, string key) =>
        new($"{path}: corrupted: it is an export of this drlrec's format but its own checksum ({key}) is missing or damaged; " +
            $"export the model again ({ExportHint}) or restore a copy");

    /// <summary>A file exported before files carried their own checksum (still bound to its model).</summary>
    public static InvalidDataException Unchecked(string path, string format) =>
        new($"{path}: exported by an earlier drlrec (format '{format}'), which did not record a checksum of the file's own bytes, so " +
            $"a corrupted copy could not be told from a good one; export it again ({ExportHint})");

    /// <summary>What to add when a file without its checksum cannot be read at all: it may be a damaged export.</summary>
    public static string NoChecksumEither(string key) => $"; it carries no checksum ({key}) either: corrupted, or not a drlrec export";

    private static InvalidDataException Corrupted(string path) =>
        new($"{path}: checksum mismatch, the file is corrupted (its SHA-256 differs from the one the export wrote into it); " +
            $"export the model again ({ExportHint}) or restore a copy");

    private const string ExportHint = "drlrec export --model DIR --format onnx --out FILE";

    /// <summary>Where the 64 digits of the top-level <see cref="VocabularyKey"/> string start, or null when the JSON has no
    /// such string of 64 plain characters (or cannot be read up to it).</summary>
    private static int? JsonValueAt(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth != 1 || reader.TokenType != JsonTokenType.PropertyName) continue;
                bool key = reader.ValueTextEquals(VocabularyKey);
                if (!reader.Read()) return null;
                if (key)
                    return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.Length == EmbeddedSha256.Length
                        ? (int)reader.TokenStartIndex + 1
                        : null;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }
}
