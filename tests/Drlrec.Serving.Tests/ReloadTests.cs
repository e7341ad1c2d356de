using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Drlrec.Serving.Tests.Support;
using Drlrec.Testing;

namespace Drlrec.Serving.Tests;

/// <summary>POST /admin/reload swaps the model under load without a failed request; a bad checkpoint changes nothing.</summary>
public sealed class ReloadTests
{
    [Fact]
    public async Task Reload_swaps_models_under_load_with_no_failed_request_and_a_bad_checkpoint_keeps_the_old_one()
    {
        using var folder = new TemporaryFolder();
        TinyModel.Train(folder["other"], seed: 6);
        string corrupted = folder["corrupted.ckpt"];
        var bytes = File.ReadAllBytes(Path.Combine(folder["other"], "model.ckpt"));
        bytes[bytes.Length / 3] ^= 0x01;
        File.WriteAllBytes(corrupted, bytes);

        await using var service = RankingService.Create(TinyService.Options());
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        string first = service.Model.Version;

        // Four clients rank continuously while the model is swapped; every answer must be a 200 naming a model.
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentBag<string>();
        var versions = new ConcurrentQueue<string>();
        int answered = 0;
        var load = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsJsonAsync("/v1/rank", Requests.Valid(candidates: 10, slateSize: 5, user: c));
                var body = await TinyService.Json(response);
                if (response.StatusCode != HttpStatusCode.OK) failures.Add($"{(int)response.StatusCode} {body}");
                else versions.Enqueue(body.GetProperty("model").GetProperty("version").GetString()!);
                Interlocked.Increment(ref answered);
            }
        })).ToArray();
        await Task.Delay(300);

        using var reloaded = await Reload(client, $$"""{"model": "{{folder["other"].Replace("\\", "\\\\")}}"}""");
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        var swap = await TinyService.Json(reloaded);
        string second = swap.GetProperty("model").GetProperty("version").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(first, swap.GetProperty("previous").GetProperty("version").GetString());
        Assert.Equal(second, service.Model.Version);
        await Task.Delay(300);

        using var refused = await Reload(client, $$"""{"model": "{{corrupted.Replace("\\", "\\\\")}}"}""");
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        string error = (await TinyService.Json(refused)).GetProperty("error").GetString()!;
        Assert.Contains("checksum", error);
        Assert.Contains($"{second} keeps serving", error);
        Assert.Equal(second, service.Model.Version);
        using var malformed = await Reload(client, """{"model": 3}""");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        await Task.Delay(300);

        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Empty(failures);
        var seen = versions.ToArray();
        Assert.True(answered > 20, $"{answered} requests answered");
        Assert.Contains(first, seen);
        Assert.Contains(second, seen);
        Assert.Equal(second, seen[^1]);
        var metrics = new PrometheusText(await client.GetStringAsync("/metrics"));
        Assert.Equal(1, metrics["drlrec_serving_model_reloads_total"]);                 // the refused checkpoint is no reload
        var info = Assert.Single(metrics.Series("drlrec_serving_model_info"));          // the replaced model's series is gone
        Assert.Equal(($$"""drlrec_serving_model_info{backend="torch",name="tiny",version="{{second}}"}""", 1.0), (info.Key, info.Value));
    }

    [Fact]
    public async Task With_the_onnx_backend_a_reload_never_ranks_with_another_models_graph()
    {
        using var folder = new TemporaryFolder();
        string other = TinyModel.OtherFolder;
        string servedGraph = Export(TinyModel.Folder, folder["tiny.onnx"]), otherGraph = Export(other, folder["other.onnx"]);
        string otherCheckpoint = Path.Combine(other, "model.ckpt");
        await using var service = RankingService.Create(TinyService.Options() with { Backend = "onnx", OnnxFile = servedGraph });
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        string first = service.Model.Version;
        var before = await RankQ(client);

        // The issue's case: another checkpoint with the served graph would rank with this model's graph under its name.
        using var refused = await Reload(client, $$"""{"model": {{Quoted(other)}}}""");
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        var error = await TinyService.Json(refused);
        Assert.StartsWith($"model not reloaded, {first} keeps serving: {servedGraph} does not belong to {otherCheckpoint}: the graph " +
                          "was exported from 'tiny' (weights sha256 ", error.GetProperty("error").GetString());
        Assert.EndsWith("""; a reload names the new model's graph with {"model": "DIR", "onnx": "FILE"}""", error.GetProperty("error").GetString());
        Assert.Equal("onnx", error.GetProperty("field").GetString());
        Assert.Equal(first, service.Model.Version);
        Assert.Equal(before, await RankQ(client));

        // Named with its own graph, the new checkpoint serves, and ranks as the new model does with TorchSharp.
        using var swapped = await Reload(client, $$"""{"model": {{Quoted(other)}}, "onnx": {{Quoted(otherGraph)}}}""");
        Assert.Equal(HttpStatusCode.OK, swapped.StatusCode);
        string second = service.Model.Version;
        Assert.NotEqual(first, second);
        var after = await RankQ(client);
        Assert.NotEqual(before, after);
        Assert.Equal(await TorchQ(other), after, (a, b) => Math.Abs(a - b) < 1e-4);

        // An empty body reloads the pair serving now (the new checkpoint with its graph), not the start-up graph.
        using var again = await Reload(client, "");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(second, service.Model.Version);

        // A graph named with a checkpoint it does not belong to is refused too.
        using var mismatched = await Reload(client, $$"""{"model": {{Quoted(TinyModel.Folder)}}, "onnx": {{Quoted(otherGraph)}}}""");
        Assert.Equal((HttpStatusCode)422, mismatched.StatusCode);
        Assert.Contains($"{otherGraph} does not belong to {Path.Combine(TinyModel.Folder, "model.ckpt")}",
            (await TinyService.Json(mismatched)).GetProperty("error").GetString());
        Assert.Equal(second, service.Model.Version);
        Assert.Equal(after, await RankQ(client));
        var metrics = new PrometheusText(await client.GetStringAsync("/metrics"));
        Assert.Equal(2, metrics["drlrec_serving_model_reloads_total"]);
    }

    [Fact]
    public async Task A_reload_body_with_an_unknown_key_is_a_400_as_on_v1_rank_and_reloads_nothing()
    {
        await using var service = RankingService.Create(TinyService.Options() with { Workers = 1 });
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        string version = service.Model.Version;

        foreach (var (body, field, message) in new[]
                 {
                     ("""{"modle": "x"}""", "modle", "modle: unknown field (expected model, onnx)"),
                     ($$"""{"model": {{Quoted(TinyModel.Folder)}}, "model": "x"}""", "model", "model: appears twice"),
                     ("""{"onnx": "tiny.onnx"}""", "onnx", "onnx: a graph is used only with --backend onnx, and the backend is torch " +
                         "(it ranks with the checkpoint's network); to rank with the graph, run with --backend onnx; otherwise leave onnx out"),
                 })
        {
            using var response = await Reload(client, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await TinyService.Json(response);
            Assert.Equal((message, field), (error.GetProperty("error").GetString(), error.GetProperty("field").GetString()));
        }
        // /v1/rank refuses a misspelt key the same way.
        var request = Requests.Valid();
        request["slate_sise"] = 3;
        using var rank = await client.PostAsJsonAsync("/v1/rank", request);
        Assert.Equal(HttpStatusCode.BadRequest, rank.StatusCode);
        Assert.StartsWith("slate_sise: unknown field (expected ", (await TinyService.Json(rank)).GetProperty("error").GetString());

        Assert.Equal(version, service.Model.Version);
        var metrics = new PrometheusText(await client.GetStringAsync("/metrics"));
        Assert.Equal(0, metrics["drlrec_serving_model_reloads_total"]);
    }

    /// <summary>
    /// Issue 28: a copy of an export with 16 bytes XORed at 90% of its slate graph was reloaded (200, the same version) and
    /// ranked differently. Every file's own checksum refuses it: 422 naming the file in the field onnx, and so is any graph
    /// that cannot be opened (not a graph, no file), while the old model keeps answering the same Q-values. At start, the
    /// same damaged graph stops the service.
    /// </summary>
    [Fact]
    public async Task A_graph_with_flipped_bytes_is_refused_at_start_and_on_reload_naming_the_file_and_the_old_model_keeps_serving()
    {
        using var folder = new TemporaryFolder();
        string exported = Export(TinyModel.Folder, folder["s8.onnx"]);
        foreach (string file in Directory.GetFiles(folder.Path, "s8.*")) File.Copy(file, file.Replace("s8.", "x."));
        string damaged = folder["x.slate.onnx"], graph = folder["x.onnx"];
        var bytes = File.ReadAllBytes(damaged);
        for (int i = 0; i < 16; i++) bytes[bytes.Length * 9 / 10 + i] ^= 0x5A;
        File.WriteAllBytes(damaged, bytes);

        var startError = Assert.Throws<InvalidDataException>(() => RankingService.Create(TinyService.Options() with { Backend = "onnx", OnnxFile = graph }));
        Assert.StartsWith($"{damaged}: checksum mismatch, the file is corrupted", startError.Message);

        await using var service = RankingService.Create(TinyService.Options() with { Backend = "onnx", OnnxFile = exported });
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        string first = service.Model.Version;
        var before = await RankQ(client);

        string notAGraph = folder.Write("garbage.onnx", "not a graph");
        foreach (var (onnx, problem) in new[]
                 {
                     (graph, $"{damaged}: checksum mismatch, the file is corrupted"),
                     (notAGraph, $"{notAGraph}: ONNX Runtime cannot load it"),
                     (folder["missing.onnx"], $"--onnx: no file at {folder["missing.onnx"]}"),
                 })
        {
            using var refused = await Reload(client, $$"""{"model": {{Quoted(TinyModel.Folder)}}, "onnx": {{Quoted(onnx)}}}""");
            Assert.Equal((HttpStatusCode)422, refused.StatusCode);
            var error = await TinyService.Json(refused);
            Assert.Equal("onnx", error.GetProperty("field").GetString());
            Assert.StartsWith($"model not reloaded, {first} keeps serving: {problem}", error.GetProperty("error").GetString());
            Assert.Equal(first, service.Model.Version);
            Assert.Equal(before, await RankQ(client));
        }

        File.Copy(Onnx.OnnxExporter.SlatePathFor(exported), damaged, overwrite: true); // restored, the copy reloads
        using var reloaded = await Reload(client, $$"""{"model": {{Quoted(TinyModel.Folder)}}, "onnx": {{Quoted(graph)}}}""");
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.Equal(before, await RankQ(client));
    }

    /// <summary>A client tells which precision answered: the version adds the precision and the step graph's own hash (what
    /// sha256sum prints) to the checkpoint's.</summary>
    [Fact]
    public void The_float32_and_int8_exports_of_one_checkpoint_answer_under_different_versions()
    {
        using var folder = new TemporaryFolder();
        using var model = Checkpoints.ModelCheckpoint.Load(TinyModel.Folder);
        var options = TinyService.Options() with { Workers = 1, HeavyWorkers = 0 };
        static string Version(RankerPool pool)
        {
            using (pool) return pool.Info.Version;
        }
        string torch = Version(new RankerPool(options));
        foreach (var precision in new[] { Onnx.OnnxPrecision.Float32, Onnx.OnnxPrecision.Int8 })
        {
            string path = Onnx.OnnxExporter.Export(model, folder[$"{precision}.onnx"], precision).Path;
            string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))[..12];
            Assert.Equal($"{torch}-{Onnx.OnnxPrecisions.Name(precision)}-{hash}",
                Version(new RankerPool(options with { Backend = "onnx", OnnxFile = path })));
        }
    }

    /// <summary>Exports a run folder's model to <paramref name="graph"/>.</summary>
    private static string Export(string run, string graph)
    {
        using var model = Checkpoints.ModelCheckpoint.Load(run);
        return Onnx.OnnxExporter.Export(model, graph).Path;
    }

    private static string Quoted(string path) => System.Text.Json.JsonSerializer.Serialize(path);

    private static readonly string Request = Requests.Valid(candidates: 12, slateSize: 5).ToJsonString();

    /// <summary>The Q-values of the slate the service answers <see cref="Request"/> with.</summary>
    private static async Task<double[]> RankQ(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/rank", new StringContent(Request, Encoding.UTF8, "application/json"));
        var body = await TinyService.Json(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return body.GetProperty("slate").EnumerateArray().Select(e => e.GetProperty("q").GetDouble()).ToArray();
    }

    /// <summary>The Q-values of the slate the TorchSharp backend ranks <see cref="Request"/> into with the model of <paramref name="run"/>.</summary>
    private static async Task<double[]> TorchQ(string run)
    {
        var options = TinyService.Options() with { Model = run, Workers = 1, HeavyWorkers = 0 };
        using var pool = new RankerPool(options);
        using var body = System.Text.Json.JsonDocument.Parse(Request);
        var slate = await pool.RankAsync(new RankRequestReader(pool.Schema, options).Read(body.RootElement).Request, CancellationToken.None);
        return slate.Q.Select(q => (double)q).ToArray();
    }

    private static Task<HttpResponseMessage> Reload(HttpClient client, string body) =>
        client.PostAsync("/admin/reload", new StringContent(body, Encoding.UTF8, "application/json"));
}
