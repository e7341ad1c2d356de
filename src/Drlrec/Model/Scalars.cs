using TorchSharp;
using static TorchSharp.torch;

namespace Drlrec.Model;

/// <summary>
/// Scalars held for the whole process, and arithmetic that uses them. TorchSharp 0.107 hands a <see cref="Scalar"/>'s
/// native handle to libtorch without keeping the Scalar reachable, so a temporary one can be finalized while libtorch
/// still reads it. Temporaries come from numbers converted implicitly (<c>x &gt; 0</c>, <c>1 - x</c>) and also from
/// <c>a + b</c>, which passes a made-up alpha of 1 (<c>a - b</c> does not). Under allocation pressure (a busy server) that
/// fails with "Expected false to be true" from c10::Scalar::toDouble, or silently reads a freed value. The code that
/// scores candidates for the service uses these instead; upstream: dotnet/TorchSharp PRs 1434 and 1496.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>1 - a (negation is exact, so this equals 1 - a bit for bit).</summary>
    public static Tensor OneMinus(this Tensor a) => a.neg().add(One, One);
}
