using System.IO.Compression;

namespace Drlrec.Testing;

/// <summary>Builds a zip shaped like GroupLens' ml-100k.zip (files under <c>ml-100k/</c>) from the shared copy.</summary>
public static class MovieLensArchive
{
    /// <summary>The files whose hashes the downloader checks.</summary>
    public static readonly string[] VerifiedFiles = ["README", "u.data", "u.genre", "u.info", "u.item", "u.occupation", "u.user"];

    /// <param name="movieLens">The shared MovieLens-100K folder.</param>
    /// <param name="corrupt">A file to alter by one bit (flipping a letter's case in the middle), or null.</param>
    public static byte[] Zip(string movieLens, string? corrupt = null)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.CreateEntry("ml-100k/");
            foreach (string name in VerifiedFiles)
            {
                byte[] bytes = File.ReadAllBytes(Path.Combine(movieLens, name));
                if (name == corrupt) bytes[bytes.Length / 2] ^= 0x20;
                using var entry = zip.CreateEntry("ml-100k/" + name).Open();
                entry.Write(bytes);
            }
            using (var other = zip.CreateEntry("elsewhere/ignored.txt").Open()) other.Write("not part of the data set"u8);
        }
        return memory.ToArray();
    }
}
