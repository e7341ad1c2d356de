using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

public sealed class ScaleTests
{
    [Fact]
    public void A_million_item_catalog_builds_and_logs_in_memory_linear_in_items_times_dimension()
    {
        var config = new SyntheticConfig { Items = 1_000_000 };
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var sim = new SyntheticSimulator(config);
        long constructionBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var logs = sim.GenerateLogs(200);

        // Speed is measured by `drlrec bench explore` (it reports the simulator's build time), not asserted here.
        // Stored per item: LatentDim floats, category, popularity, price and its alias-table column, plus
        // temporaries of the same order: about 100 bytes per item at LatentDim 8, nothing per-item in strings.
        Assert.True(constructionBytes < 150L * config.Items, $"construction allocated {constructionBytes / 1e6:F0} MB");
        Assert.Equal(200, logs.Lists.Count);
        Assert.Equal(999_999, sim.IndexOf(sim.KeyOf(999_999)));
        Assert.Equal("i999999", sim.ItemFieldValues(999_999)[0][0]);
        Assert.Contains(logs.Lists.SelectMany(l => l.Items), i => sim.IndexOf(i.ItemKey) >= 10_000); // the whole catalog is reachable
    }
}
