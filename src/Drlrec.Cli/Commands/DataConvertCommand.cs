using System.CommandLine;
using Spectre.Console;
using Drlrec.Cli.Options;
using Drlrec.Cli.Output;
using Drlrec.Data;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec data convert &lt;source&gt; --out FILE.parquet</c>: any readable source to the Parquet long format.</summary>
public static class DataConvertCommand
{
    public static Command Create(Func<string, ReadOptions, ListDataset> load)
    {
        var options = new DataOptions();
        var output = new Option<string>("--out")
        {
            Description = "The Parquet file to write (*.parquet). It appears only when complete; an existing file is replaced.",
            Required = true,
        };
        var command = new Command("convert", "Read a data source and write it as a Parquet file (one row per list item), " +
                                             "which reads back exactly and fast.");
        options.AddTo(command);
        command.Options.Add(output);
        command.SetAction(parseResult => CliErrors.Run(() =>
        {
            string target = parseResult.GetValue(output)!;
            if (!target.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out must name a .parquet file (got '{target}')");
            var data = load(parseResult.GetValue(options.Source)!, options.ReadOptionsFrom(parseResult));
            ParquetListWriter.Write(data, target);
            var report = data.Report;
            AnsiConsole.MarkupLineInterpolated(
                $"wrote [bold]{data.Lists.Count:N0}[/] lists, [bold]{data.ItemCount:N0}[/] items to {target}");
            AnsiConsole.MarkupLineInterpolated(
                $"short lists {report.ShortLists:N0}, lists split {report.ListsSplit:N0}, records skipped {report.RecordsSkipped:N0}");
            foreach (string example in report.SkippedExamples) AnsiConsole.MarkupLineInterpolated($"[yellow]skipped:[/] {example}");
            return 0;
        }));
        return command;
    }
}
