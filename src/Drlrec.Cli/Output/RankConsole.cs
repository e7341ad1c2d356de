using Spectre.Console;
using Drlrec.Distributed;

namespace Drlrec.Cli.Output;

/// <summary>
/// In a data-parallel run only rank 0 prints (progress, tables, reports): the other ranks' console writes nowhere for as
/// long as the returned scope lives, so N processes do not interleave N copies of the same output.
/// </summary>
public static class RankConsole
{
    public static IDisposable OnlyRootPrints(DataParallel world)
    {
        if (world.IsRoot) return new Restore(null);
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(TextWriter.Null),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
        });
        return new Restore(previous);
    }

    private sealed class Restore(IAnsiConsole? previous) : IDisposable
    {
        public void Dispose()
        {
            if (previous is not null) AnsiConsole.Console = previous;
        }
    }
}
