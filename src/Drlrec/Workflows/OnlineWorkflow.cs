using System.Text.Json.Serialization;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Evaluation;
using Drlrec.IO;
using Drlrec.Ranking;
using Drlrec.Simulation;

namespace Drlrec.Workflows;

/// <summary>What <c>drlrec evaluate --online</c> measures.</summary>
public sealed record OnlineSettings
{
    /// <summary>Run folders (or model files) of models trained on the simulator. None: the baselines and oracles alone.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>A JSON file of the simulator's settings (the <c>data.synthetic</c> shape of a run's config). Null: the world
    /// the first model was trained on, or the default world when there is no model.</summary>
    public string? Synthetic { get; init; }

    /// <summary>Simulated requests. Default 1000.</summary>
    public int Requests { get; init; } = 1000;

    /// <summary>Seed of the requests (and of the logging and random policies' draws). Default 42.</summary>
    public int Seed { get; init; } = RunConfig.DefaultSeed;

    /// <summary>The models re-rank the upstream ranker's top N of each request's candidates; null (default): all of them.</summary>
    public int? Candidates { get; init; }

    /// <summary>The backend the models rank with (default the checkpoints' TorchSharp networks); with ONNX and int8, each
    /// model ranks twice, float32 then int8, and the report pairs the two.</summary>
    public ServingBackend Backend { get; init; } = ServingBackend.Torch;

    /// <summary>Also the diagnostic policies (<see cref="OnlineEvaluation.Measure"/>): the greedy and relevance-only oracles
    /// on the models' window and each model with a tuned same-category penalty on top. Default false.</summary>
    public bool Diagnose { get; init; }
}

/// <summary>A diagnostic policy's expected clicks per list (<c>evaluate --online --diagnose</c>).</summary>
/// <param name="VsModel">For a model with a penalty on top: the difference from the model alone on the same requests.</param>
public sealed record OnlineDiagnostic(string Name, double ClicksPerList, [property: JsonPropertyName("ci95")] double[] Ci95,
    OnlineDifference VsUpstream,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OnlineDifference? VsModel = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CategoryPenalty? Penalty = null);

/// <summary>An int8 export's expected clicks against its float32 self on the same requests, and how it orders their
/// candidates against its float32 self (<see cref="OrderAgreement"/>).</summary>
/// <param name="Relative">The difference over the float32 model's clicks per list.</param>
public sealed record PrecisionComparison(string Model, string Against, double Difference,
    [property: JsonPropertyName("ci95")] double[] Ci95, double Relative, OrderAgreement Order);

/// <summary>A policy's expected clicks per list with the 95% interval over requests.</summary>
public sealed record OnlineEntry(string Name, double ClicksPerList, [property: JsonPropertyName("ci95")] double[] Ci95)
{
    /// <summary>The diversity re-rank's (λ, decay), tuned on validation requests; absent for the other baselines.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DiversityRerank? Tuned { get; init; }
}

/// <summary>A model's expected clicks per list and its paired differences from the upstream order and from the diversity
/// re-rank on the same requests.</summary>
public sealed record OnlineModelEntry(
    string Name, double ClicksPerList, [property: JsonPropertyName("ci95")] double[] Ci95,
    OnlineDifference VsUpstream, OnlineDifference VsDiversityRerank);

/// <summary>A paired difference with its 95% interval and whether the interval excludes zero.</summary>
public sealed record OnlineDifference(double Difference, [property: JsonPropertyName("ci95")] double[] Ci95, double Relative, bool Distinguishable);

/// <summary>What <c>drlrec evaluate --online --json</c> writes under <c>online</c>.</summary>
public sealed record OnlineReport(
    IReadOnlyList<OnlineModelEntry> Models, IReadOnlyDictionary<string, OnlineEntry> Baselines, int Requests, int Seed,
    SyntheticConfig World)
{
    /// <summary>The models re-ranked the upstream ranker's top N of each request; null: every candidate.</summary>
    public int? Candidates { get; init; }

    /// <summary>Each int8 export against its float32 self (paired over the same requests); empty without --quantize int8.</summary>
    public IReadOnlyList<PrecisionComparison> Int8VsFp32 { get; init; } = [];

    /// <summary>The lookahead oracle − the greedy oracle on the same requests: what planning ahead is worth in this world.</summary>
    public required OnlineDifference OracleLookaheadGain { get; init; }

    /// <summary>The diagnostic policies (<see cref="OnlineSettings.Diagnose"/>); empty without it.</summary>
    public IReadOnlyList<OnlineDiagnostic> Diagnostics { get; init; } = [];
}

