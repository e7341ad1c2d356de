using TorchSharp;
using static TorchSharp.torch;

namespace Drlrec.Tensors;

/// <summary>
/// Tensor arithmetic with scalars that stay reachable for the whole native call. TorchSharp 0.107 hands a
/// <see cref="Scalar"/>'s native handle to libtorch without keeping the Scalar reachable, so a temporary one can be
/// finalized (by a garbage collection another thread triggers) while libtorch still reads it. Temporaries come from
/// numbers converted implicitly (<c>x &gt; 0</c>, <c>1 - x</c>, <c>x * 0.5</c>) and also from <c>a + b</c>, which passes
/// a made-up alpha of 1 (<c>a - b</c> does not). Under allocation pressure that fails with "Expected false to be true"
/// from c10::Scalar::toDouble, or silently reads a freed value. Model, learner and loss code use these helpers
/// instead (held constants, or a scalar the helper keeps alive until the call returns); upstream: dotnet/TorchSharp
/// PRs 1434 and 1496.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar True = true.ToScalar();
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>1 - a (negation is exact, so this equals 1 - a bit for bit).</summary>
    public static Tensor OneMinus(this Tensor a) => a.neg().add(One, One);

    /// <summary>a · c.</summary>
    public static Tensor Times(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.mul(s);
    }

    /// <summary>a / c.</summary>
    public static Tensor DividedBy(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.div(s);
    }

    /// <summary>a + c.</summary>
    public static Tensor PlusScalar(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.add(s, One);
    }

    /// <summary>a &gt; c.</summary>
    public static Tensor GreaterThan(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.gt(s);
    }

    /// <summary>a &lt; c.</summary>
    public static Tensor LessThan(this Tensor a, double c)
    {
        using var s = c.ToScalar();
        return a.lt(s);
    }
}
