using static TorchSharp.torch;

namespace Drlrec.Onnx;

/// <summary>Numeric precision of an exported graph's linear maps.</summary>
public enum OnnxPrecision
{
    /// <summary>float32 weights and arithmetic (the default).</summary>
    Float32,

    /// <summary>int8 weights, one scale per output channel; activations quantised to uint8 per call (dynamic
    /// quantisation); integer products summed in int32 and scaled back to float32. Embeddings, norms, attention scores
    /// and the nonlinearities stay float32.</summary>
    Int8,
}

/// <summary>The names of <see cref="OnnxPrecision"/> on the command line and in reports ("fp32", "int8").</summary>
public static class OnnxPrecisions
{
    public static string Name(OnnxPrecision precision) => precision == OnnxPrecision.Int8 ? "int8" : "fp32";

    /// <exception cref="ArgumentException">Not fp32/none or int8.</exception>
    public static OnnxPrecision Parse(string text) => text.ToLowerInvariant() switch
    {
        "int8" => OnnxPrecision.Int8,
        "fp32" or "float32" or "none" => OnnxPrecision.Float32,
        _ => throw new ArgumentException($"--quantize: '{text}' is not none or int8"),
    };
}

/// <summary>A weight quantised per output channel.</summary>
/// <param name="Transposed">[in, out] row-major int8 values (Wᵀ, the layout MatMul takes).</param>
/// <param name="Scales">[out] one scale per output channel: w ≈ value · scale.</param>
internal sealed record QuantizedWeight(sbyte[] Transposed, float[] Scales, int In, int Out);

/// <summary>Symmetric int8 quantisation of weights.</summary>
internal static class Int8Weights
{
    /// <summary>
    /// Per output channel j: scale_j = max_i |W[j, i]| / 127 and q = round(W / scale_j), in [-127, 127] (the zero point
    /// is 0, so the integer sums need no correction for the weight's offset; -128 is left out so the range is symmetric).
    /// A channel of zeros gets scale 1.
    /// </summary>
    /// <param name="weight">[out, in] (a PyTorch linear weight).</param>
    public static QuantizedWeight PerOutputChannel(Tensor weight)
    {
        if (weight.dim() != 2) throw new ArgumentException($"a linear weight has 2 dimensions, not {weight.dim()}");
        using var cpu = weight.detach().cpu().to_type(ScalarType.Float32).contiguous();
        int outputs = (int)cpu.shape[0], inputs = (int)cpu.shape[1];
        var w = cpu.data<float>().ToArray();
        var scales = new float[outputs];
        var values = new sbyte[inputs * outputs];
        for (int j = 0; j < outputs; j++)
        {
            float max = 0;
            for (int i = 0; i < inputs; i++) max = Math.Max(max, Math.Abs(w[j * inputs + i]));
            float scale = max > 0 ? max / 127f : 1f;
            scales[j] = scale;
            for (int i = 0; i < inputs; i++)
                values[i * outputs + j] = (sbyte)Math.Clamp(MathF.Round(w[j * inputs + i] / scale, MidpointRounding.ToEven), -127, 127);
        }
        return new QuantizedWeight(values, scales, inputs, outputs);
    }
}
