using System.CommandLine;
using Drlrec.Configuration;
using Drlrec.Data.Loading;

namespace Drlrec.Cli.Options;

/// <summary>Where a command's lists come from: <c>--data</c>, <c>--test</c>, <c>--skip-bad-records</c>.</summary>
public sealed class DataSourceOptions
{
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Training data: a MovieLens-100K folder, a reference .tsv, Parquet data (a .parquet file, a folder of .parquet parts, or a pattern such as DIR/part-*.parquet), or 'synthetic' (the embedded simulator)",
        DefaultValueFactory = _ => DataLoader.Synthetic,
    };

    public Option<string?> Test { get; } = new("--test")
    {
        Description = "Separate test file (same formats). Default: the latest 20% of --data's lists by time",
    };

    public Option<string?> Split { get; } = new("--split")
    {
        Description = "time: the latest lists overall are held out (validation, test); user-time: each user's latest lists [default: time]",
    };

    public Option<bool> SkipBadRecords { get; } = new("--skip-bad-records")
    {
        Description = "Skip malformed records and report counts instead of failing",
        DefaultValueFactory = _ => false,
    };

    public DataSourceOptions() => Split.AcceptOnlyFromAmong("time", "user-time");

    /// <summary>The split mode typed on the command line, or null.</summary>
    public SplitMode? SplitFrom(ParseResult parse) => parse.GetValue(Split) switch
    {
        "time" => SplitMode.Time,
        "user-time" => SplitMode.UserTime,
        _ => null,
    };

    /// <summary>The options for commands whose data default to a trained model's (no default source).</summary>
    public static DataSourceOptions FromModel(string dataDescription, string testDescription)
    {
        var options = new DataSourceOptions();
        options.Data.DefaultValueFactory = null;
        options.Data.Description = dataDescription;
        options.Test.Description = testDescription;
        return options;
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Data, Test, Split, SkipBadRecords }) command.Options.Add(option);
    }
}
