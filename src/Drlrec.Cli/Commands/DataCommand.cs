using System.CommandLine;

namespace Drlrec.Cli.Commands;

/// <summary><c>drlrec data ...</c>: inspect, convert and download data sets.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Inspect, convert and download data sets.");
        return command;
    }
}
