using Drlrec.Data;

namespace Drlrec.Features;

/// <summary>
/// What the log shows of a list's user before the list was shown, as two dense user fields:
/// <code>
///   user_history_impressions = log(1 + n_u)
///   user_history_like_rate   = (c_u + 1) / (n_u + 2)        (Laplace-smoothed; 0.5 for a user never seen)
/// </code>
/// with n_u the items of the same user's lists shown strictly earlier (by <see cref="LoggedList.Timestamp"/>) and c_u
/// those with a positive reward. A list never counts itself, nor another list of the same time, so no label of the list
/// being scored reaches its features. The counts run over the whole log in time order, every split included: at the time
/// of a request a production system knows the user's earlier feedback, and only the model's parameters are fitted on the
/// training split. A serving request sends the two numbers as user fields (a client computes them from its own log).
/// </summary>
public static class UserHistory
{
    public const string ImpressionsField = "user_history_impressions", LikeRateField = "user_history_like_rate";

    /// <summary>The two fields, appended after a schema's user fields.</summary>
    public static FieldSpec[] Fields { get; } =
    [
        new(ImpressionsField, FieldGroup.User, FieldKind.Dense),
        new(LikeRateField, FieldGroup.User, FieldKind.Dense),
    ];

    /// <summary>True when a schema carries the history fields.</summary>
    public static bool In(ListSchema schema) => schema.Contains(ImpressionsField);

    public static bool IsHistoryField(FieldSpec field) => field.Name is ImpressionsField or LikeRateField;

    /// <summary>The fields' value sets for a user with <paramref name="impressions"/> earlier items, <paramref name="liked"/> of them positive.</summary>
    public static string[][] ValuesOf(int impressions, int liked) =>
        [DenseValue.Set(Math.Log(1 + impressions)), DenseValue.Set((liked + 1.0) / (impressions + 2.0))];

    /// <summary>Each user's counts over the whole of <paramref name="log"/>: the history of a request made after it.</summary>
    public static Dictionary<string, (int Impressions, int Liked)> Totals(ListDataset log)
    {
        var totals = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (var list in log.Lists)
        {
            var (n, c) = totals.GetValueOrDefault(list.UserKey);
            totals[list.UserKey] = (n + list.Items.Count, c + Liked(list));
        }
        return totals;
    }

    /// <summary>
    /// The data sets with the two fields added to every list, counting each user's lists across all of them (a main log
    /// and a separate test file are one history). A data set that already has the fields is returned unchanged.
    /// </summary>
    public static ListDataset[] AddTo(params ListDataset[] parts)
    {
        if (parts.All(p => In(p.Schema))) return parts;
        if (parts.Any(p => In(p.Schema))) throw new InvalidDataException("user history: some data sets already carry the fields, others not");
        var lists = parts.SelectMany(p => p.Lists).ToArray();
        var userIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var users = lists.Select(l => userIds.TryGetValue(l.UserKey, out int u) ? u : userIds[l.UserKey] = userIds.Count).ToArray();
        var (items, liked) = Before(lists.Select(l => l.Timestamp).ToArray(), users, lists.Select(l => l.Items.Count).ToArray(),
            lists.Select(Liked).ToArray());
        var before = new Dictionary<LoggedList, string[][]>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < lists.Length; i++) before[lists[i]] = ValuesOf(items[i], liked[i]);
        return parts.Select(part => part.WithFieldsAdded(Fields, (list, _) => before[list])).ToArray();
    }

    /// <summary>
    /// Each list's history from a few numbers per list (what <see cref="AddTo"/> counts, and what a streamed source
    /// keeps): the items and liked items of the same user's lists strictly earlier in time.
    /// </summary>
    /// <param name="users">Each list's user, as a dense id.</param>
    /// <param name="items">Each list's items.</param>
    /// <param name="liked">Each list's items with a positive reward.</param>
    public static (int[] Items, int[] Liked) Before(long[] timestamps, int[] users, IReadOnlyList<int> items, IReadOnlyList<int> liked)
    {
        int n = timestamps.Length;
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) => users[a] != users[b] ? users[a].CompareTo(users[b])
            : timestamps[a] != timestamps[b] ? timestamps[a].CompareTo(timestamps[b]) : a.CompareTo(b));
        var historyItems = new int[n];
        var historyLiked = new int[n];
        int at = 0;
        while (at < n)
        {
            int user = users[order[at]], seenItems = 0, seenLiked = 0;
            while (at < n && users[order[at]] == user)
            {
                // Lists of one time see the same history: none of them counts another.
                long time = timestamps[order[at]];
                int start = at;
                while (at < n && users[order[at]] == user && timestamps[order[at]] == time)
                {
                    historyItems[order[at]] = seenItems;
                    historyLiked[order[at]] = seenLiked;
                    at++;
                }
                for (int k = start; k < at; k++)
                {
                    seenItems += items[order[k]];
                    seenLiked += liked[order[k]];
                }
            }
        }
        return (historyItems, historyLiked);
    }

    /// <summary>The data without the two fields (for a model trained without them).</summary>
    public static ListDataset Without(ListDataset data)
    {
        if (!In(data.Schema)) return data;
        int at = data.Schema.IndexOf(ImpressionsField);
        var schema = new ListSchema(data.Schema.Fields.Where(f => !IsHistoryField(f)));
        var lists = data.Lists.Select(list => list with
        {
            Items = list.Items.Select(item => item with { Values = [.. item.Values[..at], .. item.Values[(at + Fields.Length)..]] }).ToArray(),
        }).ToList();
        return new ListDataset(schema, lists, data.Source, data.Report);
    }

    /// <summary>The data as a vocabulary reads it: without the fields when the vocabulary's model was trained without them.</summary>
    public static ListDataset Align(ListDataset data, FeatureVocabulary vocabulary) =>
        vocabulary.Fields.Any(f => f.Name == ImpressionsField) ? data : Without(data);

    /// <summary>Items of the list with a positive reward.</summary>
    private static int Liked(LoggedList list) => list.Items.Count(i => i.Reward > 0);
}
