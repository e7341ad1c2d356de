using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Data;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec data inspect &lt;source&gt;</c>: reads a source and shows what it holds.</summary>
public static class DataInspectCommand
{
    public static Command Create(Func<string, ReadOptions, ListDataset> load)
    {
        var options = new DataOptions();
        var command = new Command("inspect", "Read a data source and summarise it: schema by family, lists, items, " +
                                             "positive rate, users, distinct items and what the reader skipped or cut.");
        options.AddTo(command);
        command.SetAction(parseResult => CliErrors.Run(() =>
        {
            var data = load(parseResult.GetValue(options.Source)!, options.ReadOptionsFrom(parseResult));
            AnsiConsole.Write(SummaryTable(DataSummary.Of(data)));
            return 0;
        }));
        return command;
    }

    internal static Table SummaryTable(DataSummary summary)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("[bold]property[/]").AddColumn("[bold]value[/]");
        foreach (var (label, value) in summary.Rows()) table.AddRow(Markup.Escape(label), Markup.Escape(value));
        return table;
    }
}
