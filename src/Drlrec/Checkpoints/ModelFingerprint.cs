using System.Security.Cryptography;
using Drlrec.IO;
using Drlrec.Model;

namespace Drlrec.Checkpoints;

/// <summary>
/// What identifies a model's computation: the SHA-256 (64 lower-case hex digits) of its online network's weights in
/// TorchSharp's format (every parameter and buffer with its name, type, shape and values, in module order), i.e. the
/// bytes of the <c>online.weights</c> entry of its <c>model.ckpt</c>
/// (<c>unzip -p model.ckpt online.weights | sha256sum</c>). Exported ONNX graphs carry it (<c>drlrec.model_sha256</c>)
/// so that a graph is never paired with another model's checkpoint.
/// <para>The weights, not the file: the same weights saved again (another epoch number, name, run config or zip
/// timestamp in the header) keep the fingerprint, while any changed weight changes it. The vocabulary and the
/// architecture's settings are not hashed: trained weights already differ between any two trainings, and the vocabulary a
/// checkpoint serves with is its own.</para>
/// </summary>
public static class ModelFingerprint
{
    /// <summary>Hex digits of the fingerprint shown in messages (enough to tell models apart at a glance).</summary>
    public const int ShortLength = 12;

    /// <summary>The fingerprint of <paramref name="online"/>'s weights as they are now.</summary>
    public static string Of(QNetwork online)
    {
        using var weights = ChecksummedZip.Binary(writer => online.save(writer));
        return Convert.ToHexStringLower(SHA256.HashData(weights));
    }

    /// <summary>The first <see cref="ShortLength"/> hex digits, for messages.</summary>
    public static string Short(string fingerprint) => fingerprint.Length > ShortLength ? fingerprint[..ShortLength] : fingerprint;
}
