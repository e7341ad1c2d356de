using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drlrec.Cli.Tests.Support;
using Drlrec.Serving;
using Drlrec.Testing;

namespace Drlrec.Cli.Tests.Commands;

/// <summary><c>drlrec rank</c> through real command lines: answers in order and in the service's shape, bad lines named.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RankCommandTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>Requests r-0, r-1, ... of growing size, one JSON object per line.</summary>
    private string RequestsFile(string name, int count, Func<int, JsonObject, JsonObject>? change = null) =>
        folder.Write(name, [.. Enumerable.Range(0, count).Select(i =>
        {
            var request = Requests.Valid(candidates: 6 + i, slateSize: 3 + i % 3, user: i);
            request["request_id"] = $"r-{i}";
            return (change?.Invoke(i, request) ?? request).ToJsonString();
        })]);

    [Fact]
    public async Task Rank_answers_every_request_in_order_exactly_as_the_service_does()
    {
        string requests = RequestsFile("requests.jsonl", 20), output = folder["answers.jsonl"];
        var (code, text) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", requests, "--out", output, "--threads", "2");

        Assert.Equal(0, code);
        Assert.Contains("ranked 20 requests", text);
        Assert.Contains("requests/s", text);
        var answers = File.ReadAllLines(output).Select(line => JsonDocument.Parse(line).RootElement).ToArray();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"r-{i}"), answers.Select(a => a.GetProperty("request_id").GetString()));
        Assert.All(answers.Select((a, i) => (a, i)), x => Assert.Equal(3 + x.i % 3, x.a.GetProperty("slate").GetArrayLength()));

        await using var service = RankingService.Create(TinyService.Options() with { Workers = 1 });
        await service.StartAsync();
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        foreach (int i in new[] { 0, 7, 19 })
        {
            using var response = await client.PostAsync("/v1/rank",
                new StringContent(File.ReadLines(requests).ElementAt(i), System.Text.Encoding.UTF8, "application/json"));
            var served = await TinyService.Json(response);
            // Same order and items; Q to float precision (libtorch's thread count, process-wide, may differ between the two).
            var (a, b) = (served.GetProperty("slate").EnumerateArray().ToArray(), answers[i].GetProperty("slate").EnumerateArray().ToArray());
            Assert.Equal(a.Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("item").GetString())),
                         b.Select(e => (e.GetProperty("index").GetInt32(), e.GetProperty("item").GetString())));
            Assert.All(a.Zip(b), p => Assert.Equal(p.First.GetProperty("q").GetDouble(), p.Second.GetProperty("q").GetDouble(), 4));
            Assert.Equal(served.GetProperty("model").GetProperty("version").GetString(), answers[i].GetProperty("model").GetProperty("version").GetString());
            Assert.False(served.TryGetProperty("line", out _)); // only rank's answers carry their input line
        }
    }

    [Fact]
    public void A_bad_line_stops_with_the_file_line_and_field_and_writes_nothing_unless_skipped()
    {
        string requests = RequestsFile("mixed.jsonl", 6, (i, r) =>
        {
            if (i == 2) r["slate_size"] = 0;
            if (i == 4) r.Remove("user");
            return r;
        });
        string output = folder["out.jsonl"];

        var (code, text, errors) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", requests, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains($"{requests}:3: slate_size: must be at least 1", errors);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.EnumerateFiles(folder.Path, "*.tmp*"));

        (code, text, _) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", requests, "--out", output, "--skip-bad-records");
        Assert.Equal(0, code);
        Assert.Contains("skipped 2 refused requests", text);
        Assert.Contains($"skipped {requests}:3: slate_size: must be at least 1", text);
        Assert.Contains($"skipped {requests}:5: user: missing", text);
        // The answers of the good lines, in input order, each with its request's line.
        var answers = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(["r-0", "r-1", "r-3", "r-5"], answers.Select(a => a.GetProperty("request_id").GetString()));
        Assert.Equal([1L, 2L, 4L, 6L], answers.Select(a => a.GetProperty("line").GetInt64()));

        string allBad = RequestsFile("bad.jsonl", 2, (_, r) => { r["slate_size"] = -1; return r; });
        (code, _, errors) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", allBad, "--out", folder["none.jsonl"], "--skip-bad-records");
        Assert.Equal(1, code);
        Assert.Contains("all 2 requests were refused", errors);
        Assert.False(File.Exists(folder["none.jsonl"]));
    }

    /// <summary>A request file line with the same item twice is refused as the service refuses it (never ranked as two
    /// items): the file, the line, the field and both indices.</summary>
    [Fact]
    public void A_line_with_the_same_item_twice_stops_with_the_file_line_field_and_both_indices()
    {
        string requests = RequestsFile("duplicates.jsonl", 4, (i, r) =>
        {
            if (i == 2) r["candidates"]![4] = Requests.Candidate(1);
            return r;
        });
        string output = folder["out.jsonl"];

        var (code, _, errors) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", requests, "--out", output);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: {requests}:3: candidates[4].item_id: 'i1' is already candidates[1].item_id: each item may be a candidate once", errors);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Rank_with_the_onnx_backend_takes_only_the_models_own_graph_and_then_answers_as_torch()
    {
        string requests = RequestsFile("requests.jsonl", 6), own = folder["tiny.onnx"], other = folder["other.onnx"];
        Assert.Equal(0, CliRunner.Run("export", "--model", TinyModel.Folder, "--out", own).Code);
        Assert.Equal(0, CliRunner.Run("export", "--model", TinyModel.OtherFolder, "--out", other).Code);

        var (code, text, errors) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--backend", "onnx", "--onnx", other, "--requests", requests,
            "--out", folder["wrong.jsonl"]);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {other} does not belong to {Path.Combine(TinyModel.Folder, "model.ckpt")}", errors);
        Assert.False(File.Exists(folder["wrong.jsonl"]));

        (code, text, errors) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--backend", "onnx", "--onnx", own, "--requests", requests,
            "--out", folder["onnx.jsonl"]);
        Assert.True(code == 0, text + errors);
        Assert.Equal(0, CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", requests, "--out", folder["torch.jsonl"]).Code);
        foreach (var (byOnnx, byTorch) in File.ReadLines(folder["onnx.jsonl"]).Zip(File.ReadLines(folder["torch.jsonl"])))
        {
            var (a, b) = (JsonDocument.Parse(byOnnx).RootElement, JsonDocument.Parse(byTorch).RootElement);
            Assert.Equal("onnx", a.GetProperty("model").GetProperty("backend").GetString());
            var (x, y) = (a.GetProperty("slate").EnumerateArray().ToArray(), b.GetProperty("slate").EnumerateArray().ToArray());
            Assert.Equal(y.Select(e => e.GetProperty("index").GetInt32()), x.Select(e => e.GetProperty("index").GetInt32()));
            Assert.All(x.Zip(y), p => Assert.Equal(p.Second.GetProperty("q").GetDouble(), p.First.GetProperty("q").GetDouble(), 4));
        }
    }

    [Fact]
    public void Malformed_json_names_its_line()
    {
        string requests = folder.Write("broken.jsonl", Requests.Valid().ToJsonString(), "{\"user\": ");
        var (code, _, errors) = CliRunner.Run("rank", "--model", TinyModel.Folder, "--requests", requests, "--out", folder["o.jsonl"]);
        Assert.Equal(1, code);
        Assert.Contains($"{requests}:2: malformed JSON", errors);
    }
}
