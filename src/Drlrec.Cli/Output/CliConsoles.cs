using Spectre.Console;

namespace Drlrec.Cli.Output;

/// <summary>
/// The CLI's two consoles: results, tables and progress on stdout (<see cref="AnsiConsole.Console"/>, which the commands
/// write to), errors on stderr (<see cref="Error"/>). Spectre.Console gives a console that is not a terminal a width of
/// 80 columns and hard-wraps at it, which would break an error into several lines and squeeze a wide table in a file or
/// a pipe; a redirected console here gets <see cref="RedirectedWidth"/> instead, so that nothing is wrapped.
/// </summary>
public static class CliConsoles
{
    /// <summary>The width of a console written to a file or a pipe: wider than any table or line the commands write (no
    /// renderable of the CLI expands to the console's width, so this costs nothing).</summary>
    public const int RedirectedWidth = 4096;

    private static IAnsiConsole? error;

    /// <summary>Where errors go: stderr, unless <see cref="Use"/> swapped it (tests capture it).</summary>
    public static IAnsiConsole Error => error ??= For(Console.Error, Console.IsErrorRedirected);

    /// <summary>A console writing to <paramref name="writer"/>; <paramref name="redirected"/>: a file or a pipe, not a terminal.</summary>
    public static IAnsiConsole For(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (redirected) console.Profile.Width = RedirectedWidth;
        return console;
    }

    /// <summary>Makes <paramref name="output"/> (default: stdout) and <paramref name="errors"/> (default: stderr) the
    /// CLI's consoles until the returned scope is disposed.</summary>
    public static IDisposable Use(IAnsiConsole? output = null, IAnsiConsole? errors = null)
    {
        var previous = (AnsiConsole.Console, error);
        AnsiConsole.Console = output ?? For(Console.Out, Console.IsOutputRedirected);
        error = errors ?? For(Console.Error, Console.IsErrorRedirected);
        return new Restore(() => (AnsiConsole.Console, error) = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
