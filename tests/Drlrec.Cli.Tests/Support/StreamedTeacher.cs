using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Support;

/// <summary>Simulator lists written as part files (<c>data generate</c>, 50 lists per row group) in <c>FOLDER/data</c> and a
/// teacher trained on them streamed (<c>train --streaming on</c>, one epoch of a few steps) in <c>FOLDER/teacher</c>.</summary>
public static class StreamedTeacher
{
    public static void Make(TemporaryFolder folder, int lists, int listsPerFile, int users)
    {
        var (code, output) = CliRunner.Run("data", "generate", "--lists", $"{lists}", "--out", folder["data"], "--lists-per-file", $"{listsPerFile}",
            "--lists-per-row-group", "50", "--users", $"{users}", "--items", "1000");
        Assert.True(code == 0, output);
        (code, output) = CliRunner.Run("train", "--data", folder["data"], "--streaming", "on", "--epochs", "1", "--max-steps-per-epoch", "5",
            "--threads", "1", "--out", folder["teacher"]);
        Assert.True(code == 0, output);
    }
}
