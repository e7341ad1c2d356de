using System.CommandLine;
using Drlrec.Cli.Commands;
using Spectre.Console;

namespace Drlrec.Cli;

/// <summary>Builds the <c>drlrec</c> command tree; one command per file under Commands/.</summary>
public static class DrlrecCli
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "drlrec: DRL-Rec (CIKM 2021) in .NET. Train a Double-DQN list-wise re-ranker (teacher), distill it into a " +
            "small student, evaluate both offline, and serve the student.");
        root.Subcommands.Add(QuickstartCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(DistillCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(RankCommand.Create());
        root.Subcommands.Add(LoadTestCommand.Create());
        return root;
    }

    /// <summary>Parses and runs a command line; returns the process exit code.</summary>
    public static int Run(string[] args, IAnsiConsole? console = null)
    {
        var previous = AnsiConsole.Console;
        if (console is not null) AnsiConsole.Console = console;
        try
        {
            return BuildRoot().Parse(args).Invoke();
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }
}
