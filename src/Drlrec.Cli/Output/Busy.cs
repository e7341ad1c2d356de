using Spectre.Console;

namespace Drlrec.Cli.Output;

/// <summary>A spinner while something without a measurable progress runs (loading data, one benchmark).</summary>
public static class Busy
{
    /// <summary>Runs <paramref name="work"/> under a spinner labelled <paramref name="label"/>.</summary>
    public static T While<T>(string label, Func<T> work) => AnsiConsole.Status().Start(Markup.Escape(label), _ => work());
}
