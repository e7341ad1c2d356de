using Drlrec.Data;

namespace Drlrec.Simulation;

/// <summary>
/// The logs of the synthetic world: requests ranked by the <see cref="LoggingPolicy"/> and clicked by the
/// <see cref="ClickModel"/>, written as the data layer holds lists (<see cref="Schema"/> fields, one click per item).
/// </summary>
internal sealed class LogGenerator
{
    private readonly SyntheticConfig config;
    private readonly SimCatalog catalog;
    private readonly SimUsers users;
    private readonly RequestGenerator requests;
    private readonly LoggingPolicy loggingPolicy;
    private readonly ClickModel clicks;
    private readonly string[][] positionValues, hourValues, deviceValues;

    public LogGenerator(SyntheticConfig config, SimCatalog catalog, SimUsers users, RequestGenerator requests,
        LoggingPolicy loggingPolicy, ClickModel clicks)
    {
        this.config = config;
        this.catalog = catalog;
        this.users = users;
        this.requests = requests;
        this.loggingPolicy = loggingPolicy;
        this.clicks = clicks;
        Schema = new ListSchema([
            new FieldSpec(SyntheticSimulator.UserIdField, FieldGroup.User),
            new FieldSpec(SyntheticSimulator.AgeField, FieldGroup.User),
            new FieldSpec(SyntheticSimulator.GenderField, FieldGroup.User),
            new FieldSpec(SyntheticSimulator.RegionField, FieldGroup.User),
            new FieldSpec(SyntheticSimulator.ItemIdField, FieldGroup.Item),
            new FieldSpec(SyntheticSimulator.CategoryField, FieldGroup.Item),
            new FieldSpec(SyntheticSimulator.TagsField, FieldGroup.Item),
            new FieldSpec(SyntheticSimulator.PriceField, FieldGroup.Item),
            new FieldSpec(SyntheticSimulator.UpstreamScoreField, FieldGroup.Item, FieldKind.Dense),
            new FieldSpec(SyntheticSimulator.UpstreamRankField, FieldGroup.Item, FieldKind.Dense),
            new FieldSpec(SyntheticSimulator.PositionField, FieldGroup.Context),
            new FieldSpec(SyntheticSimulator.HourField, FieldGroup.Context),
            new FieldSpec(SyntheticSimulator.DeviceField, FieldGroup.Context),
        ]);
        positionValues = SimNames.Sets("", config.ListLength + 1)[1..]; // "1".."L"
        hourValues = SimNames.Sets("h", SyntheticSimulator.HourBuckets);
        deviceValues = SimNames.Sets("d", SyntheticSimulator.Devices);
    }

    /// <summary>
    /// Fields of every logged item: user (user_id, age, gender, region), item (item_id, category, tags, price, and the
    /// upstream ranker's upstream_score and upstream_rank, dense), context (position, hour, device). Each value is a set
    /// of one string, except tags (1-3 strings).
    /// </summary>
    public ListSchema Schema { get; }

    /// <summary>
    /// Logged lists of the behaviour policy with sampled clicks, in increasing time over <see cref="SyntheticSimulator.LogDays"/> days,
    /// <c>Source = "synthetic"</c>. The same seed and count give the same lists.
    /// </summary>
    /// <param name="lists">How many lists; <see cref="SyntheticConfig.Lists"/> when null.</param>
    public ListDataset GenerateLogs(int? lists = null) =>
        new(Schema, StreamLogs(lists ?? config.Lists).ToArray(), "synthetic");

    /// <summary>
    /// The lists of <see cref="GenerateLogs"/>, made one at a time as they are enumerated, so that a caller writing them
    /// out holds only what it buffers: the same seed and count give the same lists in the same order. Only the
    /// timestamps (8 bytes a list) are drawn up front, because the lists are made in time order.
    /// </summary>
    public IEnumerable<LoggedList> StreamLogs(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"must not be negative (got {count})");
        return Make();

