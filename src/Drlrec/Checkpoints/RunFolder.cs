using System.Text.Json;
using Drlrec.IO;

namespace Drlrec.Checkpoints;

/// <summary>
/// The folder of one run: <c>config.json</c> (resolved), <c>metrics.jsonl</c> (one line per epoch),
/// <c>model.ckpt</c>, <c>training-curves.png</c> and result files. Every file is written atomically.
/// </summary>
public sealed class RunFolder
{
    private readonly List<string> metricLines = [];

    /// <param name="create">Create the folder if it is missing (off for the ranks of a data-parallel run that write nothing).</param>
    public RunFolder(string path, bool create = true)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (create) Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string Checkpoint => File(ModelCheckpoint.FileName);
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void WriteJson<T>(string name, T value) => Json.WriteFile(File(name), value);

    /// <summary>Starts <c>metrics.jsonl</c> over with a resumed run's records (rewritten at its next epoch).</summary>
    public void RestoreMetrics<T>(IEnumerable<T> records)
    {
        metricLines.Clear();
        metricLines.AddRange(records.Select(r => JsonSerializer.Serialize(r, Json.Line)));
    }

    /// <summary>Deletes the temp files of writers that were killed mid-write (<see cref="AtomicFile.TempPathFor"/>, whose
    /// process is gone); returns how many.</summary>
    public int RemoveStaleTempFiles() => AtomicFile.RemoveStale(Path);

    /// <summary>Adds one record to <c>metrics.jsonl</c> (the file is rewritten whole, so it never ends in a torn line).</summary>
    public void AppendMetrics<T>(T record)
    {
        metricLines.Add(JsonSerializer.Serialize(record, Json.Line));
        AtomicFile.WriteAllText(File("metrics.jsonl"), string.Join("\n", metricLines) + "\n");
    }
}
