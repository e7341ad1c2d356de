using Drlrec.Data;

namespace Drlrec.Simulation;

/// <summary>
/// A synthetic recommendation world with known click probabilities, for training re-rankers on logged lists and for
/// measuring them "online" (expected clicks of the lists they build).
/// <para>It composes the parts of the world, each documented where it is built: the items (<see cref="SimCatalog"/>),
/// the users (<see cref="SimUsers"/>), the requests and their candidates (<see cref="RequestGenerator"/>), the click
/// model (<see cref="ClickModel"/>, <see cref="ContextEffects"/>), the rankers (<see cref="LoggingPolicy"/>, the
/// behaviour policy of the logs; <see cref="RandomPolicy"/>; <see cref="OraclePolicy"/>) and the logs themselves
/// (<see cref="LogGenerator"/>).</para>
/// <para>Everything is fixed by <see cref="SyntheticConfig.Seed"/>. After construction the simulator is immutable,
/// so its methods may be called from several threads, each with its own <see cref="Random"/>.</para>
/// </summary>
public sealed class SyntheticSimulator : IItemCatalog
{
    public const int AgeBuckets = 7;
    public const int Genders = 2;
    public const int Regions = 10;
    /// <summary>Hour-of-day buckets of four hours each (0 = 00:00-03:59 UTC).</summary>
    public const int HourBuckets = 6;
    public const int Devices = 3;
    public const int PriceBuckets = 5;
    /// <summary>Size of the tag vocabulary.</summary>
    public const int Tags = 64;
    public const int MaxTagsPerItem = 3;
    /// <summary>Unix time (midnight UTC, 2023-11-15) of the first day of the simulated period.</summary>
    public const long Epoch = 1_700_006_400;
    /// <summary>Length in days of the period logged lists are spread over.</summary>
    public const int LogDays = 28;

    /// <summary>Field names of <see cref="Schema"/>. Values: <c>u17</c>, <c>a3</c>, <c>g1</c>, <c>r5</c> (user);
    /// <c>i123</c>, <c>c4</c>, <c>t9</c>, <c>p2</c> (item); <c>1</c>..<c>ListLength</c>, <c>h3</c>, <c>d1</c> (context).</summary>
    public const string UserIdField = "user_id", AgeField = "age", GenderField = "gender", RegionField = "region";
    public const string ItemIdField = "item_id", CategoryField = "category", TagsField = "tags", PriceField = "price";
    /// <summary>Dense item fields: the upstream ranker's score of a candidate and its 1-based rank among the request's candidates.</summary>
    public const string UpstreamScoreField = "upstream_score", UpstreamRankField = "upstream_rank";
    public const string PositionField = "position", HourField = "hour", DeviceField = "device";

    private readonly SimCatalog catalog;
    private readonly RequestGenerator requests;
    private readonly ClickModel clickModel;
    private readonly LoggingPolicy loggingPolicy;
    private readonly RandomPolicy randomPolicy;
    private readonly OraclePolicy oraclePolicy;
    private readonly LogGenerator logs;

    public SyntheticSimulator(SyntheticConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        // The world's fixed parameters share one random stream, drawn in the order of these constructions: the
        // catalog's category centres, price levels and tag directions, the context effects, the users' attribute
        // vectors. The items and the users themselves come from streams of their own.
        var world = new Random(SimRandom.DeriveSeed(config.Seed, SimStreams.World));
        catalog = new SimCatalog(config, world);
        var contextEffects = new ContextEffects(world, config.Categories);
        var users = new SimUsers(config, catalog, world);

        requests = new RequestGenerator(config, catalog, users);
        clickModel = new ClickModel(config, catalog, users, contextEffects);
        loggingPolicy = new LoggingPolicy(config, clickModel);
        randomPolicy = new RandomPolicy(config);
        oraclePolicy = new OraclePolicy(config, catalog, clickModel, loggingPolicy);
        logs = new LogGenerator(config, catalog, users, requests, loggingPolicy, clickModel);
    }

    public SyntheticConfig Config { get; }

    /// <inheritdoc cref="LogGenerator.Schema"/>
    public ListSchema Schema => logs.Schema;

    public int ListLength => Config.ListLength;
    public int UserCount => Config.Users;

    // ---- Catalog -------------------------------------------------------------------------------------------

    /// <inheritdoc cref="SimCatalog.Count"/>
    public int Count => catalog.Count;

