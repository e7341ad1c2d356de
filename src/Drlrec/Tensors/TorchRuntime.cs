using static TorchSharp.torch;

namespace Drlrec.Tensors;

/// <summary>Process-wide libtorch settings that make a run repeat exactly.</summary>
public static class TorchRuntime
{
    /// <summary>
    /// Sets libtorch's thread count (0 keeps its default: all cores) and seeds its generator (weights, dropout), so that
    /// the same seed gives the same losses and weights on the same CPU with the same thread count.
    /// </summary>
    public static void Seed(int seed, int threads)
    {
        if (threads > 0) set_num_threads(threads);
        manual_seed(seed);
    }
}
