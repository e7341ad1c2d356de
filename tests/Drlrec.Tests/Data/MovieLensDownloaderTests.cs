using System.Security.Cryptography;
using Drlrec.Data;
using Drlrec.Testing;

namespace Drlrec.Tests.Data;

public sealed class MovieLensDownloaderTests : IDisposable
{
    private readonly TemporaryFolder temp = new();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose()
    {
        http.Dispose();
        temp.Dispose();
    }

    private sealed class RecordingProgress : IProgress<double>
    {
        private readonly List<double> values = [];
        public void Report(double value)
        {
            lock (values) values.Add(value);
        }
        public double[] Values
        {
            get { lock (values) return [.. values]; }
        }
    }

    [MovieLensFact]
    public async Task Downloads_verifies_and_installs_the_data_set()
    {
        string movieLens = SharedData.MovieLens100K;
        using var server = new LoopbackHttpServer(new() { ["/ml-100k.zip"] = MovieLensArchive.Zip(movieLens) });
        string target = temp["data"];
        var progress = new RecordingProgress();

        string installed = await MovieLensDownloader.DownloadAsync(server.UrlOf("ml-100k.zip"), target, http, progress, CancellationToken.None);

        Assert.Equal(Path.Combine(target, "ml-100k"), installed);
        Assert.Equal(["ml-100k"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName)); // no temporary files
        MovieLensDownloader.Verify(installed);
        Assert.Equal(MovieLensDownloader.ExpectedSha256.Keys.Order(), Directory.GetFiles(installed).Select(Path.GetFileName).Order());
        Assert.Equal(1.0, progress.Values[^1]);
        Assert.True(progress.Values.Zip(progress.Values.Skip(1)).All(p => p.First <= p.Second), "progress never goes back");
        Assert.Equal(100_000, MovieLensReader.Read(installed, new ReadOptions()).ItemCount);

        // Already there and verified: nothing is fetched again (this URL would be a 404).
        Assert.Equal(installed, await MovieLensDownloader.DownloadAsync(server.UrlOf("gone.zip"), target, http, null, CancellationToken.None));
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public void The_test_archive_covers_every_verified_file()
    {
        Assert.Equal(MovieLensDownloader.ExpectedSha256.Keys.Order(), MovieLensArchive.VerifiedFiles.Order());
    }

    [MovieLensFact]
    public async Task A_corrupted_file_fails_with_both_hashes_and_leaves_nothing()
    {
        string movieLens = SharedData.MovieLens100K;
        byte[] data = File.ReadAllBytes(Path.Combine(movieLens, "u.data"));
        data[data.Length / 2] ^= 0x20;
        string actual = Convert.ToHexStringLower(SHA256.HashData(data));
        using var server = new LoopbackHttpServer(new() { ["/ml-100k.zip"] = MovieLensArchive.Zip(movieLens, corrupt: "u.data") });
        string created = temp["new"];
        string existing = temp["existing"];
        Directory.CreateDirectory(existing);

        foreach (string target in new[] { created, existing })
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
                MovieLensDownloader.DownloadAsync(server.UrlOf("ml-100k.zip"), target, http, null, CancellationToken.None));

            Assert.Contains("'u.data'", e.Message);
            Assert.Contains(MovieLensDownloader.ExpectedSha256["u.data"], e.Message);
            Assert.Contains(actual, e.Message);
        }
        Assert.False(Directory.Exists(created)); // the folder the call created is gone again
        Assert.Empty(Directory.GetFileSystemEntries(existing)); // the folder that was there is left as it was
    }

    [Fact]
    public async Task An_http_error_fails_cleanly()
    {
        using var server = new LoopbackHttpServer([]);
        string target = temp["data"];

        var e = await Assert.ThrowsAsync<HttpRequestException>(() =>
            MovieLensDownloader.DownloadAsync(server.UrlOf("ml-100k.zip"), target, http, null, CancellationToken.None));

        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains("ml-100k.zip", e.Message);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task Something_that_is_not_a_zip_fails_cleanly()
    {
        using var server = new LoopbackHttpServer(new() { ["/ml-100k.zip"] = "<html>moved</html>"u8.ToArray() });
        string target = temp["data"];

        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            MovieLensDownloader.DownloadAsync(server.UrlOf("ml-100k.zip"), target, http, null, CancellationToken.None));

        Assert.Contains("did not deliver a zip archive", e.Message);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task An_existing_folder_that_does_not_verify_is_not_touched()
    {
        using var server = new LoopbackHttpServer([]);
        string target = temp["data"];
        string own = Path.Combine(target, "ml-100k", "u.data");
        Directory.CreateDirectory(Path.GetDirectoryName(own)!);
        File.WriteAllText(own, "mine");

        var e = await Assert.ThrowsAsync<IOException>(() =>
            MovieLensDownloader.DownloadAsync(server.UrlOf("ml-100k.zip"), target, http, null, CancellationToken.None));

        Assert.Contains("already exists", e.Message);
        Assert.Equal("mine", File.ReadAllText(own));
        Assert.Equal(0, server.Requests);
    }
}
