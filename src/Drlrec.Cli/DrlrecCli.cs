using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Drlrec.Cli.Commands;
using Drlrec.Cli.Output;
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
        root.Subcommands.Add(ValidateOpeCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(RankCommand.Create());
        root.Subcommands.Add(LoadTestCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs a command line; returns the process exit code. Output goes to <paramref name="console"/> (default:
    /// stdout), errors to <paramref name="errors"/> (default: stderr), each error as one line (<see cref="CliErrors"/>):
    /// a command's own failures, System.CommandLine's parse errors, and unexpected exceptions alike.
    /// </summary>
    public static int Run(string[] args, IAnsiConsole? console = null, IAnsiConsole? errors = null)
    {
        using var consoles = CliConsoles.Use(console, errors);
        var parse = BuildRoot().Parse(args);
        if (parse.Action is ParseErrorAction) return CliErrors.Fail(ParseErrors(parse));
        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = AnsiConsole.Profile.Out.Writer, Error = CliConsoles.Error.Profile.Out.Writer, EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e)
        {
            // A failure no command expected (a bug, or the machine): still one line; DRLREC_TRACE=1 adds the stack trace.
            int code = CliErrors.Fail($"unexpected {e.GetType().Name}: {CliErrors.OneLine(e)}");
            if (Environment.GetEnvironmentVariable("DRLREC_TRACE") == "1") CliConsoles.Error.Profile.Out.Writer.WriteLine(e);
            return code;
        }
    }

    /// <summary>System.CommandLine's parse errors and its typo suggestions (without the help text), as one line.</summary>
    private static string ParseErrors(ParseResult parse)
    {
        var action = (ParseErrorAction)parse.Action!;
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        var suggestions = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = suggestions, Error = TextWriter.Null });
        string errors = string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')));
        string hint = string.Join(' ', suggestions.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var names = new Stack<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult { Parent: not null } command; result = command.Parent)
            names.Push(command.Command.Name);
        return $"{errors}{(hint.Length > 0 ? $" ({hint})" : "")}; see 'drlrec {string.Join(' ', names)}{(names.Count > 0 ? " " : "")}--help'";
    }
}
