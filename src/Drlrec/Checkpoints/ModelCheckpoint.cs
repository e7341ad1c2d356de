using System.IO.Compression;
using System.Text.Json;
using TorchSharp;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.Model;

namespace Drlrec.Checkpoints;

/// <summary>What a checkpoint says about its model: enough to rebuild and use it.</summary>
public sealed record CheckpointHeader
{
    /// <summary>Format 2 carries a SHA-256 of the file in the zip comment (<see cref="ModelCheckpoint"/>); format 1 files
    /// (without it) still load. Format 3 records <see cref="QNetworkConfig.ContextInput"/>; formats 1 and 2 predate it
    /// and load as <see cref="ContextInput.FieldAttention"/>, the only architecture they could hold. Format 4 records the
    /// list features and the dense skip (<see cref="QNetworkConfig.PrefixMatch"/>, <see cref="QNetworkConfig.DenseSkip"/>); formats 1
    /// to 3 predate them and load without.</summary>
    public const string CurrentFormat = "drlrec-model/4";

    /// <summary>Checksummed, with <see cref="QNetworkConfig.ContextInput"/>, before the list features.</summary>
    public const string ContextInputFormat = "drlrec-model/3";

    /// <summary>Checksummed, before <see cref="QNetworkConfig.ContextInput"/>.</summary>
    public const string FieldAttentionFormat = "drlrec-model/2";

    /// <summary>The format written before checksums: read without verification.</summary>
    public const string UnverifiedFormat = "drlrec-model/1";

    /// <summary>Formats this version reads.</summary>
    public static IReadOnlyList<string> ReadableFormats { get; } = [UnverifiedFormat, FieldAttentionFormat, ContextInputFormat, CurrentFormat];

    /// <summary>The header as this version reads it: older formats get the settings they were written under.</summary>
    public CheckpointHeader Upgraded() => Format switch
    {
        CurrentFormat => this,
        ContextInputFormat => this with { Model = Model with { PrefixMatch = false, DenseSkip = false } },
        _ => this with { Model = Model with { ContextInput = ContextInput.FieldAttention, PrefixMatch = false, DenseSkip = false } },
    };

    public string Format { get; init; } = CurrentFormat;
    /// <summary>A display name (e.g. "teacher", "student-drl-rec").</summary>
    public required string Name { get; init; }
    public required ModelRole Role { get; init; }
    public required QNetworkConfig Model { get; init; }
    public required IReadOnlyList<FieldSpec> Fields { get; init; }
    public required FeatureVocabulary Vocabulary { get; init; }
    public required long Parameters { get; init; }
    /// <summary>Epoch whose weights these are, and its validation AUC.</summary>
    public int Epoch { get; init; }
    public double ValidationAuc { get; init; }
    /// <summary>The resolved run config that produced the model (null for models made otherwise). Read leniently, like
    /// the whole header, so that a checkpoint stays loadable when later versions add settings.</summary>
    public RunConfig? RunConfig { get; init; }

    /// <summary>The header of a trained network: its run's resolved config, data schema and vocabulary, and the epoch
    /// whose weights the file holds.</summary>
    public static CheckpointHeader Of(RunConfig config, ListSchema schema, FeatureVocabulary vocabulary, string name,
        QNetwork online, int epoch, double validationAuc) => new()
    {
        Name = name,
        Role = config.Role,
        Model = online.Config,
        Fields = schema.Fields,
        Vocabulary = vocabulary,
        Parameters = online.ParameterCount,
        Epoch = epoch,
        ValidationAuc = validationAuc,
        RunConfig = config,
    };
}

/// <summary>A loaded model: online and target networks plus what is needed to feed them.</summary>
public sealed class LoadedModel : IDisposable
{
    public LoadedModel(CheckpointHeader header, QNetwork online, QNetwork target, string path, long bytes)
    {
        Header = header;
        Online = online;
        Target = target;
        Path = path;
        Bytes = bytes;
        Schema = new ListSchema(header.Fields);
        Layout = FieldLayout.Of(header.Vocabulary);
    }

    public CheckpointHeader Header { get; }
    public QNetwork Online { get; }
    public QNetwork Target { get; }
    public string Path { get; }
    /// <summary>Size of the checkpoint file.</summary>
    public long Bytes { get; }
    public ListSchema Schema { get; }
    public FieldLayout Layout { get; }
    public FeatureVocabulary Vocabulary => Header.Vocabulary;
    public string Name => Header.Name;

