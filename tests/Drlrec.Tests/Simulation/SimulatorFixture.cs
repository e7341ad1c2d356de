using Drlrec.Data;
using Drlrec.Simulation;

namespace Drlrec.Tests.Simulation;

/// <summary>One default-config simulator and a few thousand of its logged lists, shared by a test class.</summary>
public sealed class SimulatorFixture
{
    public const int LoggedLists = 4000;

    public SimulatorFixture()
    {
        Simulator = new SyntheticSimulator(new SyntheticConfig());
        Logs = Simulator.GenerateLogs(LoggedLists);
    }

    public SyntheticSimulator Simulator { get; }
    public ListDataset Logs { get; }
}
