using static TorchSharp.torch;
using Drlrec.Model;

namespace Drlrec.Benchmarking;

/// <summary>
/// The machine's GEMM rate at a model's shapes through libtorch (the torch backend's yardstick, as
/// <see cref="Onnx.OnnxGemmProbe"/> is ONNX Runtime's): one call multiplies inputs of <c>rows</c> rows by each of
/// <see cref="MacCount.PerCandidateStepWeights"/>, <c>repeats</c> times, at libtorch's current thread count.
/// </summary>
public sealed class TorchGemmProbe : IDisposable
{
    private readonly (Tensor Input, Tensor Weight)[] products;

    public TorchGemmProbe(QNetwork network, int rows, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var generator = new Generator(7);
        products = Enumerable.Range(0, repeats).SelectMany(_ => MacCount.PerCandidateStepWeights.Select(key =>
        {
            var weight = network.get_parameter(key)!.detach().clone();
            return (rand([rows, weight.shape[1]], generator: generator).DetachFromDisposeScope(), weight.DetachFromDisposeScope());
        })).ToArray();
        Macs = (long)repeats * rows * MacCount.StepLinear(network);
    }

    /// <summary>MACs of one <see cref="Run"/>.</summary>
    public long Macs { get; }

    public void Run()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (input, weight) in products) nn.functional.linear(input, weight).data<float>();
    }

    public void Dispose()
    {
        foreach (var (input, weight) in products)
        {
            input.Dispose();
            weight.Dispose();
        }
    }
}
