namespace Drlrec.Simulation;

/// <summary>
/// Settings of the synthetic world (<see cref="SyntheticSimulator"/>): population sizes, the shape of the logged
/// lists, and the strengths of the click model's effects. Serialisable with System.Text.Json; every property has a
/// default, so <c>{}</c> is a valid configuration. <see cref="Validate"/> rejects values the simulator cannot honour.
/// </summary>
public sealed record SyntheticConfig
{
    /// <summary>Smallest allowed catalog: below it the category and popularity structure is too thin to learn from.</summary>
    public const int MinItems = 1_000;

    /// <summary>Largest allowed catalog (the paper's "millions of items" order), kept within a few seconds to build.</summary>
    public const int MaxItems = 1_000_000;

    /// <summary>Seed of every random draw of the world and of <see cref="SyntheticSimulator.GenerateLogs"/>. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Number of users (keys <c>u0</c>..). Allowed 1..1,000,000. Default 2000.</summary>
    public int Users { get; init; } = 2000;

    /// <summary>Catalog size (keys <c>i0</c>..). Allowed <see cref="MinItems"/>..<see cref="MaxItems"/>. Default 5000.</summary>
    public int Items { get; init; } = 5000;

    /// <summary>Logged lists <see cref="SyntheticSimulator.GenerateLogs"/> produces when not told otherwise. Default 20000.</summary>
    public int Lists { get; init; } = 20_000;

    /// <summary>Items shown per list (positions 1..ListLength). Allowed 1..100. Default 10.</summary>
    public int ListLength { get; init; } = 10;

    /// <summary>
    /// Size of the candidate set a request offers, from which a policy picks and orders <see cref="ListLength"/> items.
    /// Allowed <see cref="ListLength"/>..min(10,000, Items / 2). Default 50.
    /// </summary>
    public int CandidatesPerRequest { get; init; } = 50;

    /// <summary>Dimension of the hidden user and item interest vectors. Allowed 1..256. Default 8.</summary>
    public int LatentDim { get; init; } = 8;

    /// <summary>Number of item categories (popularity across them is skewed). Allowed 1..200. Default 20.</summary>
    public int Categories { get; init; } = 20;

    /// <summary>
    /// Exponent of the examination decay: an item at 1-based position p is examined with probability p^-PositionBias.
    /// 0 means every position is examined. Allowed 0..5. Default 0.7 (position 10 is examined 20% as often as position 1).
    /// </summary>
    public double PositionBias { get; init; } = 0.7;

    /// <summary>
    /// Logit lost per unit of same-category fatigue: the user tires of a category seen earlier in the same list.
    /// 0 switches the list-level effect off. Allowed 0..10. Default 0.8 (a second item of a category placed right
    /// after the first loses 0.8 logits).
    /// </summary>
    public double Fatigue { get; init; } = 0.8;

    /// <summary>
    /// How much an earlier same-category item still weighs when other items stand between: it counts
    /// FatigueDecay^(items in between). 1 makes the fatigue load the plain count of earlier same-category items;
    /// below 1, interleaving other categories relieves fatigue. Allowed 0..1. Default 0.7.
    /// </summary>
    public double FatigueDecay { get; init; } = 0.7;

    /// <summary>
    /// Standard deviation of the behaviour policy's systematic error in estimating relevance (fixed per user and item,
    /// so it does not average out over requests). The true relevance has a standard deviation of about 1.5.
    /// Allowed 0..10. Default 1.0.
    /// </summary>
    public double LoggingNoise { get; init; } = 1.0;

    /// <summary>
    /// Scale of the Gumbel noise the behaviour policy adds per request before taking its top items (a Plackett-Luce
    /// sample), so logged lists show varied items at varied positions. 0 makes it a deterministic ranker.
    /// Allowed 0..10. Default 0.5.
    /// </summary>
    public double LoggingExploration { get; init; } = 0.5;

    /// <summary>
    /// Intercept of the attractiveness logit; sets the overall click rate. Allowed -10..10.
    /// Default -1.5, which gives a logged click-through rate of about 0.21 with the other defaults
    /// (about 0.7 at position 1 and 0.07 at position 10).
    /// </summary>
    public double BaseLogit { get; init; } = -1.5;