    /// <summary>The <see cref="ModelFingerprint"/> of the online network (computed on first use).</summary>
    public string Fingerprint => fingerprint ??= ModelFingerprint.Of(Online);
    private string? fingerprint;

    /// <summary>The data settings the model was trained with (source, split fractions, list length, simulator);
    /// the defaults for a model made otherwise.</summary>
    public DataConfig TrainingData => Header.RunConfig?.Data ?? new DataConfig();

    public void Dispose()
    {
        Online.Dispose();
        Target.Dispose();
    }
}

/// <summary>
/// A model file (<c>model.ckpt</c>): a <see cref="CheckpointZip"/> holding <c>model.json</c> (<see cref="CheckpointHeader"/>)
/// and the online and target weights in TorchSharp's format, checksummed and written atomically. Format-1 files (before
/// checksums) load without verification.
/// </summary>
public static class ModelCheckpoint
{
    public const string FileName = "model.ckpt";

    public static void Save(string path, CheckpointHeader header, QNetwork online, QNetwork target) =>
        ChecksummedZip.Write(path, zip =>
        {
            ChecksummedZip.WriteJson(zip, "model.json", header with { Format = CheckpointHeader.CurrentFormat });
            CheckpointZip.WriteModule(zip, "online.weights", online);
            CheckpointZip.WriteModule(zip, "target.weights", target);
        });

    /// <summary>Loads <paramref name="pathOrFolder"/>: a model file, or a run folder holding <see cref="FileName"/>.</summary>
    public static LoadedModel Load(string pathOrFolder) => Open(pathOrFolder, (path, zip, header) =>
    {
        var online = Build(header, "online");
        var target = Build(header, "target");
        CheckpointZip.ReadModule(zip, path, "online.weights", online);
        CheckpointZip.ReadModule(zip, path, "target.weights", target);
        online.eval();
        target.eval();
        return new LoadedModel(header, online, target, path, new FileInfo(path).Length);
    });

    /// <summary>The header of <paramref name="pathOrFolder"/> (checked as <see cref="Load"/> checks it), without building
    /// the networks: what a model was trained on, for example.</summary>
    public static CheckpointHeader ReadHeader(string pathOrFolder) => Open(pathOrFolder, (_, _, header) => header);

    /// <summary>Finds, reads and verifies a model file, then <paramref name="read"/>s it: (path, zip, upgraded header).</summary>
    private static T Open<T>(string pathOrFolder, Func<string, ZipArchive, CheckpointHeader, T> read)
    {
        string path = Directory.Exists(pathOrFolder) ? System.IO.Path.Combine(pathOrFolder, FileName) : pathOrFolder;
        if (!File.Exists(path))
            throw new FileNotFoundException($"no model at {pathOrFolder} (expected a run folder with {FileName}, or the file itself)");
        try
        {
            var file = File.ReadAllBytes(path);
            using var zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            var header = ChecksummedZip.ReadJson<CheckpointHeader>(zip, path, "model.json");
            if (!CheckpointHeader.ReadableFormats.Contains(header.Format))
                throw new InvalidDataException($"{path}: format '{header.Format}', expected one of {string.Join(", ", CheckpointHeader.ReadableFormats)}");
            if (header.Format != CheckpointHeader.UnverifiedFormat) ChecksummedZip.Verify(path, file);
            return read(path, zip, header.Upgraded());
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a drlrec model file, or a corrupted one ({e.Message})", e);
        }
    }

    public static QNetwork Build(CheckpointHeader header, string name) =>
        new(header.Model, FieldLayout.Of(header.Vocabulary), header.Vocabulary.Rows, name);

    /// <summary>
    /// A new network (in eval mode) with the weights of <paramref name="model"/>'s online network, for a serving worker
    /// that must not share a module with another thread. The caller owns it.
    /// </summary>
    public static QNetwork CopyOnline(LoadedModel model) => Copy(model, model.Online, "online");

    /// <summary>A new network (in eval mode) with the weights of <paramref name="model"/>'s target network. The caller owns it.</summary>
    public static QNetwork CopyTarget(LoadedModel model) => Copy(model, model.Target, "target");

    private static QNetwork Copy(LoadedModel model, QNetwork network, string name)
    {
        var copy = Build(model.Header, name);
        try
        {
            using var buffer = ChecksummedZip.Binary(writer => network.save(writer));
            using (var reader = new BinaryReader(buffer)) copy.load(reader);
            copy.eval();
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
