using Drlrec.Cli.Tests.Support;
using Drlrec.Experiments;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary><c>drlrec validate-ope --merge</c> through real command lines, on parts written by the harness's own writer.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ValidateOpeCommandTests
{
    private static void WritePart(string folder, int replication, double estimate)
    {
        OpeValidationRow[] rows = [new(200, replication, "a", "cascade_dr_clip", estimate, estimate - 0.1, estimate + 0.1, 1.0, 200, 50),
            new(200, replication, "b", "cascade_dr_clip", estimate + 1, estimate + 0.9, estimate + 1.1, 2.0, 200, 50)];
        OpeValidation.Write(new OpeValidationResult(new Drlrec.Simulation.SyntheticConfig(), ["a", "b"], rows, OpeValidation.Summarise(rows),
            OpeValidation.Ranks(rows), new Drlrec.OffPolicy.OpeSettings { Window = 25 }, 10), folder, "test");
    }

    /// <summary>Writes one part per (replication, estimate) and merges them all with the command line.</summary>
    private static CliResult Merge(TemporaryFolder folder, params (int Replication, double Estimate)[] parts)
    {
        var folders = parts.Select((p, i) => folder[$"part-{i}"]).ToArray();
        for (int i = 0; i < parts.Length; i++) WritePart(folders[i], parts[i].Replication, parts[i].Estimate);
        return CliRunner.Run(["validate-ope", "--merge", .. folders, "--out", folder["merged"]]);
    }

    [Fact]
    public void Parts_run_as_separate_processes_merge_into_one_report()
    {
        using var folder = new TemporaryFolder();
        var result = Merge(folder, (0, 1.05), (1, 0.85));

        Assert.Equal(0, result.Code);
        var merged = Drlrec.IO.Json.ReadFile<OpeValidationResult>(folder["merged/results.json"]);
        Assert.Equal([0, 0, 1, 1], merged.Rows.Select(r => r.Replication));
        var a = merged.Summary.Single(s => s.Policy == "a");
        Assert.Equal((0.05 + 0.15) / 2, a.RelativeError, 9);
        Assert.Equal(0.5, a.Coverage, 9);                     // 1.05 ± 0.1 holds 1.0; 0.85 ± 0.1 does not
        Assert.Contains("2 replications per size", File.ReadAllText(folder["merged/report.md"]));
    }

    [Fact]
    public void Overlapping_parts_are_refused_in_one_line_and_nothing_is_written()
    {
        using var folder = new TemporaryFolder();
        var result = Merge(folder, (0, 1.05), (0, 0.95));

        Assert.NotEqual(0, result.Code);
        Assert.Single(result.Errors.Trim().Split('\n'));
        Assert.Contains("repeats replication 0", result.Errors);
        Assert.False(Directory.Exists(folder["merged"]));
    }
}
