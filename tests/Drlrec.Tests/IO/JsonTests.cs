using Drlrec.Configuration;
using Drlrec.IO;
using Drlrec.Testing;

namespace Drlrec.Tests.IO;

public sealed class JsonTests
{
    [Theory]
    [InlineData("{\n  \"trainer\": {\n    \"epochs\": 1,\n    \"epochs\": 2\n  }\n}", "line 4, key trainer.epochs: the key appears twice")]
    [InlineData("{\n  \"seed\": 1,\n  \"seed\": 1\n}", "line 3, key seed: the key appears twice")]
    public void A_key_given_twice_is_refused_naming_the_file_the_line_and_the_key(string text, string expected)
    {
        using var folder = new TemporaryFolder();
        string file = folder.Write("run.json", text);

        var error = Assert.Throws<InvalidDataException>(() => Json.ReadLayer<RunConfig>(file));

        Assert.StartsWith($"{file}: {expected}", error.Message);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_file_the_line_and_the_key_once()
    {
        using var folder = new TemporaryFolder();
        string file = folder.Write("run.json", "{ \"trainer\": { \"epochs\": \"ten\" } }");

        var error = Assert.Throws<InvalidDataException>(() => Json.ReadFile<RunConfig>(file));

        Assert.StartsWith($"{file}: line 1, key trainer.epochs: ", error.Message);
        Assert.DoesNotContain("LineNumber", error.Message);
    }
}