        IEnumerable<LoggedList> Make()
        {
            var rng = new Random(SimRandom.DeriveSeed(config.Seed, SimStreams.Logs));
            var timestamps = new long[count];
            for (int k = 0; k < count; k++) timestamps[k] = requests.DrawTimestamp(rng);
            Array.Sort(timestamps);
            for (int k = 0; k < count; k++)
            {
                var request = requests.NextRequest(rng, timestamps[k], SimNames.Name("r", k));
                var order = loggingPolicy.Order(request, rng);
                yield return ToLoggedList(request, order, clicks.Respond(request, order, rng));
            }
        }
    }

    /// <summary>
    /// A list as the data layer holds it: the request's user, time and id, each item's fields and click, each item's
    /// propensity under the logging policy (<see cref="LoggingPolicy.Propensities"/>; none when one is 0, an order the
    /// logging policy cannot make) and the request's unshown candidates in upstream order (made on each access, with
    /// position missing and reward 0; <see cref="LoggedList.Unshown"/>). Nothing is drawn.
    /// Value sets that are the same everywhere (a category, a position, this list's user) are shared arrays: read-only.
    /// </summary>
    public LoggedList ToLoggedList(SimRequest request, IReadOnlyList<int> order, float[] clicks)
    {
        SimArguments.CheckList(config, request, order);
        ArgumentNullException.ThrowIfNull(clicks);
        if (clicks.Length != order.Count)
            throw new ArgumentException($"one reward per item is needed ({order.Count} items, {clicks.Length} rewards)", nameof(clicks));
        string userKey = SimUsers.UserKey(request.User);
        string[] userId = [userKey];
        var upstream = loggingPolicy.Upstream(request);
        var propensities = loggingPolicy.Propensities(request, order);
        bool logged = propensities.All(p => p > 0);
        var items = new LoggedItem[order.Count];
        for (int p = 0; p < items.Length; p++)
            items[p] = new LoggedItem(SimCatalog.ItemKey(order[p]), Compose(userId, request, order[p], p + 1, upstream), clicks[p])
            {
                Propensity = logged ? propensities[p] : null,
            };
        var shown = new HashSet<int>(order);
        var unshown = request.Candidates.Where(c => !shown.Contains(c)).OrderBy(c => upstream[c].Rank).ToArray();
        return new LoggedList(request.RequestId, userKey, request.Timestamp, items) { Unshown = UnshownCandidates(request, unshown) };
    }

    /// <summary>The unshown candidates' items, made when read (the upstream ranker's view of the request once per read of
    /// the whole list), so a log in memory holds a few numbers per list for them.</summary>
    private IReadOnlyList<LoggedItem> UnshownCandidates(SimRequest request, int[] unshown)
    {
        string[] userId = [SimUsers.UserKey(request.User)];
        LoggedItem Item(int item, Dictionary<int, (double Score, int Rank)> upstream) =>
            new(SimCatalog.ItemKey(item), Compose(userId, request, item, 0, upstream), 0f);
        return LazyList.Of(unshown.Length, k => Item(unshown[k], loggingPolicy.Upstream(request)), () =>
        {
            var upstream = loggingPolicy.Upstream(request);
            return unshown.Select(item => Item(item, upstream));
        });
    }

    /// <summary>
    /// Values of all schema fields, in schema order, for one item placed at a 1-based position of a request's list:
    /// what a model scores when it considers that candidate there. Inner arrays may be shared: read-only.
    /// </summary>
    public string[][] FieldValues(SimRequest request, int item, int position)
    {
        SimArguments.CheckRequest(config, request);
        SimArguments.CheckItem(config, item);
        if (position < 1 || position > config.ListLength)
            throw new ArgumentOutOfRangeException(nameof(position), $"positions are 1..{config.ListLength} (got {position})");
        return Compose([SimUsers.UserKey(request.User)], request, item, position, loggingPolicy.Upstream(request));
    }

    /// <summary>
    /// A candidate's item fields in schema order as a re-ranker receives them in a request: the catalog's fields and the
    /// upstream ranker's score and rank for this request.
    /// </summary>
    public string[][] CandidateFieldValues(SimRequest request, int item, Dictionary<int, (double Score, int Rank)> upstream) =>
        [[SimCatalog.ItemKey(item)], catalog.CategoryValues(item), catalog.TagValues(item), catalog.PriceValues(item),
         DenseValue.Set(upstream[item].Score), DenseValue.Set(upstream[item].Rank)];

    private static readonly string[] NoPosition = [LoggedItem.Missing];

    /// <param name="position">1-based; 0 for an unshown candidate (position missing).</param>
    private string[][] Compose(string[] userId, SimRequest request, int item, int position, Dictionary<int, (double Score, int Rank)> upstream)
    {
        int user = request.User;
        // Schema order: the four user fields, the six item fields, then position, hour, device.
        return
        [
            userId, users.AgeValues(user), users.GenderValues(user), users.RegionValues(user),
            .. CandidateFieldValues(request, item, upstream),
            position == 0 ? NoPosition : positionValues[position - 1], hourValues[request.Hour], deviceValues[request.Device],
        ];
    }
}
