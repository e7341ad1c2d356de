using Spectre.Console;
using Drlrec.Data;

namespace Drlrec.Cli.Output;

/// <summary>Turns expected failures (bad input, bad options) into a clear message and exit code 1.</summary>
public static class CliErrors
{
    public const int BadInput = 1;

    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is DataFormatException or FileNotFoundException or DirectoryNotFoundException
                                      or ArgumentException or InvalidOperationException or InvalidDataException
                                      or System.Text.Json.JsonException or IOException or HttpRequestException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            Distributed.MpiWorld.AbortIfRunning(BadInput, e.Message);
            return BadInput;
        }
    }
}
