using Drlrec.Data;
using Drlrec.Simulation;
using Drlrec.Testing;
using Drlrec.Tests.Data;

namespace Drlrec.Tests.Simulation;

public sealed class SyntheticParquetPartsTests : IDisposable
{
    private readonly TemporaryFolder folder = new();
    private static readonly SyntheticSimulator Simulator = new(new SyntheticConfig { Seed = 5, Users = 200, Items = 1000 });

    public void Dispose() => folder.Dispose();

    [Fact]
    public void StreamLogs_makes_the_lists_of_GenerateLogs_in_the_same_order()
    {
        var generated = Simulator.GenerateLogs(300);
        var streamed = new ListDataset(Simulator.Schema, Simulator.StreamLogs(300).ToList(), "synthetic");
        DatasetAssert.SameLists(generated, streamed);
    }

    [Fact]
    public void Parts_hold_the_requested_counts_and_read_back_as_the_simulator_lists()
    {
        string target = folder["gen"];
        var progress = new List<long>();

        var files = SyntheticParquetParts.Write(Simulator, 250, target, listsPerFile: 100, listsPerRowGroup: 30, progress.Add);

        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"], files.Select(Path.GetFileName));
        Assert.Equal(250, progress[^1]);
        var rowGroups = files.Select(f =>
        {
            using var file = ParquetListReader.ParquetListFile.Open(f);
            return file.RowGroupCount;
        });
        Assert.Equal([4, 4, 2], rowGroups); // 100 lists in groups of 30: 30, 30, 30, 10; then 50: 30, 20
        DatasetAssert.SameLists(Simulator.GenerateLogs(250), DataSources.Load(target, new ReadOptions()));
    }

    [Fact]
    public void A_folder_that_already_holds_parquet_files_is_refused_before_anything_is_written()
    {
        string target = folder["gen"];
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.parquet"), "x");

        var e = Assert.Throws<IOException>(() => SyntheticParquetParts.Write(Simulator, 10, target));

        Assert.Contains("already holds Parquet files", e.Message);
        Assert.Contains("old.parquet", e.Message);
        Assert.Equal(["old.parquet"], Directory.GetFiles(target).Select(Path.GetFileName));
    }
}
