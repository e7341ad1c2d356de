using System.CommandLine;
using Drlrec.Configuration;
using Drlrec.IO;
using Drlrec.Training;

namespace Drlrec.Cli.Options;

/// <summary>
/// The options of the commands that train (train, quickstart, distill, experiment, bench train), and the one
/// layering rule of every command: the command's defaults, then <c>--config FILE.json</c> (any subset of a run's
/// <c>config.json</c>; objects merge key by key), then the options typed on the command line. An option left at its
/// default never overrides the config file.
/// </summary>
public sealed class RunOptions
{
    public DataSourceOptions Source { get; } = new();
    public Option<string?> Data => Source.Data;
    public Option<string?> Test => Source.Test;
    public Option<bool> SkipBadRecords => Source.SkipBadRecords;

    public Option<int> Seed { get; } = CommonOptions.Seed("Seed of weights, shuffling and dropout (the simulator's data keep their own seed)");

    public Option<int> Epochs { get; } = new("--epochs")
    {
        Description = "Maximum epochs (early stopping on validation AUC may end sooner)",
        DefaultValueFactory = _ => new TrainerConfig().Epochs,
    };

    public Option<FileInfo?> Config { get; } = new("--config")
    {
        Description = "JSON run config (snake_case keys, any subset of a run's config.json), layered over the defaults; options typed on the command line override it",
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads for tensor operations (0 = all cores)",
        DefaultValueFactory = _ => 0,
    };

    /// <summary><c>--distributed</c> (train, distill, bench train: the commands that train one network; see
    /// <see cref="AddDistributedTo"/>).</summary>
    public Option<DistributedMode> Distributed { get; } = new("--distributed")
    {
        Description = "none, or mpi: data-parallel training over the processes MPICH's mpiexec started " +
                      "(mpiexec -n N drlrec ... --distributed mpi); each takes a share of every global batch (trainer.batch_size " +
                      "is the global batch) and only rank 0 writes and prints. Without mpiexec the world is one process. Needs MPICH " +
                      "(apt-get install mpich); Open MPI does not work",
        DefaultValueFactory = _ => DistributedMode.None,
    };

    public Option<StreamingMode?> Streaming { get; } = new("--streaming")
    {
        Description = "auto: stream the training lists from Parquet data (a file, a folder of parts or a pattern) larger than 256 MiB, " +
                      "else load them into memory; on: always stream; off: never (data.streaming) [default: auto]",
    };

    public Option<string?> PreparedCache { get; } = new("--prepared-cache")
    {
        Description = "When streaming: where the preparation passes' results are kept and reused (data.prepared_cache): " +
                      "a folder, or 'off' [default: a .drlrec-prepared folder beside the data]",
    };

    public Option<int> MaxStepsPerEpoch { get; } = new("--max-steps-per-epoch")
    {
        Description = "End each epoch after this many steps (validation and early stopping follow); 0 = whole passes (trainer.max_steps_per_epoch)",
        DefaultValueFactory = _ => new TrainerConfig().MaxStepsPerEpoch,
    };

    public void AddTo(Command command)
    {
        Source.AddTo(command);
        foreach (var option in new Option[] { Seed, Epochs, Config, Threads }) command.Options.Add(option);
    }

    /// <summary>Adds <c>--distributed</c>, for the commands that train one network per process.</summary>
    public void AddDistributedTo(Command command) => command.Options.Add(Distributed);

    /// <summary>Adds <c>--streaming</c>, <c>--prepared-cache</c> and <c>--max-steps-per-epoch</c>: for the commands that train
    /// from one source (train, distill).</summary>
    public void AddStreamingTo(Command command)
    {
        command.Options.Add(Streaming);
        command.Options.Add(PreparedCache);
        command.Options.Add(MaxStepsPerEpoch);
    }

    /// <summary>
    /// <paramref name="defaults"/>, overlaid by <c>--config</c>, overlaid by the options typed on the command line:
    /// these shared ones, then the command's own (<paramref name="typed"/>). The role (typed <paramref name="role"/>,
    /// else the file's, else the default's) is settled first and the defaults take its network sizes, so that a file's
    /// partial <c>model</c> section keeps the role's embedding size.
    /// </summary>
    public RunConfig Build(ParseResult parse, RunConfig defaults, Option<ModelRole>? role = null, Func<RunConfig, RunConfig>? typed = null)
    {
        var layer = parse.GetValue(Config) is { } file ? Json.ReadLayer<RunConfig>(file.FullName) : null;
        var chosenRole = role is not null && Given(parse, role) ? parse.GetValue(role)
            : layer?["role"] is { } fromFile ? System.Text.Json.JsonSerializer.Deserialize<ModelRole>(fromFile, Json.Options)
            : defaults.Role;
        var config = (defaults with { Role = chosenRole }).Resolve();
        if (layer is not null) config = Json.Overlay(config, layer);
        if (Given(parse, Data)) config = config with { Data = config.Data with { Source = parse.GetValue(Data)! } };
        if (Given(parse, Test)) config = config with { Data = config.Data with { Test = parse.GetValue(Test) } };
        if (Source.SplitFrom(parse) is { } split) config = config with { Data = config.Data with { Split = split } };
        if (Given(parse, SkipBadRecords)) config = config with { Data = config.Data with { SkipBadRecords = parse.GetValue(SkipBadRecords) } };
        if (Given(parse, Seed)) config = config with { Seed = parse.GetValue(Seed) };
        if (Given(parse, Epochs)) config = config with { Trainer = config.Trainer with { Epochs = parse.GetValue(Epochs) } };
        if (Given(parse, Threads)) config = config with { Trainer = config.Trainer with { Threads = parse.GetValue(Threads) } };
        if (Given(parse, Distributed)) config = config with { Trainer = config.Trainer with { Distributed = parse.GetValue(Distributed) } };
        if (parse.GetValue(Streaming) is { } streaming) config = config with { Data = config.Data with { Streaming = streaming } };
        if (parse.GetValue(PreparedCache) is { } cache) config = config with { Data = config.Data with { PreparedCache = cache } };
        if (Given(parse, MaxStepsPerEpoch)) config = config with { Trainer = config.Trainer with { MaxStepsPerEpoch = parse.GetValue(MaxStepsPerEpoch) } };
        config = typed?.Invoke(config) ?? config;
        config.Validate();
        return config;
    }

    /// <summary>True when the option was typed (not just defaulted).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
