using System.Globalization;

namespace Drlrec.Simulation;

/// <summary>Arithmetic on the hidden interest vectors, accumulated in double precision.</summary>
internal static class SimVectors
{
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int d = 0; d < a.Length; d++) sum += a[d] * b[d];
        return sum;
    }

    /// <summary>Scales a vector to unit length; a zero vector stays zero.</summary>
    public static void Normalise(Span<float> vector)
    {
        double norm = Math.Sqrt(Dot(vector, vector));
        if (norm > 0) for (int d = 0; d < vector.Length; d++) vector[d] = (float)(vector[d] / norm);
    }
}

/// <summary>The strings the simulator logs: keys (<c>u17</c>, <c>i123</c>, <c>r5</c>) and the values of its small vocabularies.</summary>
internal static class SimNames
{
    /// <summary>A prefix and an index in invariant digits: <c>c4</c>.</summary>
    public static string Name(string prefix, int index) => prefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The names <c>prefix0</c>..<c>prefix(count-1)</c>.</summary>
    public static string[] Names(string prefix, int count) => Enumerable.Range(0, count).Select(k => Name(prefix, k)).ToArray();

    /// <summary>
    /// One-value sets of a small vocabulary, made once and shared by every logged item that has the value (a fifth
    /// of the memory of fresh arrays per item). Shared, so read-only.
    /// </summary>
    public static string[][] Sets(string prefix, int count) => Names(prefix, count).Select(v => new[] { v }).ToArray();

    /// <summary>The index of a name <c>prefix</c>N with 0 ≤ N &lt; <paramref name="count"/>.</summary>
    /// <exception cref="ArgumentException">Another text; the message names <paramref name="what"/>.</exception>
    public static int Parse(string prefix, string name, int count, string what) =>
        name.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < count
            ? index
            : throw new ArgumentException($"{what} '{name}' is not one of {prefix}0..{prefix}{count - 1}");
}

/// <summary>Checks of the indices and lists the simulator's public methods take, against the sizes of its configuration.</summary>
internal static class SimArguments
{
    public static void CheckItem(SyntheticConfig config, int item)
    {
        if ((uint)item >= (uint)config.Items) throw new ArgumentOutOfRangeException(nameof(item), $"items are 0..{config.Items - 1} (got {item})");
    }

    public static void CheckUser(SyntheticConfig config, int user)
    {
        if ((uint)user >= (uint)config.Users) throw new ArgumentOutOfRangeException(nameof(user), $"users are 0..{config.Users - 1} (got {user})");
    }

    public static void CheckRequest(SyntheticConfig config, SimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckUser(config, request.User);
        if ((uint)request.Hour >= SyntheticSimulator.HourBuckets)
            throw new ArgumentException($"hour bucket must be 0..{SyntheticSimulator.HourBuckets - 1} (got {request.Hour})", nameof(request));
        if ((uint)request.Device >= SyntheticSimulator.Devices)
            throw new ArgumentException($"device must be 0..{SyntheticSimulator.Devices - 1} (got {request.Device})", nameof(request));
        ArgumentNullException.ThrowIfNull(request.Candidates);
        if (request.Candidates.Length < config.ListLength)
            throw new ArgumentException($"a request needs at least ListLength ({config.ListLength}) candidates (got {request.Candidates.Length})", nameof(request));
    }

    /// <summary>A valid request and 1..ListLength distinct catalog items shown for it.</summary>
    public static void CheckList(SyntheticConfig config, SimRequest request, IReadOnlyList<int> order)
    {
        CheckRequest(config, request);
        ArgumentNullException.ThrowIfNull(order);
        if (order.Count < 1 || order.Count > config.ListLength)
            throw new ArgumentException($"a list holds 1..{config.ListLength} items (got {order.Count})", nameof(order));
        for (int p = 0; p < order.Count; p++)
        {
            CheckItem(config, order[p]);
            for (int j = 0; j < p; j++)
                if (order[j] == order[p]) throw new ArgumentException($"item {order[p]} appears twice in the list", nameof(order));
        }
    }
}
