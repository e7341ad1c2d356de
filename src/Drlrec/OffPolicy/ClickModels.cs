namespace Drlrec.OffPolicy;

/// <summary>
/// A model of the clicks on any list a policy could build from a logged request's candidates: the direct method's
/// estimate and Cascade-DR's control variate. It is a cascade model: the click at position l depends on the items
/// at positions 1..l only.
/// </summary>
public interface IClickModel
{
    /// <summary>The model on one logged list's candidates.</summary>
    IListClicks For(LoggedSlate slate);
}

/// <summary>The click model on one list's candidates.</summary>
public interface IListClicks
{
    /// <summary>q̂(a_1..a_l): the expected click at position l = |<paramref name="prefix"/>| + 1 on
    /// <paramref name="candidate"/> placed after <paramref name="prefix"/> (candidate indices).</summary>
    double Click(IReadOnlyList<int> prefix, int candidate);
}

/// <summary>q̂ = 0: Cascade-DR without a control variate is RIPS.</summary>
public sealed class NoClicks : IClickModel, IListClicks
{
    public static NoClicks Instance { get; } = new();

    public IListClicks For(LoggedSlate slate) => this;

    public double Click(IReadOnlyList<int> prefix, int candidate) => 0;
}
