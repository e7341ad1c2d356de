using Drlrec.Cli.Tests.Commands;
using Drlrec.Cli.Tests.Support;

namespace Drlrec.Cli.Tests.Output;

/// <summary>How a multi-line message becomes the one error line: a list of choices reads as a list.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ErrorLineTests
{
    /// <summary>Issue 28: System.CommandLine writes the choices one per line after "Must be one of:", which the one-line
    /// error joined as "Must be one of:; 'none'; 'int8'".</summary>
    [Theory]
    [InlineData("evaluate --quantize int4", "Argument 'int4' not recognized. Must be one of: 'none', 'int8'; see 'drlrec evaluate --help'")]
    [InlineData("bench --backend tf", "Argument 'tf' not recognized. Must be one of: 'torch', 'onnx'; see 'drlrec bench --help'")]
    public void An_option_value_outside_its_choices_lists_them_in_one_line(string command, string message)
    {
        var (code, output, errors) = CliRunner.Run(command.Split(' '));

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {message}", errors.TrimEnd('\n', '\r'));
    }

    [Theory]
    [InlineData("one\ntwo", "one; two")]
    [InlineData("  padded  \r\n\r\n  lines ", "padded; lines")]
    [InlineData("Must be one of:\n\t'a'\n\t'b'\nnext", "Must be one of: 'a', 'b'; next")]
    [InlineData("not a list:\nunindented", "not a list:; unindented")]
    public void Lines_are_joined_by_semicolons_and_an_indented_list_after_a_colon_by_commas(string message, string line) =>
        Assert.Equal(line, Drlrec.Cli.Output.CliErrors.OneLine(message));
}
