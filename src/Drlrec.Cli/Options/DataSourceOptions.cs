using System.CommandLine;
using Drlrec.Data.Loading;

namespace Drlrec.Cli.Options;

/// <summary>Where a command's lists come from: <c>--data</c>, <c>--test</c>, <c>--skip-bad-records</c>.</summary>
public sealed class DataSourceOptions
{
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Training data: a MovieLens-100K folder, a reference .tsv, a .parquet, or 'synthetic' (the embedded simulator)",
        DefaultValueFactory = _ => DataLoader.Synthetic,
    };

    public Option<string?> Test { get; } = new("--test")
    {
        Description = "Separate test file (same formats). Default: the latest 20% of --data's lists by time",
    };

    public Option<bool> SkipBadRecords { get; } = new("--skip-bad-records")
    {
        Description = "Skip malformed records and report counts instead of failing",
        DefaultValueFactory = _ => false,
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
        foreach (var option in new Option[] { Data, Test, SkipBadRecords }) command.Options.Add(option);
    }
}
