using System.CommandLine;
using Drlrec.Configuration;
using Drlrec.Training;

namespace Drlrec.Cli.Commands;

/// <summary>
/// Options shared by the commands that train (train, quickstart, distill, experiment): they build a
/// <see cref="RunConfig"/> from defaults, then <c>--config FILE.json</c>, then explicit options.
/// </summary>
public sealed class RunOptions
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

    public Option<int> Seed { get; } = new("--seed")
    {
        Description = "Seed of weights, shuffling and dropout (the simulator's data keep their own seed)",
        DefaultValueFactory = _ => new RunConfig().Seed,
    };

    public Option<int> Epochs { get; } = new("--epochs")
    {
        Description = "Maximum epochs (early stopping on validation AUC may end sooner)",
        DefaultValueFactory = _ => new TrainerConfig().Epochs,
    };

    public Option<FileInfo?> Config { get; } = new("--config")
    {
        Description = "JSON run config (snake_case keys, any subset of a run's config.json); explicit options override it",
    };

    public Option<bool> SkipBadRecords { get; } = new("--skip-bad-records")
    {
        Description = "Skip malformed records and report counts instead of failing",
        DefaultValueFactory = _ => false,
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads for tensor operations (0 = all cores)",
        DefaultValueFactory = _ => 0,
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Data, Test, Seed, Epochs, Config, SkipBadRecords, Threads }) command.Options.Add(option);
    }

    /// <summary>Defaults, overlaid by --config, overlaid by options given on the command line.</summary>
    public RunConfig Build(ParseResult parse, RunConfig? defaults = null)
    {
        var config = parse.GetValue(Config) is { } file ? Json.ReadFile<RunConfig>(file.FullName) : defaults ?? new RunConfig();
        if (parse.GetValue(Data) is { } source && (Given(parse, Data) || parse.GetValue(Config) is null))
            config = config with { Data = config.Data with { Source = source } };
        if (Given(parse, Test)) config = config with { Data = config.Data with { Test = parse.GetValue(Test) } };
        if (Given(parse, SkipBadRecords)) config = config with { Data = config.Data with { SkipBadRecords = parse.GetValue(SkipBadRecords) } };
        if (Given(parse, Seed)) config = config with { Seed = parse.GetValue(Seed) };
        if (Given(parse, Epochs)) config = config with { Trainer = config.Trainer with { Epochs = parse.GetValue(Epochs) } };
        if (Given(parse, Threads)) config = config with { Trainer = config.Trainer with { Threads = parse.GetValue(Threads) } };
        return config;
    }

    /// <summary>True when the option was typed (not just defaulted).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