    /// <summary>
    /// Strength of session exit: after a click on an item of hidden satisfaction s the user leaves the list with
    /// probability σ(ExitBias − Exit × s), and the positions after the exit are shown but never clicked
    /// (<see cref="ClickModel"/>). 0 switches exit off: no user ever leaves, today's world bit for bit (the satisfaction
    /// is then never used). Note the step at 0: any Exit above 0 turns on the leaving after clicks, at the rate
    /// σ(ExitBias) ≈ 0.27 for an item of average satisfaction; Exit sets how much that rate depends on the satisfaction,
    /// which is what makes the order worth planning (about 1 is a clearly visible effect). Allowed 0..10. Default 0.
    /// </summary>
    public double Exit { get; init; }

    /// <summary>
    /// The b of the exit probability σ(b − Exit × s) after a click on an item of satisfaction s. Only used when
    /// <see cref="Exit"/> is above 0. Allowed -10..10. Default -1 (a click on an average item ends the list with
    /// probability 0.27).
    /// </summary>
    public double ExitBias { get; init; } = -1;

    /// <summary>
    /// Correlation ρ of an item's hidden satisfaction with how attractive it is to the user (<see cref="ClickModel"/>):
    /// s = ρ a + √(1 − ρ²) q, with a the user–item attractiveness standardised and q the item's own quality. Below 0 the
    /// items that draw a user's click disappoint them more often (clickbait). Only used when <see cref="Exit"/> is above
    /// 0. Allowed -1..1. Default -0.3.
    /// </summary>
    public double SatisfactionCorrelation { get; init; } = -0.3;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first setting out of its allowed range as the user typed it:
    /// <paramref name="keyOf"/> turns a setting's snake_case name (e.g. <c>items</c>) into that key; by default the key of
    /// a run config (<see cref="RunConfigKey"/>, e.g. <c>config data.synthetic.items</c>).
    /// </summary>
    public void Validate(Func<string, string>? keyOf = null)
    {
        keyOf ??= RunConfigKey;
        void Check(bool ok, string property, double value, string expected)
        {
            // The key as config files spell it (the JSON naming of IO.Json).
            if (!ok) throw new ArgumentException($"{keyOf(System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(property))} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}: must be {expected}");
        }
        void CheckRange(double value, double min, double max, string property) =>
            Check(value >= min && value <= max, property, value, $"between {min} and {max}"); // NaN fails too

        Check(Users is >= 1 and <= 1_000_000, nameof(Users), Users, "between 1 and 1000000");
        Check(Items is >= MinItems and <= MaxItems, nameof(Items), Items, $"between {MinItems} and {MaxItems}");
        Check(Lists >= 0, nameof(Lists), Lists, "at least 0");
        Check(ListLength is >= 1 and <= 100, nameof(ListLength), ListLength, "between 1 and 100 with the simulator");
        int maxCandidates = Math.Min(10_000, Items / 2);
        Check(CandidatesPerRequest >= ListLength && CandidatesPerRequest <= maxCandidates, nameof(CandidatesPerRequest), CandidatesPerRequest,
            $"between the list length ({ListLength}) and {maxCandidates} (half the items, at most 10000)");
        Check(LatentDim is >= 1 and <= 256, nameof(LatentDim), LatentDim, "between 1 and 256");
        Check(Categories is >= 1 and <= 200, nameof(Categories), Categories, "between 1 and 200");
        CheckRange(PositionBias, 0, 5, nameof(PositionBias));
        CheckRange(Fatigue, 0, 10, nameof(Fatigue));
        CheckRange(FatigueDecay, 0, 1, nameof(FatigueDecay));
        CheckRange(LoggingNoise, 0, 10, nameof(LoggingNoise));
        CheckRange(LoggingExploration, 0, 10, nameof(LoggingExploration));
        CheckRange(BaseLogit, -10, 10, nameof(BaseLogit));
        CheckRange(Exit, 0, 10, nameof(Exit));
        CheckRange(ExitBias, -10, 10, nameof(ExitBias));
        CheckRange(SatisfactionCorrelation, -1, 1, nameof(SatisfactionCorrelation));
    }

    /// <summary>A setting's key in a run config: <c>config data.synthetic.NAME</c>, except the list length, which a run
    /// takes from <c>data.max_list_length</c>.</summary>
    public static string RunConfigKey(string name) =>
        name == "list_length" ? "config data.max_list_length" : $"config data.synthetic.{name}";
}
