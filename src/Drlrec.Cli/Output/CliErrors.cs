using Spectre.Console;
using Drlrec.Data;

namespace Drlrec.Cli.Output;

/// <summary>
/// How the CLI fails: one line <c>error: MESSAGE</c> on stderr (<see cref="CliConsoles.Error"/>), never wrapped, and a
/// non-zero exit code. Expected failures (bad input, bad options) exit <see cref="BadInput"/>.
/// </summary>
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
            return Fail(OneLine(e));
        }
    }

    /// <summary>Writes <paramref name="message"/> as the one error line (ending an MPI job's other ranks) and returns
    /// <see cref="BadInput"/>.</summary>
    public static int Fail(string message)
    {
        Write(message);
        Distributed.MpiWorld.AbortIfRunning(BadInput, message);
        return BadInput;
    }

    /// <summary>The error line: "error:" (red on a terminal), then the message written as it is, so that not even a
    /// terminal's console width breaks it. One write: a line written in pieces can be cut (an MPI job aborted between
    /// them showed a bare "error:") or interleaved with another rank's output.</summary>
    public static void Write(string message)
    {
        var console = CliConsoles.Error;
        var writer = console.Profile.Out.Writer;
        writer.Write(console.ToAnsi(new Markup("[red]error:[/] ")) + OneLine(message) + writer.NewLine);
        writer.Flush();
    }

    /// <summary>An exception's message on one line, without the "(Parameter 'x')" an <see cref="ArgumentException"/>
    /// appends (the message names what was wrong in the user's terms).</summary>
    public static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name }) message = message.Replace($" (Parameter '{name}')", "");
        return OneLine(message);
    }

    /// <summary>The message's non-empty lines, trimmed and joined by "; ", except a list: indented lines after a line
    /// ending in ':' (System.CommandLine's "Must be one of:" and its values, one per line) follow it as
    /// "Must be one of: 'none', 'int8'".</summary>
    public static string OneLine(string message)
    {
        var text = new System.Text.StringBuilder();
        bool list = false;
        foreach (string line in message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            string trimmed = line.Trim();
            if (trimmed.Length == 0) continue;
            bool item = list && char.IsWhiteSpace(line[0]);
            if (text.Length > 0) text.Append(!item ? "; " : text[^1] == ':' ? " " : ", ");
            text.Append(trimmed);
            list = item || trimmed.EndsWith(':');
        }
        return text.ToString();
    }
}
