namespace Drlrec.Data;

/// <summary>
/// Writes a file so that readers only ever see the old file or the complete new one: the content goes to a
/// temporary file in the same folder (same file system, so the final rename is atomic), which replaces the target
/// only once it is complete and flushed. A killed or failed run leaves no partial target behind.
/// </summary>
public static class AtomicFile
{
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' names no file");
        Directory.CreateDirectory(folder);
        string temporary = TemporaryPathFor(fullPath);
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A hidden, unique name beside the target: <c>.name.&lt;random&gt;.tmp</c>.</summary>
    public static string TemporaryPathFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
