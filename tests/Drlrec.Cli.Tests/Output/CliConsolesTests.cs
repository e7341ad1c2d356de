using Drlrec.Cli.Tests.Commands;
using Drlrec.Cli.Tests.Support;

namespace Drlrec.Cli.Tests.Output;

/// <summary>
/// The real CLI in its own process with stdout and stderr redirected to pipes (as in a script, CI log or pipe): every error
/// is one line on stderr with nothing on stdout, and a table wider than 80 columns is not squeezed or wrapped.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CliConsolesTests : IClassFixture<WorkflowCommandTests.Runs>
{
    private readonly WorkflowCommandTests.Runs runs;

    public CliConsolesTests(WorkflowCommandTests.Runs runs) => this.runs = runs;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task A_long_error_is_one_line_on_stderr_and_nothing_on_stdout()
    {
        string missing = Path.Combine(runs.Folder.Path, new string('m', 150), "model-that-is-not-there");

        var result = await CliProcess.RunToEndAsync("evaluate", "--model", missing);

        Assert.Equal(1, result.Code);
        Assert.Equal("", result.Output);
        string line = Assert.Single(Lines(result.Errors));
        Assert.StartsWith("error: no model at ", line);
        Assert.Contains(missing, line);
        Assert.True(line.Length > 200, line);
    }

    [Theory]
    [InlineData("train", "--bogus-option")]
    [InlineData("train", "--epochs", "ten", "--split", "sideways")]
    [InlineData("no-such-command")]
    public async Task Parse_errors_are_one_line_on_stderr_without_the_help_text(params string[] args)
    {
        var result = await CliProcess.RunToEndAsync(args);

        Assert.NotEqual(0, result.Code);
        Assert.Equal("", result.Output);
        string line = Assert.Single(Lines(result.Errors));
        Assert.StartsWith("error: ", line);
        Assert.EndsWith("--help'", line);
    }

    [Fact]
    public async Task A_table_wider_than_80_columns_keeps_its_width_in_a_pipe()
    {
        var result = await CliProcess.RunToEndAsync("bench", "--model", runs.Teacher, "--model", runs.Teacher, "--repeats", "2",
            "--warmup-repeats", "1", "--requests", "2", "--pool", "50", "--threads", "1");

        Assert.True(result.Code == 0, result.Errors);
        Assert.Equal("", result.Errors);
        // The latency table (the first of bench's two) has 14 columns: each of its rows, header included, is one line with
        // 15 vertical rules.
        var lines = Lines(result.Output);
        var latency = lines.Take(Array.FindIndex(lines, l => l.StartsWith('└')) + 1).ToArray();
        var rows = latency.Where(l => l.StartsWith('│')).ToArray();
        Assert.Equal(3, rows.Length); // header and two models
        Assert.All(rows, row => Assert.Equal(15, row.Count(c => c == '│')));
        Assert.Contains("slate p50 ratio", rows[0]);
        var border = latency.Where(l => l.StartsWith('┌') || l.StartsWith('├') || l.StartsWith('└')).ToArray();
        Assert.Equal(3, border.Length);
        Assert.All(border.Concat(rows), line => Assert.Equal(border[0].TrimEnd().Length, line.TrimEnd().Length));
        Assert.True(border[0].Length > 150, $"{border[0].Length} columns");
    }
}
