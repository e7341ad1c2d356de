using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.IO;
using Drlrec.Simulation;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec data generate --lists N --out DIR</c>: the simulator's logs as Parquet part files, any size.</summary>
public static class DataGenerateCommand
{
    public static Command Create()
    {
        var defaults = new SyntheticConfig();
        var lists = new Option<int>("--lists") { Description = "Logged lists to generate", Required = true };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Folder for the part files part-00000.parquet, ...; it must hold no Parquet file yet. Each part appears only when complete",
            Required = true,
        };
        var perFile = new Option<int>("--lists-per-file")
        {
            Description = "Lists per part file",
            DefaultValueFactory = _ => SyntheticParquetParts.DefaultListsPerFile,
        };
        var perRowGroup = new Option<int>("--lists-per-row-group")
        {
            Description = "Lists per row group (a list never spans two); a streaming reader holds one row group at a time",
            DefaultValueFactory = _ => SyntheticParquetParts.DefaultListsPerRowGroup,
        };
        var seed = CommonOptions.Seed("The simulator's seed (data.synthetic.seed): the same seed gives the lists of --data synthetic");
        var users = new Option<int>("--users") { Description = "Simulated users", DefaultValueFactory = _ => defaults.Users };
        var items = new Option<int>("--items") { Description = "Catalog size", DefaultValueFactory = _ => defaults.Items };
        var listLength = new Option<int>("--list-length") { Description = "Items per list", DefaultValueFactory = _ => defaults.ListLength };
        var synthetic = new Option<FileInfo?>("--synthetic")
        {
            Description = "The simulator's settings (the data.synthetic shape of a run's config, e.g. experiments/worlds/exit.json); " +
                          "--seed, --users, --items and --list-length override it when typed. Default: the default world",
        };

        var shownOnly = new Option<bool>("--shown-only")
        {
            Description = "Write the shown items alone, without each item's logging propensity and each list's unshown candidates " +
                          "(the format before off-policy evaluation: a fifth of the rows; evaluate --ope then has the direct method only)",
            DefaultValueFactory = _ => false,
        };

        var command = new Command("generate", "Write the simulator's logged lists as Parquet part files in the long format, " +
                                              "a row group at a time (memory does not grow with --lists).");
        foreach (var option in new Option[] { lists, output, perFile, perRowGroup, seed, users, items, listLength, synthetic, shownOnly }) command.Options.Add(option);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            int count = parse.GetValue(lists);
            if (count < 1) throw new ArgumentException($"--lists must be at least 1 (got {count})");
            var world = parse.GetValue(synthetic) is { } file ? Json.ReadFile<SyntheticConfig>(file.FullName) : defaults;
            T Typed<T>(Option<T> option, T fromWorld) => parse.GetValue(synthetic) is null || RunOptions.Given(parse, option) ? parse.GetValue(option)! : fromWorld;
            var config = world with
            {
                Seed = Typed(seed, world.Seed), Users = Typed(users, world.Users), Items = Typed(items, world.Items),
                ListLength = Typed(listLength, world.ListLength), Lists = count,
            };
            config.Validate(name => $"--{name.Replace('_', '-')}");
            var simulator = new SyntheticSimulator(config);
            string folder = parse.GetValue(output)!.FullName;
            IReadOnlyList<string> files = [];
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"generating {count:N0} lists", maxValue: count);
                    files = SyntheticParquetParts.Write(simulator, count, folder, parse.GetValue(perFile), parse.GetValue(perRowGroup),
                        written => task.Value = written, candidates: !parse.GetValue(shownOnly));
                });
            AnsiConsole.MarkupLineInterpolated($"wrote [bold]{count:N0}[/] lists in {files.Count:N0} part file{(files.Count == 1 ? "" : "s")} to {folder}");
            return 0;
        }));
        return command;
    }
}
