using Spectre.Console;

namespace Drlrec.Cli.Tests.Support;

/// <summary>Runs real command lines through <see cref="DrlrecCli.Run"/> with the console captured (no colours, wide).</summary>
public static class CliRunner
{
    public static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 400; // no wrapping inside table cells or error lines
        int code = DrlrecCli.Run(args, console);
        return (code, writer.ToString());
    }
}
