using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Drlrec.Configuration;
using Drlrec.Ranking;

namespace Drlrec.Benchmarks;

/// <summary>
/// <see cref="SlateRanker.Rank(SlateRequest)"/> from field maps to slate (encoding, L greedy steps, cache updates):
/// teacher (d = 16) vs student (d = 8), N candidates, L = 10, per backend.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortRun))]
public class SlateRankerBenchmarks
{
    public const int SlateSize = 10;

    private RandomModel model = null!;
    private IStepScorer scorer = null!;
    private SlateRanker ranker = null!;
    private SlateRequest request = null!;

    [Params("teacher", "student")]
    public string Model { get; set; } = "student";

    [ParamsSource(nameof(Backends))]
    public string Backend { get; set; } = "torch";

    public static IEnumerable<string> Backends => ["torch", "onnx"];

    private string? onnxFolder;

    [Params(100, 1000)]
    public int Candidates { get; set; }

    /// <summary>Where the context fields enter: item_vector encodes each candidate once per request (the default since
    /// checkpoint format 3); field_attention re-encodes every remaining candidate in every slot (the models before).</summary>
    [Params(ContextInput.ItemVector, ContextInput.FieldAttention)]
    public ContextInput Context { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One libtorch thread per ranking, as drlrec serve runs by default (--workers = cores, --threads = cores / workers).
        TorchSharp.torch.set_num_threads(1);
        model = new RandomModel((Model == "teacher" ? QNetworkConfig.Teacher : QNetworkConfig.Student) with { ContextInput = Context });
        scorer = CreateScorer();
        ranker = new SlateRanker(scorer, model.Vocabulary, model.Schema);
        request = model.Request(Candidates, SlateSize);
    }

    [Benchmark]
    public RankedSlate Rank() => ranker.Rank(request);

    [GlobalCleanup]
    public void Cleanup()
    {
        scorer.Dispose();
        model.Dispose();
        if (onnxFolder is not null) Directory.Delete(onnxFolder, recursive: true);
    }

    private IStepScorer CreateScorer()
    {
        if (Backend == "torch") return new TorchStepScorer(model.Network);
        onnxFolder = Directory.CreateTempSubdirectory("drlrec-bench-").FullName;
        var export = Drlrec.Onnx.OnnxExporter.Export(model.Network, Model, Model == "teacher" ? ModelRole.Teacher : ModelRole.Student,
            Path.Combine(onnxFolder, "model.onnx"));
        return new Drlrec.Onnx.OnnxStepScorer(export.Path, intraOpThreads: 1);
    }

    /// <summary>
    /// Few iterations so a full run takes minutes, not hours. In-process: no generated project to build, so the
    /// TorchSharp native libraries patched into this project's output are the ones loaded.
    /// </summary>
    internal sealed class ShortRun : ManualConfig
    {
        public ShortRun()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithId("short"));
        }
    }
}
