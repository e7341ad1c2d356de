using System.Text.Json.Serialization;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Evaluation;
using Drlrec.OffPolicy;
using Drlrec.Ranking;

namespace Drlrec.Workflows;

/// <summary>Which lists an off-policy evaluation estimates on.</summary>
public enum OpeLists
{
    /// <summary>The test split (held out from every model, as <c>drlrec evaluate</c> checks): what to report.</summary>
    Test,
    /// <summary>The validation split: what to choose among variants on (a model chose its epoch on it but never trained on
    /// it; the test split stays untouched for the report).</summary>
    Validation,
}

/// <summary>What <c>drlrec evaluate --ope</c> estimates.</summary>
public sealed record OpeEvaluateSettings
{
    /// <summary>Run folders (or model files); each model is a target policy (its greedy slate construction).</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Logged lists, split as the first model's training split them. Null: the first model's training data.</summary>
    public string? Data { get; init; }

    /// <summary>A separate test file (then all of <see cref="Data"/> is fitting data for the click model).</summary>
    public string? Test { get; init; }

    public bool SkipBadRecords { get; init; }

    /// <summary>How to split <see cref="Data"/>. Null: as the first model was trained.</summary>
    public SplitMode? Split { get; init; }

    public OpeLists Lists { get; init; } = OpeLists.Test;

    /// <summary>Estimate on test lists a model trained or validated on instead of refusing (as <c>evaluate</c>).</summary>
    public bool AllowOverlap { get; init; }

    public OpeSettings Ope { get; init; } = new();

    /// <summary>The diversity re-rank's (λ, decay) as a policy. Default (2, 0.5): tuned online in the default world (docs/method.md).</summary>
    public DiversityRerank Diversity { get; init; } = new(2, 0.5);

    public ServingBackend Backend { get; init; } = ServingBackend.Torch;
}

/// <summary>What <c>drlrec evaluate --ope --json</c> writes under <c>ope</c>.</summary>
public sealed record OpeReport(OpeResult Result, string Data, [property: JsonConverter(typeof(JsonStringEnumConverter<OpeLists>))] OpeLists Lists,
    bool HeldOut, int FittingLists);

/// <summary><c>drlrec evaluate --ope</c> as a library call: models (and the upstream order, the diversity re-rank and random
/// as policies) estimated off-policy on logged lists with propensities (<see cref="OffPolicyEvaluation"/>).</summary>
public static class OpeWorkflow
{
    public static OpeReport Run(OpeEvaluateSettings settings, Action<int>? onList = null, Action<int>? onLists = null)
    {
        if (settings.Models.Count == 0) throw new ArgumentException("--model: give at least one model");
        settings.Ope.Validate();
        settings.Backend.Validate();
        var models = new List<LoadedModel>();
        var variants = new List<ServingVariants>();
        try
        {
            foreach (string path in settings.Models) models.Add(ModelCheckpoint.Load(path));
            var evaluate = new EvaluateSettings
            {
                Models = settings.Models, Data = settings.Data, Test = settings.Test, SkipBadRecords = settings.SkipBadRecords, Split = settings.Split,
            };
            var data = EvaluateWorkflow.DataSettings(models[0], evaluate) with { UserHistory = models.Any(m => Features.UserHistory.In(m.Schema)) };
            var (all, testFile) = DataLoader.LoadWithTest(data);
            var (train, validation, test) = PreparedData.Split(all, testFile, data);
            bool heldOut = true;
            if (settings.Lists == OpeLists.Test)
            {
                var check = HeldOutCheck.Run(ModelOrigin.Of(models), data, all, test);
                if (!check.HeldOut && !settings.AllowOverlap) throw new InvalidDataException(check.Problem);
                heldOut = check.HeldOut;
            }
            var evaluated = settings.Lists == OpeLists.Test ? test : validation;
            var fitting = settings.Lists == OpeLists.Test
                ? [.. LoggedSlates.From(train, unshown: false), .. LoggedSlates.From(validation, unshown: false)]
                : LoggedSlates.From(train, unshown: false);
            var slates = LoggedSlates.From(evaluated);
            onLists?.Invoke(slates.Count);

            var names = OfflineEvaluation.DisplayNames(models);
            var targets = new List<OpeTarget>();
            for (int i = 0; i < models.Count; i++)
            {
                var served = new ServingVariants(models[i], names[i], settings.Backend);
                variants.Add(served);
                for (int v = 0; v < served.Scorers.Count; v++)
                    targets.Add(new OpeTarget(new ModelPolicy(served.Names[v], new SlateRanker(served.Scorers[v], models[i].Vocabulary, models[i].Schema))));
            }
            targets.AddRange(Baselines(evaluated.Schema, settings.Diversity));
            CheckWindow(settings.Ope.Window, slates);
            var result = OffPolicyEvaluation.Run(evaluated.Schema, slates, fitting, targets, settings.Ope, onList);
            return new OpeReport(result, data.Test ?? data.Source, settings.Lists, heldOut, fitting.Count);
        }
        finally
        {
            foreach (var served in variants) served.Dispose();
            foreach (var model in models) model.Dispose();
        }
    }

    /// <summary>The baselines a data set can be ranked by: the upstream order and the diversity re-rank when its items carry an
    /// upstream field (the latter also a <c>category</c> field), and random.</summary>
    public static IEnumerable<OpeTarget> Baselines(ListSchema schema, DiversityRerank diversity)
    {
        bool upstream = schema.Contains(CandidateWindow.ScoreField) || schema.Contains(CandidateWindow.RankField);
        if (upstream) yield return new OpeTarget(new UpstreamPolicy(), Windowed: false);
        if (upstream && schema.Contains("category")) yield return new OpeTarget(new DiversityPolicy(diversity.Lambda, diversity.Decay));
        yield return new OpeTarget(new UniformPolicy(), Windowed: false);
    }

    /// <summary>Refuses a window smaller than a list: the policies could not fill its positions.</summary>
    public static void CheckWindow(int? window, IReadOnlyList<LoggedSlate> slates)
    {
        if (window is not { } n || slates.Count == 0) return;
        int longest = slates.Max(s => s.Shown);
        if (n < longest) throw new ArgumentException($"--candidates {n}: smaller than the longest logged list ({longest} items); a policy must fill every position");
    }
}
