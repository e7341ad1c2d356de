using System.Text.Json;
using Drlrec.IO;

namespace Drlrec.Experiments;

/// <summary>
/// What an earlier, interrupted run of the same experiment already finished in its output folder (<c>--resume</c>):
/// every data set × seed whose models all finished, kept only where that data set's settings, the variants, the sweep and
/// the base config (and, for the simulator, the online settings) are unchanged — so a resumed report never mixes rows trained under different settings.
/// </summary>
public sealed class FinishedRuns
{
    private readonly HashSet<(string Dataset, int Seed)> done;

    private FinishedRuns(List<ExperimentRow> rows, List<BaselineRow> baselines, double seconds)
    {
        Rows = rows;
        Baselines = baselines;
        Seconds = seconds;
        done = rows.Select(r => (r.Dataset, r.Seed)).ToHashSet();
    }

    public static FinishedRuns None { get; } = new([], [], 0);

    /// <summary>Rows to reuse, in the order the earlier run wrote them.</summary>
    public IReadOnlyList<ExperimentRow> Rows { get; }
    public IReadOnlyList<BaselineRow> Baselines { get; }
    /// <summary>Wall time the earlier run spent on the reused seeds' data sets (the whole earlier run).</summary>
    public double Seconds { get; }

    public bool IsDone(string dataset, int seed) => done.Contains((dataset, seed));

    /// <summary>
    /// Reads <c>experiment.json</c> and <c>results.json</c> of <paramref name="folder"/> (both written by every run, the
    /// results after each seed). A folder without them resumes nothing.
    /// </summary>
    public static FinishedRuns Load(ExperimentSpec spec, string folder, int modelsPerSeed)
    {
        string specPath = Path.Combine(folder, "experiment.json"), resultsPath = Path.Combine(folder, "results.json");
        if (!File.Exists(specPath) || !File.Exists(resultsPath)) return None;
        var earlier = Json.ReadFile<ExperimentSpec>(specPath);
        Saved saved;
        try
        {
            saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(resultsPath), Json.Lenient)
                    ?? throw new InvalidDataException($"{resultsPath}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{resultsPath}: {e.Message}", e);
        }

        bool sameGrid = Same(earlier.Variants, spec.Variants) && Same(earlier.Sweep, spec.Sweep) && Same(earlier.Base, spec.Base);
        // Online settings shape only the simulator's rows.
        bool sameOnline = earlier.OnlineRequests == spec.OnlineRequests && earlier.OnlineCandidates == spec.OnlineCandidates;
        var unchanged = sameGrid
            ? spec.Datasets.Where(d => earlier.Datasets.Any(e => Same(e, d)) && (sameOnline || !Data.Loading.DataLoader.IsSynthetic(d.Source)))
                .Select(d => d.Name).ToHashSet()
            : [];
        var complete = saved.Rows.Where(r => unchanged.Contains(r.Dataset) && spec.Seeds.Contains(r.Seed))
            .GroupBy(r => (r.Dataset, r.Seed)).Where(g => g.Count() == modelsPerSeed).Select(g => g.Key).ToHashSet();
        return new FinishedRuns(
            saved.Rows.Where(r => complete.Contains((r.Dataset, r.Seed))).ToList(),
            saved.Baselines.Where(b => complete.Contains((b.Dataset, b.Seed))).ToList(),
            complete.Count > 0 ? saved.Seconds : 0);
    }

    /// <summary>
    /// The finished seeds of several output folders of one experiment (e.g. single-threaded processes run side by side over
    /// disjoint seeds): a data set × seed is taken from the first folder that finished it. The wall time is the longest
    /// of theirs (they ran side by side).
    /// </summary>
    public static FinishedRuns Merge(IReadOnlyList<FinishedRuns> runs)
    {
        var rows = new List<ExperimentRow>();
        var baselines = new List<BaselineRow>();
        var taken = new HashSet<(string, int)>();
        foreach (var run in runs)
        {
            var fresh = run.done.Where(taken.Add).ToHashSet();
            rows.AddRange(run.Rows.Where(r => fresh.Contains((r.Dataset, r.Seed))));
            baselines.AddRange(run.Baselines.Where(b => fresh.Contains((b.Dataset, b.Seed))));
        }
        return new FinishedRuns(rows, baselines, runs.Select(r => r.Seconds).DefaultIfEmpty(0).Max());
    }

    private static bool Same<T>(T a, T b) => Json.Serialize(a) == Json.Serialize(b);

    private sealed record Saved(double Seconds, List<ExperimentRow> Rows, List<BaselineRow> Baselines);
}
