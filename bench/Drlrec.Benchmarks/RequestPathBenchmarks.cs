using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Drlrec.Configuration;
using Drlrec.Ranking;
using Drlrec.Serving;

namespace Drlrec.Benchmarks;

/// <summary>
/// The service's own work around the ranker for one /v1/rank request of N candidates (the HTTP path's profile, without
/// Kestrel and the ranker): parsing the body and checking it field by field (<see cref="RankRequestReader"/>), encoding
/// the field maps into embedding rows (every candidate's every field through the vocabulary, <see cref="SlateRanker"/>'s
/// Encode, timed with a scorer that answers at once), and writing the answer as JSON. Compare with
/// <see cref="SlateRankerBenchmarks"/> (the ranking) to see what the service adds to a slate.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SlateRankerBenchmarks.ShortRun))]
public class RequestPathBenchmarks
{
    private RandomModel model = null!;
    private RankRequestReader reader = null!;
    private SlateRanker encoder = null!;
    private byte[] body = null!;
    private RankCall call = null!;

    [Params(100, 1000)]
    public int Candidates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        model = new RandomModel(QNetworkConfig.Student);
        var options = new ServeOptions { Model = "unused" };
        reader = new RankRequestReader(model.Schema, options);
        body = LoadRequests.Synthesise(model.Schema, model.Vocabulary, 1, Candidates, SlateRankerBenchmarks.SlateSize, seed: 3)[0];
        encoder = new SlateRanker(new AnswersAtOnce(model.Schema.Count), model.Vocabulary, model.Schema);
        call = Parse();
    }

    /// <summary>Body bytes → a checked <see cref="SlateRequest"/>.</summary>
    [Benchmark]
    public RankCall Parse()
    {
        using var document = JsonDocument.Parse(body, RankRequestReader.BodyJson);
        return reader.Read(document.RootElement);
    }

    /// <summary>Field maps → embedding rows (the ranker's part before the first scoring call).</summary>
    [Benchmark]
    public RankedSlate Encode() => encoder.Rank(call.Request);

    /// <summary>A slate → the JSON answer.</summary>
    [Benchmark]
    public byte[] Answer()
    {
        var entries = Enumerable.Range(0, SlateRankerBenchmarks.SlateSize)
            .Select(t => new SlateEntry(t, call.Request.Candidates[t]["item_id"][0], 0.5f)).ToList();
        var info = new ModelInfo("student", "student-e1-000000000000", "onnx", "student", 1, 1);
        return JsonSerializer.SerializeToUtf8Bytes(new RankResponse(call.RequestId, info, entries, 1.0), AnswerJson);
    }

    /// <summary>The service's answer settings (snake_case, nulls left out).</summary>
    private static readonly JsonSerializerOptions AnswerJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    [GlobalCleanup]
    public void Cleanup() => model.Dispose();

    /// <summary>A backend that places the first candidates at once (only the encoding before it is timed).</summary>
    private sealed class AnswersAtOnce(int fields) : IStepScorer, IWholeSlateScorer
    {
        public string Backend => "none";
        public int FieldCount => fields;
        public bool RanksWholeSlates => true;
        public ISlateSession Begin(SlateInput input) => throw new NotSupportedException();
        public RankedSlate RankSlate(SlateInput input, int slateSize) => new(Enumerable.Range(0, slateSize).ToArray(), new float[slateSize]);

        public void Dispose()
        {
        }
    }
}
