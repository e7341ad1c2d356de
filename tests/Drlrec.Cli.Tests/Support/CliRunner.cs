using Spectre.Console;

namespace Drlrec.Cli.Tests.Support;

/// <summary>What a command line printed: <see cref="Output"/> (stdout) and <see cref="Errors"/> (stderr), and its exit code.
/// Deconstructs to (code, stdout).</summary>
public sealed record CliResult(int Code, string Output, string Errors)
{
    public void Deconstruct(out int code, out string output) => (code, output) = (Code, Output);
}

/// <summary>Runs real command lines through <see cref="DrlrecCli.Run"/> with both consoles captured (no colours, redirected
/// as in a script: the CLI's own width for a file or a pipe).</summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        int code = DrlrecCli.Run(args, Captured(output), Captured(errors));
        return new CliResult(code, output.ToString(), errors.ToString());
    }

    private static IAnsiConsole Captured(StringWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = Drlrec.Cli.Output.CliConsoles.RedirectedWidth;
        return console;
    }
}