    public string KeyOf(int index) => catalog.KeyOf(index);

    /// <inheritdoc cref="SimCatalog.IndexOf"/>
    public int IndexOf(string key) => catalog.IndexOf(key);

    /// <inheritdoc cref="SimCatalog.ItemFieldValues"/>
    public string[][] ItemFieldValues(int index) => catalog.ItemFieldValues(index);

    public int CategoryOf(int item) => catalog.CategoryOf(item);

    /// <inheritdoc cref="SimCatalog.ItemsInCategory"/>
    public IReadOnlyList<int> ItemsInCategory(int category) => catalog.ItemsInCategory(category);

    public static string ItemKey(int index) => SimCatalog.ItemKey(index);
    public static string UserKey(int user) => SimUsers.UserKey(user);

    // ---- Requests ------------------------------------------------------------------------------------------

    /// <inheritdoc cref="RequestGenerator.NextRequest(Random)"/>
    public SimRequest NextRequest(Random rng) => requests.NextRequest(rng);

    /// <inheritdoc cref="RequestGenerator.NextRequest(Random, long, string)"/>
    public SimRequest NextRequest(Random rng, long timestamp, string requestId) => requests.NextRequest(rng, timestamp, requestId);

    /// <inheritdoc cref="RequestGenerator.HourBucketOf"/>
    public static int HourBucketOf(long timestamp) => RequestGenerator.HourBucketOf(timestamp);

    // ---- Click model ---------------------------------------------------------------------------------------

    /// <inheritdoc cref="ClickModel.Examination"/>
    public double Examination(int position) => clickModel.Examination(position);

    /// <inheritdoc cref="ClickModel.Popularity"/>
    public double Popularity(int item) => clickModel.Popularity(item);

    /// <inheritdoc cref="ClickModel.AttractionLogit"/>
    public double AttractionLogit(SimRequest request, int item) => clickModel.AttractionLogit(request, item);

    /// <inheritdoc cref="ClickModel.ClickProbabilities"/>
    public double[] ClickProbabilities(SimRequest request, IReadOnlyList<int> orderedItems) => clickModel.ClickProbabilities(request, orderedItems);

    /// <inheritdoc cref="ClickModel.ExpectedClicks"/>
    /// <summary>
    /// The true click probability of each item of a list logged in this world (<see cref="GenerateLogs"/>), read back from
    /// its fields: the user, hour and device of the list and its items in logged order. The sampled clicks of the log are
    /// draws from these (with session exit, the probabilities before the draws: B_p c_p). The ceiling of any offline
    /// metric on the simulator's logs.
    /// </summary>
    /// <param name="schema">The lists' schema (the simulator's fields, with any derived fields added).</param>
    /// <exception cref="ArgumentException">The list was not logged by a world of this shape (a key or value it cannot read).</exception>
    public double[] ClickProbabilitiesOf(LoggedList list, ListSchema schema)
    {
        ArgumentNullException.ThrowIfNull(list);
        int hourField = schema.IndexOf(HourField), deviceField = schema.IndexOf(DeviceField);
        var first = list.Items[0].Values;
        int user = SimNames.Parse("u", list.UserKey, Config.Users, "user key");
        int hour = SimNames.Parse("h", first[hourField][0], HourBuckets, HourField);
        int device = SimNames.Parse("d", first[deviceField][0], Devices, DeviceField);
        var items = list.Items.Select(item =>
        {
            int index = catalog.IndexOf(item.ItemKey);
            return index >= 0 && index < catalog.Count ? index
                : throw new ArgumentException($"list {list.ListId}: item key '{item.ItemKey}' is not an item of this world");
        }).ToArray();
        var request = new SimRequest(list.ListId, user, hour, device, list.Timestamp,
            items.Length >= ListLength ? items : [.. items, .. Enumerable.Range(0, Count).Where(i => !items.Contains(i)).Take(ListLength - items.Length)]);
        return clickModel.ClickProbabilities(request, items);
    }

    public double ExpectedClicks(SimRequest request, IReadOnlyList<int> orderedItems) => clickModel.ExpectedClicks(request, orderedItems);

    /// <inheritdoc cref="ClickModel.HasExit"/>
    public bool HasExit => clickModel.HasExit;

    /// <inheritdoc cref="ClickModel.Satisfaction"/>
    public double Satisfaction(int user, int item) => clickModel.Satisfaction(user, item);

