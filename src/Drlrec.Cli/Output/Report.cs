using Spectre.Console;
using Drlrec.Data.Loading;
using Drlrec.Training;

namespace Drlrec.Cli.Output;

/// <summary>Short lines the commands print around their work: what was loaded, what a run produced, what was written.</summary>
public static class Report
{
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
