using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;

namespace Drlrec.Evaluation;

/// <summary>Whether the test lists of an offline evaluation were held out from every model's training.</summary>
/// <param name="HeldOut">True when no test list is among the lists any model (or a student's teacher) trained or chose
/// its epoch on: by construction (the model's own split of its own data) or checked list by list.</param>
/// <param name="OverlapLists">Test lists found among those lists; null when they could not be checked.</param>
/// <param name="How">How that was established, or why it could not be (one line, for reports).</param>
/// <param name="Problem">When not held out: the one-line refusal, naming the splits and what to do.</param>
public sealed record HeldOutResult(bool HeldOut, int? OverlapLists, string How, string? Problem = null);

/// <summary>A model as <see cref="HeldOutCheck"/> sees it: its display name, its file, and the resolved run config it was
/// trained with (null when its checkpoint records none).</summary>
public sealed record ModelOrigin(string Name, string Path, RunConfig? Config)
{
    public static IReadOnlyList<ModelOrigin> Of(IReadOnlyList<LoadedModel> models)
    {
        var names = OfflineEvaluation.DisplayNames(models);
        return models.Select((m, i) => new ModelOrigin(names[i], m.Path, m.Header.RunConfig)).ToList();
    }
}

/// <summary>
/// Refuses evaluations that would score lists a model has seen. Every model's checkpoint records the resolved config it
/// was trained with (data source, separate test file, split mode, fractions, list length, simulator settings), and the
/// split is deterministic (by time, no seed), so the lists a model trained and validated on can be reproduced exactly:
/// <list type="bullet">
/// <item>when the evaluation splits the same data the same way, its test lists are the model's own test part: held out
/// by construction, nothing to read;</item>
/// <item>otherwise the model's data are split as in its training (reusing the evaluation's lists when they are the same
/// source, streaming Parquet data a row group at a time when the model was trained streamed) and each test list is looked
/// up by its <see cref="ListIdentity"/> among the model's training and validation lists (only the test lists' 128-bit
/// identities are kept, so data streamed in training cost no more memory here than there).</item>
/// </list>
/// A distilled student is checked against its teacher's lists too (its targets were fitted on them). What cannot be
/// reproduced (no recorded config, data or teacher not found, lists cut to another length) is not assumed held out.
/// </summary>
public static class HeldOutCheck
{
    /// <param name="evaluated">How the evaluation's lists were read and split.</param>
    /// <param name="all">The lists of <paramref name="evaluated"/>'s source (reused when a model trained on the same source).</param>
    /// <param name="test">The test lists to be scored.</param>
    public static HeldOutResult Run(IReadOnlyList<ModelOrigin> models, DataConfig evaluated, ListDataset all, ListDataset test)
    {
        var testIds = test.Lists.Select(ListIdentity.Of).ToArray();
        var wanted = testIds.ToHashSet();
        var seenByData = new Dictionary<SplitKey, HashSet<UInt128>>();
        var seen = new HashSet<UInt128>();
        var checkedAgainst = new List<string>();
        string? firstOverlap = null;
        var overlapping = new List<string>();
        foreach (var model in models)
        {
            foreach (var source in SourcesOf(model))
            {
                if (source.Data is not { } data)
                    return Unchecked($"cannot check that the test lists were held out from {source.Who}: {source.Missing}");
                var key = SplitKey.Of(data);
                if (key == SplitKey.Of(evaluated)) continue; // its own split of its own data: its test part
                if (data.MaxListLength != evaluated.MaxListLength)
                    return Unchecked($"cannot check that the test lists were held out from {source.Who}: it was trained on lists cut at " +
                                     $"{data.MaxListLength} items and these are cut at {evaluated.MaxListLength}, so its lists do not match " +
                                     "them one for one; evaluate it on its own");
                if (!seenByData.TryGetValue(key, out var found))
                {
                    found = [];
                    try
                    {
                        ForEachTrainingList(data, evaluated, all, list =>
                        {
                            var id = ListIdentity.Of(list);
                            if (wanted.Contains(id)) found.Add(id);
                        });
                    }
                    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                    {
                        return Unchecked($"cannot check that the test lists were held out from {source.Who}: its training data " +
                                         $"{Describe(data)} cannot be read from here ({e.Message})");
                    }
                    seenByData[key] = found;
                }
                checkedAgainst.Add($"{source.Who} ({Describe(data)})");
                int overlap = testIds.Count(found.Contains);
                if (overlap > 0) overlapping.Add(source.Who);
                if (overlap > 0 && firstOverlap is null)
                    firstOverlap = $"{overlap:N0} of {testIds.Length:N0} test lists ({Describe(evaluated)}) were in the training or validation " +
                                   $"part of {source.Who} ({Describe(data)})";
                seen.UnionWith(found);
            }
        }
        int total = testIds.Count(seen.Contains);
        if (total == 0)
            return new HeldOutResult(true, 0, checkedAgainst.Count == 0
                ? "the split of the data each model was trained on"
                : $"no test list is among the training and validation lists of {string.Join(", ", checkedAgainst)}");
        return new HeldOutResult(false, total,
            $"{total:N0} of {testIds.Length:N0} test lists were in the training or validation part of {string.Join(", ", overlapping)}",
            $"{firstOverlap}: their scores would not be held-out scores. Evaluate each model on its own split (no --data, --test " +
            "or --split) or on lists it did not see, or pass --allow-overlap to score them anyway, marked as not held out");
    }

