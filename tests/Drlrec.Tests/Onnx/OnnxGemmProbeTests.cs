using Drlrec.Model;
using Drlrec.Onnx;

namespace Drlrec.Tests.Onnx;

/// <summary>The benchmark's GEMM yardstick on a sized network (state width D = 12 from F·d = 20, MLP width 6).</summary>
public sealed class OnnxGemmProbeTests(SizedOnnxTestModel model) : IClassFixture<SizedOnnxTestModel>
{
    [Theory]
    [InlineData(OnnxPrecision.Float32)]
    [InlineData(OnnxPrecision.Int8)]
    public void The_probe_multiplies_rows_by_each_per_candidate_step_weight_of_the_state_width(OnnxPrecision precision)
    {
        using var probe = new OnnxGemmProbe(model.Network, rows: 7, repeats: 2, precision);

        probe.Run();

        // D·D + 3D·D + (D + 3)·m + m·m/2 + m/2·H + H with D = 12, m = 6, H = 5 and the tags' 3 list features: not F·d = 20 wide.
        const long perRow = 12 * 12 + 3 * 12 * 12 + (12 + 3) * 6 + 6 * 3 + 3 * 5 + 5;
        Assert.Equal(perRow, MacCount.StepLinear(model.Network));
        Assert.Equal(2 * 7 * perRow, probe.Macs);
    }
}
