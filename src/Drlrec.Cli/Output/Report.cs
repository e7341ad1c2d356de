using Spectre.Console;
using Drlrec.Data.Loading;
using Drlrec.Training;

namespace Drlrec.Cli.Output;

/// <summary>Short lines the commands print around their work: what was loaded, what a run produced, what was written.</summary>
public static class Report
{
    /// <summary>What a training run reads: in memory (<see cref="PreparedData"/>) or streamed (<see cref="StreamingData"/>).</summary>
    public static void Data(ITrainingData data)
    {
        if (data is PreparedData prepared) Data(prepared);
        else if (data is StreamingData streamed) Streaming(streamed);
    }

    /// <summary>The files, split sizes (and the evaluation samples), fields and embedding rows of streamed data.</summary>
    public static void Streaming(StreamingData data)
    {
        var s = data.Summary;
        string prepared = s.Origin.FromCache
            ? $"prepared in {s.PrepareSeconds:N1} s from the prepared-data cache, both passes skipped (they took {s.PassesSeconds:N1} s), CPU {s.PrepareCpuSeconds:N1} s"
            : $"prepared in {s.PrepareSeconds:N1} s: pass 1 {s.FirstPassSeconds:N1} s, pass 2 {s.SecondPassSeconds:N1} s, CPU {s.PrepareCpuSeconds:N1} s";
        AnsiConsole.MarkupLineInterpolated(
            $"data: [bold]{data.Source}[/] (streamed: {s.Files:N0} files, {s.RowGroups:N0} row groups, {s.Bytes / 1048576.0:N0} MiB; {prepared})  train {s.TrainLists:N0} lists ({s.TrainItems:N0} items), validation {s.ValidationKept:N0} of {s.ValidationLists:N0}, test {s.TestKept:N0} of {s.TestLists:N0}; {data.Schema.Count} fields, {data.Vocabulary.Rows:N0} embedding rows");
        Preparation(s.Origin);
        if (s.Report.RecordsSkipped > 0)
            AnsiConsole.MarkupLineInterpolated($"[yellow]skipped {s.Report.RecordsSkipped} malformed records[/] (first: {s.Report.SkippedExamples.FirstOrDefault()})");
    }

    /// <summary>Where streamed data's preparation came from or went: the cache read, written, or why not.</summary>
    public static void Preparation(PreparationOrigin origin)
    {
        if (origin.FromCache) AnsiConsole.MarkupLineInterpolated($"[grey]prepared data read from {origin.CachePath}[/]");
        else if (origin.Written) AnsiConsole.MarkupLineInterpolated($"[grey]prepared data written to {origin.CachePath} ({origin.Note}); later runs on these files read it[/]");
        else if (origin.Note is not null) AnsiConsole.MarkupLineInterpolated($"[grey]prepared data not cached: {origin.Note}[/]");
    }

    /// <summary>The split sizes, fields and embedding rows of prepared data, and what the reader skipped.</summary>
    public static void Data(PreparedData data)
    {
        var report = data.TrainLists.Report;
        AnsiConsole.MarkupLineInterpolated(
            $"data: [bold]{data.TrainLists.Source}[/]  train {data.Train.Count:N0} lists ({data.Train.ValidItems:N0} items), validation {data.Validation.Count:N0}, test {data.Test.Count:N0}; {data.Schema.Count} fields, {data.Vocabulary.Rows:N0} embedding rows");
        if (report.RecordsSkipped > 0)
            AnsiConsole.MarkupLineInterpolated($"[yellow]skipped {report.RecordsSkipped} malformed records[/] (first: {report.SkippedExamples.FirstOrDefault()})");
    }

    /// <summary>The parameters per part, the best epoch, the test metrics and the run folder.</summary>
    public static void Training(TrainResult result, string folder)
    {
        Tables.Parameters(result);
        AnsiConsole.MarkupLineInterpolated(
            $"{result.Name}: best epoch {result.BestEpoch}, validation AUC {result.Validation.Auc:F4}; test AUC [bold]{result.Test.Auc:F4}[/], GAUC {result.Test.Gauc:F4}, NDCG@10 {result.Test.Ndcg10:F4}; {result.ItemsPerSecond:N0} list items/s");
        AnsiConsole.MarkupLineInterpolated($"wrote {Path.GetFullPath(folder)}");
    }

    /// <summary>A file the command wrote.</summary>
    public static void Wrote(string path) => AnsiConsole.MarkupLineInterpolated($"wrote {path}");
}