    private static HeldOutResult Unchecked(string why) =>
        new(false, null, why, why + "; pass --allow-overlap to score anyway, marked as not held out");

    /// <summary>Whose lists a model has seen: its own run's data and, for a distilled student, its teacher's (recursively).</summary>
    private sealed record TrainingSource(string Who, DataConfig? Data, string? Missing);

    private static IEnumerable<TrainingSource> SourcesOf(ModelOrigin model)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal) { Path.GetFullPath(model.Path) };
        var runConfig = model.Config;
        string who = $"model '{model.Name}'";
        while (true)
        {
            if (runConfig is not { } config)
            {
                yield return new TrainingSource(who, null, "its checkpoint records no run config, so its training lists are unknown");
                yield break;
            }
            yield return new TrainingSource(who, config.Data, null);
            if (config.Teacher is not { } teacher || !visited.Add(Path.GetFullPath(teacher))) yield break;
            who = $"the teacher of {who} ({teacher})";
            CheckpointHeader? next = null;
            string? missing = null;
            try
            {
                next = ModelCheckpoint.ReadHeader(teacher);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
            {
                missing = $"it cannot be read from here ({e.Message})";
            }
            if (next is null)
            {
                yield return new TrainingSource(who, null, missing);
                yield break;
            }
            runConfig = next.RunConfig;
        }
    }

    /// <summary>Visits the training and validation lists of a run on <paramref name="data"/>, split as in that run: the
    /// evaluation's own lists when they come from the same source, else the run's source read again (streamed when the run
    /// streamed it).</summary>
    private static void ForEachTrainingList(DataConfig data, DataConfig evaluated, ListDataset all, Action<LoggedList> visit)
    {
        if (DataLoader.Streams(data) && !SplitKey.SameLists(data, evaluated))
        {
            StreamingData.ForEachTrainingList(data, visit);
            return;
        }
        var source = SplitKey.SameLists(data, evaluated) ? all : DataLoader.Load(data.Source, data);
        foreach (var list in PreparedData.TrainingPart(source, data).Lists) visit(list);
    }

    /// <summary>"time split of SOURCE", "SOURCE with the separate test file FILE", as a message names a run's data.</summary>
    public static string Describe(DataConfig data)
    {
        var defaults = new DataConfig();
        string split = data.Split == SplitMode.UserTime ? "user-time" : "time";
        string source = DataLoader.IsSynthetic(data.Source) ? $"the simulator's lists (data.synthetic.seed {data.Synthetic.Seed})" : data.Source;
        string fraction = data.TestFraction == defaults.TestFraction ? "" : $", test fraction {data.TestFraction:0.###}";
        return data.Test is { } file ? $"{source} with the separate test file {file}" : $"{split} split of {source}{fraction}";
    }

    /// <summary>What decides which lists a run's split holds out for testing: equal keys, equal test parts (and equal
    /// training and validation parts together). With a separate test file the split mode and fractions only part the
    /// source's lists into training and validation, so they do not count.</summary>
    private sealed record SplitKey(string Source, string? Test, SplitMode Split, double TestFraction, int MaxListLength,
        Simulation.SyntheticConfig? Synthetic)
    {
        public static SplitKey Of(DataConfig data) => new(Where(data.Source), data.Test is { } file ? Where(file) : null,
            data.Test is null ? data.Split : SplitMode.Time, data.Test is null ? data.TestFraction : 0, data.MaxListLength,
            World(data));

        /// <summary>Whether two runs read the same lists from their source (before any split).</summary>
        public static bool SameLists(DataConfig a, DataConfig b) =>
            Where(a.Source) == Where(b.Source) && a.MaxListLength == b.MaxListLength && World(a) == World(b);

        /// <summary>The simulator's settings as the run used them (lists of data.max_list_length items), or null for files.</summary>
        private static Simulation.SyntheticConfig? World(DataConfig data) =>
            DataLoader.IsSynthetic(data.Source) ? data.Synthetic with { ListLength = data.MaxListLength } : null;

        private static string Where(string source) => DataLoader.IsSynthetic(source) ? DataLoader.Synthetic : Path.GetFullPath(source);
    }
}
