using System.CommandLine;
using Drlrec.Evaluation;
using Drlrec.OffPolicy;

namespace Drlrec.Cli.Options;

/// <summary>The settings of an off-policy evaluation (<c>evaluate --ope</c>, <c>validate-ope</c>): smoothing, folds, bootstrap, the diversity re-rank.</summary>
public sealed class OpeOptions
{
    private static readonly OpeSettings Defaults = new();

    public Option<string> Smoothing { get; } = new("--ope-smoothing")
    {
        Description = "The target policies' randomness: greedy (the models as served; every estimator applies, but importance weights vanish " +
                      "once a logged list leaves a model's own slate), epsilon:E (ε-greedy) or softmax:T (over the scores, T in score units). " +
                      "The random policy is always uniform",
        DefaultValueFactory = _ => "greedy",
    };

    public Option<int> Folds { get; } = new("--ope-folds")
    {
        Description = "Cross-fitting folds of the direct method's click model: each fold of the evaluated lists is scored by a model fitted on " +
                      "the training lists and the other folds; 1 fits on the training lists alone",
        DefaultValueFactory = _ => Defaults.Folds,
    };

    public Option<string> FitOn { get; } = new("--ope-fit")
    {
        Description = "The lists the direct method's click model is fitted on: training+folds (the training lists and the other folds), " +
                      "folds (the other folds of the evaluated lists alone: it then shares no data with the models it scores), or auto " +
                      "(folds from --ope-folds-from evaluated lists on, else training+folds; measured at 5,000, 10,000 and 20,000 lists in docs/ope.md)",
        DefaultValueFactory = _ => "auto",
    };

    public Option<int> FoldsFrom { get; } = new("--ope-folds-from")
    {
        Description = "Evaluated lists from which --ope-fit auto fits the click model on the other folds alone",
        DefaultValueFactory = _ => Defaults.FoldsFrom,
    };

    public Option<int> Bootstrap { get; } = new("--ope-bootstrap")
    {
        Description = "Bootstrap resamples of the lists for each estimate's 95% interval (the same resamples for every policy: paired differences)",
        DefaultValueFactory = _ => Defaults.Bootstrap,
    };

    public Option<int?> Refits { get; } = new("--ope-refits")
    {
        Description = "Refits of the click model on bootstrap resamples of its lists: their spread (the click model's own noise) widens every " +
                      "interval; each costs a fit per fold and a pass over the lists. 0: intervals hold the logs' noise alone. " +
                      $"Default: {OpeSettings.AutoRefits} when the click model is fitted on the folds alone, else 0",
    };

    public Option<double> Clip { get; } = new("--ope-clip")
    {
        Description = "The cap on cascade weights of the clipped Cascade-DR (cascade_dr_clip)",
        DefaultValueFactory = _ => Defaults.Clip,
    };

    public Option<string> Diversity { get; } = new("--ope-diversity")
    {
        Description = "λ,decay of the diversity re-rank evaluated as a policy (tuned online in the default world: 2,0.5)",
        DefaultValueFactory = _ => "2,0.5",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Smoothing, Folds, FitOn, FoldsFrom, Bootstrap, Refits, Clip, Diversity }) command.Options.Add(option);
    }

    /// <summary>The settings typed, with the window and seed of the command.</summary>
    public OpeSettings Settings(ParseResult parse, int? window, int seed) => new()
    {
        Smoothing = TargetSmoothing.Parse(parse.GetValue(Smoothing)!), Folds = parse.GetValue(Folds), Bootstrap = parse.GetValue(Bootstrap),
        Window = window, Seed = seed, Clip = parse.GetValue(Clip), FitOn = ParseFitOn(parse.GetValue(FitOn)!),
        Refits = parse.GetValue(Refits), FoldsFrom = parse.GetValue(FoldsFrom),
    };

    private static ClickModelLists ParseFitOn(string text) => text switch
    {
        "training+folds" => ClickModelLists.TrainingAndFolds,
        "folds" => ClickModelLists.Folds,
        "auto" => ClickModelLists.Auto,
        _ => throw new ArgumentException($"--ope-fit: '{text}' is not auto, training+folds or folds"),
    };

    public DiversityRerank DiversityFrom(ParseResult parse)
    {
        string text = parse.GetValue(Diversity)!;
        var parts = text.Split(',');
        if (parts.Length == 2 && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double lambda)
            && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double decay)
            && lambda >= 0 && decay is >= 0 and <= 1)
            return new DiversityRerank(lambda, decay);
        throw new ArgumentException($"--ope-diversity: '{text}' is not λ,decay with λ ≥ 0 and decay in [0, 1] (e.g. 2,0.5)");
    }
}
