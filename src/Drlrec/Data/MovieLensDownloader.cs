using System.IO.Compression;
using System.Security.Cryptography;

namespace Drlrec.Data;

/// <summary>
/// Fetches MovieLens-100K from GroupLens and installs it as <c>&lt;target&gt;/ml-100k</c>, only after every file
/// the readers use has matched its known SHA-256. The archive and the extracted files live in temporary names
/// beside the target until then, so a failed, corrupted or interrupted download leaves nothing behind that could
/// later be mistaken for the data set.
/// </summary>
public static class MovieLensDownloader
{
    public static Uri DefaultUrl { get; } = new("https://files.grouplens.org/datasets/movielens/ml-100k.zip");

    /// <summary>The folder the archive's files live under, and the name of the installed folder.</summary>
    public const string FolderName = "ml-100k";

    /// <summary>SHA-256 of the official files (computed on a verified copy of the 1998 release).</summary>
    public static IReadOnlyDictionary<string, string> ExpectedSha256 { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["README"] = "4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52",
        ["u.data"] = "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
        ["u.genre"] = "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
        ["u.info"] = "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b",
        ["u.item"] = "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
        ["u.occupation"] = "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d",
        ["u.user"] = "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
    };

    /// <summary>
    /// Downloads <paramref name="zipUrl"/> and installs its <c>ml-100k/</c> entries as <c>targetFolder/ml-100k</c>;
    /// returns that folder. When it already exists and verifies, nothing is downloaded.
    /// </summary>
    /// <param name="zipUrl">Where the archive is (normally <see cref="DefaultUrl"/>).</param>
    /// <param name="targetFolder">The folder that receives <c>ml-100k</c>; created when missing.</param>
    /// <param name="http">The client to download with (the caller owns its lifetime and timeouts).</param>
    /// <param name="progress">Receives the downloaded fraction (0..1) when the size is known, and 1 at the end.</param>
    /// <param name="cancellationToken">Stops the download; temporary files are removed.</param>
    /// <exception cref="InvalidDataException">The archive is not a zip, or a file is missing or fails its hash.</exception>
    /// <exception cref="HttpRequestException">The server did not deliver the file.</exception>
    /// <exception cref="IOException">The target exists, is not empty and does not verify.</exception>
    public static async Task<string> DownloadAsync(Uri zipUrl, string targetFolder, HttpClient http, IProgress<double>? progress,
                                                   CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zipUrl);
        ArgumentNullException.ThrowIfNull(http);
        string target = Path.GetFullPath(targetFolder);
        string installed = Path.Combine(target, FolderName);
        if (Directory.Exists(installed) && Directory.EnumerateFileSystemEntries(installed).Any())
        {
            string? problem = FirstProblem(installed);
            if (problem is not null)
                throw new IOException($"'{installed}' already exists and is not a verified MovieLens-100K copy ({problem}); " +
                                      "remove it or choose another folder");
            progress?.Report(1);
            return installed;
        }

        bool createdTarget = !Directory.Exists(target);
        Directory.CreateDirectory(target);
        string unique = Guid.NewGuid().ToString("N");
        string archive = Path.Combine(target, $".{FolderName}.{unique}.zip.part");
        string staging = Path.Combine(target, $".{FolderName}.{unique}.tmp");
        bool installedNow = false;
        try
        {
            await DownloadFileAsync(zipUrl, archive, http, progress, cancellationToken);
            Extract(archive, staging, zipUrl);
            if (FirstProblem(staging) is { } problem) throw new InvalidDataException(problem);
            if (Directory.Exists(installed)) Directory.Delete(installed); // empty, checked above
            Directory.Move(staging, installed);
            installedNow = true;
            progress?.Report(1);
            return installed;
        }
        finally
        {
            DeleteQuietly(() => File.Delete(archive), archive);
            if (!installedNow)
            {
                DeleteQuietly(() => Directory.Delete(staging, recursive: true), staging);
                if (createdTarget) DeleteQuietly(() => Directory.Delete(target), target); // only succeeds if left empty
            }
        }
    }

    /// <summary>Checks a MovieLens-100K folder against the known hashes; throws on the first mismatch.</summary>
    /// <exception cref="InvalidDataException">A file is missing or fails its hash.</exception>
    public static void Verify(string folder)
    {
        if (FirstProblem(folder) is { } problem) throw new InvalidDataException(problem);
    }

    /// <summary>The first file that is missing or does not match, described; null when all match.</summary>
    private static string? FirstProblem(string folder)
    {
        foreach (var (name, expected) in ExpectedSha256)
        {
            string file = Path.Combine(folder, name);
            string actual = File.Exists(file) ? Sha256Of(file) : "(file missing)";
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                return $"MovieLens-100K file '{name}' does not verify: expected SHA-256 {expected}, actual {actual}";
        }
        return null;
    }

    public static string Sha256Of(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static async Task DownloadFileAsync(Uri url, string destination, HttpClient http, IProgress<double>? progress,
                                                CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException(
                $"downloading {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        long? total = response.Content.Headers.ContentLength;
        await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[81920];
        long received = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            received += read;
            if (total is > 0) progress?.Report(Math.Min(1.0, received / (double)total.Value));
        }
        if (total is { } expected && received != expected)
            throw new HttpRequestException($"downloading {url} stopped after {received} of {expected} bytes");
    }

    /// <summary>Extracts the <c>ml-100k/</c> entries into <paramref name="staging"/>, refusing paths that escape it.</summary>
    private static void Extract(string archive, string staging, Uri source)
    {
        Directory.CreateDirectory(staging);
        string root = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(archive);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source} did not deliver a zip archive ({e.Message})", e);
        }
        using (zip)
        {
            const string prefix = FolderName + "/";
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.StartsWith(prefix, StringComparison.Ordinal)) continue;
                string relative = entry.FullName[prefix.Length..];
                if (relative.Length == 0 || relative.EndsWith('/')) continue; // folder entries
                string destination = Path.GetFullPath(Path.Combine(staging, relative));
                if (!destination.StartsWith(root, StringComparison.Ordinal))
                    throw new InvalidDataException($"zip entry '{entry.FullName}' points outside the data folder");
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                entry.ExtractToFile(destination);
            }
        }
    }

    private static void DeleteQuietly(Action delete, string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) return;
        try
        {
            delete();
        }
        catch (IOException)
        {
            // Not empty or in use: leave it rather than hide the original error.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