/// <summary><c>drlrec evaluate --online</c> as a library call: models re-rank simulated requests beside the baselines.</summary>
public static class OnlineWorkflow
{
    /// <summary>The report's keys of the baselines.</summary>
    public static IReadOnlyDictionary<string, string> BaselineKeys { get; } = new Dictionary<string, string>
    {
        [OnlineEvaluation.Upstream] = "upstream_order",
        [OnlineEvaluation.Diversity] = "diversity_rerank",
        [OnlineEvaluation.Logging] = "logging_policy",
        [OnlineEvaluation.Random] = "random",
        [OnlineEvaluation.Oracle] = "oracle",
        [OnlineEvaluation.OracleLookahead] = "oracle_lookahead",
        [OnlineEvaluation.OracleLookaheadKnowable] = "oracle_lookahead_knowable",
    };

    public static OnlineReport Run(OnlineSettings settings, Action<int>? onRequest = null)
    {
        var models = new List<LoadedModel>();
        var variants = new List<ServingVariants>();
        try
        {
            foreach (string path in settings.Models) models.Add(ModelCheckpoint.Load(path));
            var world = models.Count > 0 ? models[0].TrainingData.Synthetic with { ListLength = models[0].TrainingData.MaxListLength }
                : new SyntheticConfig();
            if (settings.Synthetic is { } file)
            {
                world = Json.ReadFile<SyntheticConfig>(file);
                world.Validate(name => $"{file}: {name}");
            }
            var simulator = new SyntheticSimulator(world);
            var modelNames = OfflineEvaluation.DisplayNames(models);
            var rankers = new List<(string, SlateRanker)>();
            var pairs = new List<(string Int8, string Fp32)>();
            for (int i = 0; i < models.Count; i++)
            {
                var served = new ServingVariants(models[i], modelNames[i], settings.Backend);
                variants.Add(served);
                for (int v = 0; v < served.Scorers.Count; v++)
                    rankers.Add((served.Names[v], new SlateRanker(served.Scorers[v], models[i].Vocabulary, models[i].Schema)));
                if (served.Names.Count == 2) pairs.Add((served.Names[1], served.Names[0]));
            }
            var names = rankers.Select(r => r.Item1).ToList();
            var asked = new List<SlateRequest>();
            var clicks = OnlineEvaluation.Measure(simulator, rankers, settings.Requests, [settings.Seed], onRequest, settings.Candidates,
                pairs.Count > 0 ? asked.Add : null, settings.Diagnose);
            OnlineDifference Difference(string a, string b)
            {
                var d = clicks.Difference(a, b);
                return new OnlineDifference(d.Mean, [d.Low, d.High], d.Mean / clicks.OverRequests(b).Mean, d.Excludes(0));
            }
            var modelEntries = names.Select(name =>
            {
                var m = clicks.OverRequests(name);
                return new OnlineModelEntry(name, m.Mean, [m.Low, m.High],
                    Difference(name, OnlineEvaluation.Upstream), Difference(name, OnlineEvaluation.Diversity));
            }).ToList();
            var baselines = OnlineEvaluation.Baselines.ToDictionary(b => BaselineKeys[b], b =>
            {
                var m = clicks.OverRequests(b);
                return new OnlineEntry(b, m.Mean, [m.Low, m.High]) { Tuned = b == OnlineEvaluation.Diversity ? clicks.DiversityTuned[0] : null };
            });
            SlateRanker Ranker(string name) => rankers.Single(r => r.Item1 == name).Item2;
            var int8 = pairs.Select(p =>
            {
                var d = Difference(p.Int8, p.Fp32);
                return new PrecisionComparison(p.Int8, p.Fp32, d.Difference, d.Ci95, d.Relative,
                    OrderAgreement.Measure(Ranker(p.Fp32), Ranker(p.Int8), asked));
            }).ToList();
            var diagnostics = settings.Diagnose
                ? OnlineEvaluation.DiagnosticBaselines.Select(b => (Name: b, Model: (string?)null))
                    .Concat(names.Select(n => (Name: OnlineEvaluation.WithPenalty(n), Model: (string?)n)))
                    .Select(d =>
                    {
                        var m = clicks.OverRequests(d.Name);
                        return new OnlineDiagnostic(d.Name, m.Mean, [m.Low, m.High], Difference(d.Name, OnlineEvaluation.Upstream),
                            d.Model is null ? null : Difference(d.Name, d.Model), d.Model is null ? null : clicks.PenaltyTuned![d.Name][0]);
                    }).ToList()
                : [];
            return new OnlineReport(modelEntries, baselines, settings.Requests, settings.Seed, world)
            {
                Diagnostics = diagnostics,
                Candidates = settings.Candidates, Int8VsFp32 = int8,
                OracleLookaheadGain = Difference(OnlineEvaluation.OracleLookahead, OnlineEvaluation.Oracle),
            };
        }
        finally
        {
            foreach (var served in variants) served.Dispose();
            foreach (var model in models) model.Dispose();
        }
    }
}
