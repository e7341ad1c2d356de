using System.CommandLine;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.IO;

namespace Drlrec.Cli.Commands;

/// <summary>
/// <c>drlrec data prepare --data DIR</c>: makes the two preparation passes of streamed Parquet data once and keeps their
/// results in the prepared-data cache, so that <c>train</c> and <c>distill</c> (and every rank of an MPI run) with the same
/// data settings read them instead.
/// </summary>
public static class DataPrepareCommand
{
    public static Command Create()
    {
        var source = new DataSourceOptions();
        source.Data.DefaultValueFactory = null;
        source.Data.Required = true;
        source.Data.Description = "Parquet data to prepare: a .parquet file, a folder of .parquet parts, or a pattern such as DIR/part-*.parquet";
        var config = new Option<FileInfo?>("--config")
        {
            Description = "JSON run config whose data and features settings the runs will use (split, fractions, max_eval_lists, " +
                          "explorer_lists, min_count, hash_buckets, item_statistics, ...): they are part of the cache's key",
        };
        var cache = new RunOptions().PreparedCache;
        var command = new Command("prepare", "Prepare streamed Parquet data once (time split, user history, item statistics, vocabulary, " +
                                             "held-out samples, the explorer's catalog and sample) and keep the result for later runs: " +
                                             "train and distill with the same data settings then skip both preparation passes. A file that " +
                                             "changes (size or modification time) makes the next run prepare again.");
        foreach (var option in new Option[] { source.Data, source.Split, source.SkipBadRecords, config, cache }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var run = new RunConfig();
            if (parse.GetValue(config) is { } file) run = Json.Overlay(run, Json.ReadLayer<RunConfig>(file.FullName));
            var data = run.Data with { Source = parse.GetValue(source.Data)!, Streaming = StreamingMode.On };
            if (source.SplitFrom(parse) is { } split) data = data with { Split = split };
            if (RunOptions.Given(parse, source.SkipBadRecords)) data = data with { SkipBadRecords = parse.GetValue(source.SkipBadRecords) };
            if (parse.GetValue(cache) is { } folder) data = data with { PreparedCache = folder };
            run = run with { Data = data };
            run.Validate();
            if (string.Equals(data.PreparedCache, PreparedDataCache.Off, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException("--prepared-cache off: there would be nothing to keep; name a folder or leave the default");
            var prepared = Busy.While($"preparing {data.Source}", () => StreamingData.Prepare(run));
            var origin = prepared.Summary.Origin;
            if (!origin.FromCache && !origin.Written) throw new IOException($"the prepared data could not be kept: {origin.Note}");
            Report.Streaming(prepared);
            return 0;
        }));
        return command;
    }
}
