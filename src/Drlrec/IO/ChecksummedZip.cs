using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Drlrec.IO;

/// <summary>
/// The container of every file drlrec writes to read back later (<c>model.ckpt</c>, <c>resume.ckpt</c>, prepared data): a
/// zip whose comment is the SHA-256 (64 hex digits) of every byte of the file before the comment, written to a temp file
/// and renamed into place. A flipped bit anywhere (weights, JSON, zip structure) is refused at read, naming the file. The
/// comment's length is fixed, so the hashed bytes do not depend on the hash written after them.
/// </summary>
public static class ChecksummedZip
{
    private const int HashChars = 64;

    /// <summary>Writes the zip <paramref name="fill"/> makes to a temp file (entries compressed as they are written, so a
    /// large file is never held in memory whole), stamps its checksum over the placeholder comment and renames it into place.</summary>
    public static void Write(string path, Action<ZipArchive> fill) => AtomicFile.Write(path, stream =>
    {
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.Comment = new string('0', HashChars);
            fill(zip);
        }
        long hashed = stream.Length - HashChars;
        stream.Position = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 16];
        for (long left = hashed; left > 0;)
        {
            int read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, left));
            if (read == 0) throw new EndOfStreamException($"{path}: the file being written ended early");
            sha.AppendData(chunk, 0, read);
            left -= read;
        }
        stream.Position = hashed;
        stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha.GetHashAndReset())));
    });

    /// <summary>Refuses a file whose bytes do not match the SHA-256 in its comment.</summary>
    public static void Verify(string path, byte[] file)
    {
        string stored = file.Length > HashChars ? Encoding.ASCII.GetString(file, file.Length - HashChars, HashChars) : "";
        if (!string.Equals(stored, Hash(file), StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: checksum mismatch, the file is corrupted (its SHA-256 differs from the one written with it); retrain or restore a copy");
    }

    /// <summary>SHA-256 of the bytes before the trailing comment, as lower-case hex.</summary>
    private static string Hash(byte[] file) =>
        Convert.ToHexStringLower(SHA256.HashData(file.AsSpan(0, Math.Max(0, file.Length - HashChars))));

    public static void WriteJson<T>(ZipArchive zip, string name, T value)
    {
        using var entry = zip.CreateEntry(name).Open();
        JsonSerializer.Serialize(entry, value, Json.Options);
    }

    public static T ReadJson<T>(ZipArchive zip, string path, string name)
    {
        using var entry = Entry(zip, path, name).Open();
        return JsonSerializer.Deserialize<T>(entry, Json.Lenient) ?? throw new InvalidDataException($"{path}: empty {name}");
    }

    public static ZipArchiveEntry Entry(ZipArchive zip, string path, string name) =>
        zip.GetEntry(name) ?? throw new InvalidDataException($"{path}: missing {name}");

    /// <summary>The bytes <paramref name="write"/> produces, in memory, positioned at the start.</summary>
    public static MemoryStream Binary(Action<BinaryWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) write(writer);
        buffer.Position = 0;
        return buffer;
    }

    /// <summary>An entry of bytes written by <paramref name="write"/>, compressed (fast) as they come (through a buffer: a
    /// writer's many small writes would each cost a call into the compressor).</summary>
    public static void WriteBinary(ZipArchive zip, string name, Action<BinaryWriter> write)
    {
        using var entry = new BufferedStream(zip.CreateEntry(name, CompressionLevel.Fastest).Open(), BufferBytes);
        using var writer = new BinaryWriter(entry, Encoding.UTF8, leaveOpen: true);
        write(writer);
    }

    /// <summary>Reads an entry written by <see cref="WriteBinary"/>, decompressed as it is read (through a buffer).</summary>
    public static T ReadBinary<T>(ZipArchive zip, string path, string name, Func<BinaryReader, T> read)
    {
        using var entry = new BufferedStream(Entry(zip, path, name).Open(), BufferBytes);
        using var reader = new BinaryReader(entry, Encoding.UTF8, leaveOpen: true);
        return read(reader);
    }

    private const int BufferBytes = 1 << 16;
}
