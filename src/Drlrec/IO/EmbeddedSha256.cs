using System.Security.Cryptography;
using System.Text;

namespace Drlrec.IO;

/// <summary>
/// A checksum a file carries of its own bytes, for files whose format leaves no room after the content (an ONNX graph's
/// metadata, a JSON document): the SHA-256, as 64 lower-case hex digits stored somewhere in the file, of every byte of the
/// file with those 64 digits read as '0'. The writer stores <see cref="Placeholder"/> where the digits go, then
/// <see cref="Stamp"/> overwrites it; a reader finds where the digits are and asks <see cref="Holds"/>. Any changed byte
/// (the digits included) makes the file fail the check, and the file needs nothing beside it, so a copy or rename of it
/// stays checkable. (<see cref="ChecksummedZip"/> does the same for zips, whose comment comes after every hashed byte.)
/// </summary>
public static class EmbeddedSha256
{
    /// <summary>Hex digits of a SHA-256.</summary>
    public const int Length = 64;

    /// <summary>What the writer stores where the digits go, and what they are read as when hashing.</summary>
    public static string Placeholder { get; } = new('0', Length);

    private static readonly byte[] PlaceholderBytes = Encoding.ASCII.GetBytes(Placeholder);

    /// <summary>Writes into <paramref name="file"/>[<paramref name="at"/>..+64] the checksum of <paramref name="file"/>,
    /// where <see cref="Placeholder"/> is now.</summary>
    /// <exception cref="InvalidOperationException">The placeholder is not at <paramref name="at"/> (a writer's mistake).</exception>
    public static void Stamp(byte[] file, int at)
    {
        if (at < 0 || at > file.Length - Length || !file.AsSpan(at, Length).SequenceEqual(PlaceholderBytes))
            throw new InvalidOperationException($"no checksum placeholder at byte {at} of {file.Length}");
        Encoding.ASCII.GetBytes(Of(file, at), file.AsSpan(at, Length));
    }

    /// <summary>Whether <paramref name="file"/>[<paramref name="at"/>..+64] holds the checksum of <paramref name="file"/>.</summary>
    public static bool Holds(byte[] file, int at) =>
        at >= 0 && at <= file.Length - Length && file.AsSpan(at, Length).SequenceEqual(Encoding.ASCII.GetBytes(Of(file, at)));

    /// <summary>The SHA-256 of <paramref name="file"/> with its 64 bytes at <paramref name="at"/> read as '0', in hex.</summary>
    private static string Of(byte[] file, int at)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(file, 0, at);
        sha.AppendData(PlaceholderBytes);
        sha.AppendData(file, at + Length, file.Length - at - Length);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
