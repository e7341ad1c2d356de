using System.CommandLine;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec data ...</c>: inspect, convert, download, generate and prepare data sets.</summary>
public static class DataCommand
{
    /// <summary>The command over every source the tool reads, the simulator ("synthetic") included.</summary>
    public static Command Create() => Create((source, options) => DataLoader.Load(source,
        new DataConfig { Source = source, MaxListLength = options.MaxListLength, SkipBadRecords = options.SkipBadRecords }));

    /// <summary>
    /// The command with another way to open sources, e.g. one that answers <c>synthetic</c> before falling back to
    /// <see cref="DataSources.Load"/>.
    /// </summary>
    public static Command Create(Func<string, ReadOptions, ListDataset> load)
    {
        var command = new Command("data", "Inspect, convert, download, generate and prepare data sets.");
        command.Subcommands.Add(DataInspectCommand.Create(load));
        command.Subcommands.Add(DataConvertCommand.Create(load));
        command.Subcommands.Add(DataDownloadCommand.Create());
        command.Subcommands.Add(DataGenerateCommand.Create());
        command.Subcommands.Add(DataPrepareCommand.Create());
        return command;
    }
}
