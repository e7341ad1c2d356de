using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distillation;

namespace Drlrec.Tests.Distillation;

public sealed class ConfidenceWeightsTests
{
    // Three lists of lengths 3, 1 and 4 (L = 4). The padded slots hold huge TD errors: they must neither get a
    // confidence nor enter the batch maximum (or mean).
    //   list 0: δ = [.5, −1, 2 | pad 100]       list 1: δ = [3 | pad −50, 80, 1e3]       list 2: δ = [−.5, 1.5, 0, 1]
    // Real δ²: .25, 1, 4 | 9 | .25, 2.25, 0, 1 → max 9, mean 17.75 / 8 = 2.21875.
    private static Tensor Delta() => tensor(new float[] { 0.5f, -1, 2, 100, /**/ 3, -50, 80, 1e3f, /**/ -0.5f, 1.5f, 0, 1 }).view(3, 4);

    private static Tensor Mask() =>
        tensor(new[] { true, true, true, false, /**/ true, false, false, false, /**/ true, true, true, true }).view(3, 4);

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Td_error_confidence_divides_by_the_largest_squared_error_of_the_whole_batch_ignoring_padding()
    {
        using var scope = NewDisposeScope();
        var c = ConfidenceWeights.PerItem(Delta(), Mask(), ConfidenceMode.TdError);

        // c = 1 − δ² / (9 + ε); the list-1 item holds the batch maximum (c ≈ 1.1e-7); padded slots 0.
        float[] expected = [1 - 0.25f / 9, 1 - 1f / 9, 1 - 4f / 9, 0, /**/ 0, 0, 0, 0, /**/ 1 - 0.25f / 9, 1 - 2.25f / 9, 1, 1 - 1f / 9];
        var actual = Values(c);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance: 1e-6);
    }

    [Fact]
    public void Gaussian_confidence_divides_by_the_mean_squared_error_over_real_positions()
    {
        using var scope = NewDisposeScope();
        var c = ConfidenceWeights.PerItem(Delta(), Mask(), ConfidenceMode.Gaussian);

        // c = exp(−δ² / (2.21875 + ε)); padded slots 0.
        double[] expected = [0.8934401, 0.6371794, 0.1648340, 0, /**/ 0.0173123, 0, 0, 0, /**/ 0.8934401, 0.3627345, 1, 0.6371794];
        var actual = Values(c);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance: 1e-6);
    }

    [Fact]
    public void List_confidence_is_the_mean_over_each_lists_real_positions_only()
    {
        using var scope = NewDisposeScope();
        // Per-item values with garbage in the padded slots: PerList must not read them.
        var perItem = tensor(new float[] { 0.9f, 0.6f, 0.3f, 50, /**/ 0.2f, 7, 7, 7, /**/ 1, 0.5f, 0.25f, 0.25f }).view(3, 4);

        var perList = Values(ConfidenceWeights.PerList(perItem, Mask()));

        Assert.Equal([0.6f, 0.2f, 0.5f], perList.Select(v => MathF.Round(v, 5)));
        // From the td_error confidences above: [(.972222 + .888889 + .555556) / 3, ≈0, 3.611111 / 4].
        var fromDelta = Values(ConfidenceWeights.PerList(ConfidenceWeights.PerItem(Delta(), Mask(), ConfidenceMode.TdError), Mask()));
        Assert.Equal(2.4166667 / 3, fromDelta[0], tolerance: 1e-6);
        Assert.Equal(0, fromDelta[1], tolerance: 1e-6);
        Assert.Equal(3.6111111 / 4, fromDelta[2], tolerance: 1e-6);
    }
}
