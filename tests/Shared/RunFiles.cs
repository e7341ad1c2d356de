using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Drlrec.Testing;

/// <summary>What two runs are compared by when one must repeat the other: weights bit for bit, metrics without timings.</summary>
public static class RunFiles
{
    /// <summary>"entry SHA-256" for every weights entry of the run's model.ckpt (or of the given checkpoint file).</summary>
    public static string[] WeightHashes(string folderOrCheckpoint)
    {
        string path = Directory.Exists(folderOrCheckpoint) ? Path.Combine(folderOrCheckpoint, "model.ckpt") : folderOrCheckpoint;
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Where(e => e.Name.EndsWith(".weights", StringComparison.Ordinal)).OrderBy(e => e.FullName, StringComparer.Ordinal)
            .Select(e =>
            {
                using var stream = e.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                return $"{e.FullName} {Convert.ToHexString(SHA256.HashData(buffer.ToArray()))}";
            }).ToArray();
    }

    /// <summary>metrics.jsonl's lines without the fields that measure time (items per second, seconds).</summary>
    public static string[] MetricsWithoutTimings(string folder) => File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(line =>
    {
        var node = JsonNode.Parse(line)!.AsObject();
        node.Remove("items_per_second");
        node.Remove("seconds");
        return node.ToJsonString();
    }).ToArray();

    /// <summary>How often a tag occurs in a folder's TensorBoard event files (each scalar event carries its tag once).</summary>
    public static int TensorBoardTagCount(string folder, string tag)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(tag);
        int count = 0;
        foreach (string file in Directory.GetFiles(folder, "events.out.tfevents.*"))
        {
            var bytes = File.ReadAllBytes(file).AsSpan();
            for (int at = bytes.IndexOf(needle); at >= 0; at = bytes.IndexOf(needle))
            {
                count++;
                bytes = bytes[(at + needle.Length)..];
            }
        }
        return count;
    }
}
