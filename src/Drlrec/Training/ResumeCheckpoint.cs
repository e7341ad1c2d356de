using System.IO.Compression;
using Drlrec.Checkpoints;
using Drlrec.Evaluation;
using Drlrec.IO;
using Drlrec.Learning;

namespace Drlrec.Training;

/// <summary>How far a fit got: every finished epoch's record and the best epoch's validation metrics.</summary>
public sealed record FitProgress(IReadOnlyList<EpochRecord> Epochs, OfflineMetrics? BestValidation)
{
    public static FitProgress Start { get; } = new([], null);
}

/// <summary>
/// <c>resume.ckpt</c>: what a killed run needs to continue after its last finished epoch — the learner's state and the
/// fit's progress (early-stopping state included). Written after every epoch, checksummed and atomically like
/// <c>model.ckpt</c>. Random streams need no saving: each epoch's shuffling, dropout and exploration draw from
/// generators seeded from (run seed, epoch) and (run seed, step) (<see cref="SeedStreams"/>), so a resumed run repeats
/// an uninterrupted one bit for bit on the same CPU with the same thread count.
/// </summary>
public static class ResumeCheckpoint
{
    public const string FileName = "resume.ckpt";
    private const string ProgressEntry = "progress.json";

    /// <summary>The resume checkpoint of a run folder.</summary>
    public static string In(string folder) => Path.Combine(folder, FileName);

    public static void Save(string path, FitProgress progress, IResumableLearner learner) =>
        ChecksummedZip.Write(path, zip =>
        {
            ChecksummedZip.WriteJson(zip, ProgressEntry, progress);
            learner.SaveState(zip);
        });

    /// <summary>Restores <paramref name="learner"/> from <paramref name="path"/> and returns the fit's progress.</summary>
    public static FitProgress Restore(string path, IResumableLearner learner)
    {
        string folder = Path.GetDirectoryName(path)!;
        if (!File.Exists(path))
            throw new FileNotFoundException(File.Exists(Path.Combine(folder, "result.json"))
                ? $"nothing to resume in {folder}: the run finished (result.json is there)"
                : $"nothing to resume in {folder}: no {FileName} (the run ended before its first epoch finished, or this is not a run folder); start the run again");
        var file = File.ReadAllBytes(path);
        ChecksummedZip.Verify(path, file);
        using var zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        var progress = ChecksummedZip.ReadJson<FitProgress>(zip, path, ProgressEntry);
        learner.RestoreState(zip, path);
        return progress;
    }
}

/// <summary>Seeds derived from a run's seed, one per use, so that no generator's state has to be saved to resume.</summary>
public static class SeedStreams
{
    /// <summary>A seed for stream <paramref name="stream"/> and index <paramref name="index"/> of run seed <paramref name="seed"/> (SplitMix64 finaliser).</summary>
    public static int Derive(int seed, int stream, long index)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)stream << 48 ^ (ulong)index;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    /// <summary>The streams (minibatch order, libtorch's generator for dropout, the explorer's draws).</summary>
    public const int Shuffle = 1, Torch = 2, Explore = 3;
}