    /// <inheritdoc cref="ClickModel.LeaveAfterClick"/>
    public double LeaveAfterClick(int user, int item) => clickModel.LeaveAfterClick(user, item);

    /// <inheritdoc cref="ClickModel.Respond"/>
    public float[] Respond(SimRequest request, IReadOnlyList<int> orderedItems, Random rng) => clickModel.Respond(request, orderedItems, rng);

    // ---- Policies ------------------------------------------------------------------------------------------

    /// <inheritdoc cref="LoggingPolicy.Order"/>
    public int[] LoggingPolicyOrder(SimRequest request, Random rng) => loggingPolicy.Order(request, rng);

    /// <inheritdoc cref="RandomPolicy.Order"/>
    public int[] RandomOrder(SimRequest request, Random rng) => randomPolicy.Order(request, rng);

    /// <inheritdoc cref="OraclePolicy.Order"/>
    public int[] OracleOrder(SimRequest request) => oraclePolicy.Order(request);

    /// <summary>The greedy oracle with one step of lookahead (see <see cref="OraclePolicy.LookaheadOrder"/>): the value of planning ahead.</summary>
    public int[] LookaheadOracleOrder(SimRequest request) => oraclePolicy.LookaheadOrder(request);

    /// <summary>The lookahead oracle planning without each item's own quality (see <see cref="OraclePolicy.LookaheadOrder"/>):
    /// the value of planning ahead that a learner could at best reach.</summary>
    public int[] KnowableLookaheadOracleOrder(SimRequest request) => oraclePolicy.LookaheadOrder(request, knowsItemQuality: false);

    /// <summary>The greedy oracle that takes the upstream ranker's relevance estimate for the truth (<see cref="OraclePolicy.Order"/>,
    /// believesUpstream): every effect the upstream ranker ignores learnt perfectly, its relevance error kept.</summary>
    public int[] UpstreamBelievingOracleOrder(SimRequest request) => oraclePolicy.Order(request, believesUpstream: true);

    /// <inheritdoc cref="OraclePolicy.RelevanceOrder"/>
    public int[] RelevanceOracleOrder(SimRequest request) => oraclePolicy.RelevanceOrder(request);

    /// <inheritdoc cref="LoggingPolicy.UpstreamOrder"/>
    public int[] UpstreamOrder(SimRequest request) => loggingPolicy.UpstreamOrder(request);

    /// <summary>The request's <paramref name="count"/> best candidates by the upstream score, in upstream order.</summary>
    public int[] UpstreamTop(SimRequest request, int count) =>
        loggingPolicy.Upstream(request).OrderBy(p => p.Value.Rank).Take(count).Select(p => p.Key).ToArray();

    /// <summary>The upstream ranker's score of each of the request's candidates, in candidate order (what a re-ranker
    /// receives as <c>upstream_score</c>).</summary>
    public double[] UpstreamScores(SimRequest request)
    {
        SimArguments.CheckRequest(Config, request);
        return loggingPolicy.Scores(request);
    }

    /// <summary>Each candidate's item fields as a re-ranker receives them in the request (with the upstream score and rank).</summary>
    public IReadOnlyList<string[][]> CandidateFieldValues(SimRequest request)
    {
        var upstream = loggingPolicy.Upstream(request);
        return request.Candidates.Select(item => logs.CandidateFieldValues(request, item, upstream)).ToArray();
    }

    // ---- Logs ----------------------------------------------------------------------------------------------

    /// <inheritdoc cref="LogGenerator.GenerateLogs"/>
    public ListDataset GenerateLogs(int? lists = null) => logs.GenerateLogs(lists);

    /// <inheritdoc cref="LogGenerator.StreamLogs"/>
    public IEnumerable<LoggedList> StreamLogs(int count) => logs.StreamLogs(count);

    /// <inheritdoc cref="LogGenerator.ToLoggedList"/>
    public LoggedList ToLoggedList(SimRequest request, IReadOnlyList<int> order, float[] clicks) => logs.ToLoggedList(request, order, clicks);

    /// <inheritdoc cref="LoggingPolicy.Propensities"/>
    public double[] LoggingPropensities(SimRequest request, IReadOnlyList<int> order)
    {
        SimArguments.CheckList(Config, request, order);
        return loggingPolicy.Propensities(request, order);
    }

    /// <inheritdoc cref="LogGenerator.FieldValues"/>
    public string[][] FieldValues(SimRequest request, int item, int position) => logs.FieldValues(request, item, position);
}
