using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Drlrec.IO;

namespace Drlrec.Serving;

/// <summary>What <see cref="BatchRanking.Run"/> did; <paramref name="SkippedExamples"/>: the first refused lines
/// (<c>FILE:LINE: field: reason</c>), at most <see cref="BatchRanking.SkippedExamples"/>.</summary>
public sealed record BatchRankResult(ModelInfo Model, long Ranked, long Skipped, double Seconds, IReadOnlyList<string> SkippedExamples)
{
    public double RequestsPerSecond => Seconds > 0 ? Ranked / Seconds : 0;
}

/// <summary>
/// <c>drlrec rank</c> as a library call: re-ranks a file of requests in the /v1/rank request shape (JSON lines) into a
/// file of answers in the /v1/rank answer shape, one line per request in the same order, with the service's own request
/// reader and ranker pool (so a request is valid here exactly when the service would take it). Requests are ranked in
/// parallel on <see cref="ServeOptions.Workers"/> scorers; the output is written atomically (nothing on failure). Each
/// answer carries its request's input line (<see cref="RankResponse.Line"/>), so that answers still line up with their
/// requests when refused lines are skipped.
/// </summary>
public static class BatchRanking
{
    /// <summary>Refused lines quoted in <see cref="BatchRankResult.SkippedExamples"/>.</summary>
    public const int SkippedExamples = 10;

    /// <summary>Requests read and ranked at a time (their answers are written in order before the next chunk).</summary>
    private const int Chunk = 256;

    /// <param name="skipBadRecords">Skip (and count) requests the service would refuse instead of stopping at the first.</param>
    /// <param name="onRequest">Called after each chunk with the number of lines it held.</param>
    /// <exception cref="InvalidDataException">A line is not a valid request: the message names the file, line and field.</exception>
    public static BatchRankResult Run(ServeOptions options, string requests, string output, bool skipBadRecords = false,
        Action<int>? onRequest = null)
    {
        if (!File.Exists(requests)) throw new FileNotFoundException($"--requests: no file at {requests}");
        options = options with { HeavyWorkers = 0 };
        using var pool = new RankerPool(options);
        var reader = new RankRequestReader(pool.Schema, options);
        var clock = Stopwatch.StartNew();
        long ranked = 0, skipped = 0;
        var examples = new List<string>();
        AtomicFile.Write(output, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            int number = 0;
            foreach (var chunk in File.ReadLines(requests).Select(line => (Line: line, Number: ++number)).Chunk(Chunk))
            {
                var answers = new string?[chunk.Length];
                var errors = new RequestError?[chunk.Length];
                Parallel.For(0, chunk.Length, new ParallelOptions { MaxDegreeOfParallelism = options.Workers }, i =>
                {
                    if (string.IsNullOrWhiteSpace(chunk[i].Line)) return;
                    try
                    {
                        answers[i] = Rank(pool, reader, chunk[i].Line, chunk[i].Number);
                    }
                    catch (RequestError e)
                    {
                        errors[i] = e;
                    }
                });
                // The first refused line in file order, so the message does not depend on thread timing.
                for (int i = 0; i < chunk.Length; i++)
                    if (errors[i] is { } error)
                    {
                        string problem = $"{requests}:{chunk[i].Number}: {error.Message}";
                        if (!skipBadRecords) throw new InvalidDataException(problem, error);
                        skipped++;
                        if (examples.Count < SkippedExamples) examples.Add(problem);
                    }
                foreach (string? answer in answers)
                    if (answer is not null)
                    {
                        writer.Write(answer);
                        writer.Write('\n');
                        ranked++;
                    }
                onRequest?.Invoke(chunk.Length);
            }
            if (ranked == 0)
                throw new InvalidDataException(skipped > 0
                    ? $"{requests}: all {skipped} requests were refused (--skip-bad-records); nothing to write"
                    : $"{requests}: no requests (one JSON object per line)");
        });
        return new BatchRankResult(pool.Info, ranked, skipped, clock.Elapsed.TotalSeconds, examples);
    }

    /// <summary>One request line (line <paramref name="number"/> of the file) to its answer line, or a <see cref="RequestError"/>.</summary>
    private static string Rank(RankerPool pool, RankRequestReader reader, string line, long number)
    {
        long start = Stopwatch.GetTimestamp();
        RankCall call;
        try
        {
            using var body = JsonDocument.Parse(line, RankRequestReader.BodyJson);
            call = reader.Read(body.RootElement);
        }
        catch (JsonException e)
        {
            throw new RequestError(400, "body", $"malformed JSON ({e.Message})");
        }
        Ranking.RankedSlate slate;
        try
        {
            slate = pool.RankAsync(call.Request, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
        catch (ArgumentException e)
        {
            throw new RequestError(400, RankRequestReader.FieldOf(e) ?? "body", e.Message);
        }
        var response = RankResponse.Of(call, slate, pool, Stopwatch.GetElapsedTime(start).TotalMilliseconds) with { Line = number };
        return JsonSerializer.Serialize(response, ServiceResponses.Json);
    }
}
