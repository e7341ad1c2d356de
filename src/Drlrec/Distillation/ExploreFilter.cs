using Drlrec.Data;
using static TorchSharp.torch;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tensors;

namespace Drlrec.Distillation;

/// <summary>
/// What the teacher teaches for S states: the filtered lessons, as inputs placed in each state's next slot, with
/// the teacher's Q-values and hints on them.
/// </summary>
/// <param name="Rows">[S, 2k, F, M] lesson inputs.</param>
/// <param name="Mask">[S, 2k] real lessons (duplicates of the teacher's picks and pool padding are off).</param>
/// <param name="TeacherQ">[S, 2k].</param>
/// <param name="TeacherHint">[S, 2k, H_T].</param>
public sealed record Lessons(Tensor Rows, Tensor Mask, Tensor TeacherQ, Tensor TeacherHint);

/// <summary>
/// The exploring/filtering module of DRL-Rec. <b>Explore</b>: a pool of items per state, either N_c catalog items drawn
/// by a retriever (<see cref="CandidateRetriever"/>, the paper's) or the state's own request's candidates
/// (<see cref="RequestCandidates"/>); teacher and student score the whole pool at the next position in one batched step
/// from the cached prefix state. <b>Filter</b>: keep the teacher's top k (items it rates highly) and the student's top k
/// (items the student currently over-rates), deduplicated. The cost per state is O(pool), whatever the catalog size.
/// </summary>
public sealed class ExploreFilter
{
    private readonly CandidateRetriever? retriever;
    private readonly EncodedCatalog? catalog;
    private readonly RequestCandidates? candidates;
    private readonly FieldLayout layout;
    private readonly int poolSize;
    private readonly int k;

    /// <summary>Pools of <paramref name="poolSize"/> catalog items from <paramref name="retriever"/>.</summary>
    public ExploreFilter(CandidateRetriever retriever, EncodedCatalog catalog, FieldLayout layout, int poolSize, int k)
    {
        (this.retriever, this.catalog, this.layout, this.poolSize, this.k) = (retriever, catalog, layout, poolSize, k);
        Catalog = catalog.Catalog;
    }

    /// <summary>Pools of each state's request's candidates; <paramref name="items"/> names the prefix items of the states.</summary>
    public ExploreFilter(RequestCandidates candidates, IItemCatalog items, FieldLayout layout, int k)
    {
        (this.candidates, this.layout, this.k) = (candidates, layout, k);
        Catalog = items;
    }

    /// <summary>The items states name their placed items by (index in it); the pools' source under a retriever.</summary>
    public IItemCatalog Catalog { get; }

    /// <summary>True when pools are the states' requests' candidates.</summary>
    public bool FromRequests => candidates is not null;

    /// <summary>Explores and filters for S states of a batch.</summary>
    /// <param name="teacherPrefix">Teacher's cached prefixes of the S states.</param>
    /// <param name="studentPrefix">Student's cached prefixes (eval mode, no gradient).</param>
    /// <param name="slotRows">[S, F, M] fields of each state's next slot (its logged item's user and context fields are used).</param>
    /// <param name="stateRows">[S, L, F, M] the states' lists (a request pool's shown items).</param>
    /// <param name="states">The states: prefix lengths, users, placed items.</param>
    /// <param name="keys">The states' lists' keys (a request pool's unshown candidates).</param>
    public Lessons Select(QNetwork teacher, PrefixState teacherPrefix, QNetwork student, PrefixState studentPrefix,
        Tensor slotRows, Tensor stateRows, ExploreStates states, IReadOnlyList<ListKeys> keys, Random rng)
    {
        if (candidates is null) return Select(teacher, teacherPrefix, student, studentPrefix, slotRows, states.Users, states.PrefixItems, rng);
        using var noGrad = no_grad();
        var (itemRows, poolMask) = candidates.Draw(stateRows, states.Placed, keys);
        return Teach(teacher, teacherPrefix, student, studentPrefix, slotRows, itemRows, poolMask);
    }

    /// <summary>Explores the catalog and filters for S states of a batch.</summary>
    /// <param name="teacherPrefix">Teacher's cached prefixes of the S states.</param>
    /// <param name="studentPrefix">Student's cached prefixes (eval mode, no gradient).</param>
    /// <param name="slotRows">[S, F, M] fields of each state's next slot (its logged item's user and context fields are used).</param>
    /// <param name="users">User key of each state.</param>
    /// <param name="prefixItems">Catalog indices of each state's placed items (excluded from its pool).</param>
    public Lessons Select(QNetwork teacher, PrefixState teacherPrefix, QNetwork student, PrefixState studentPrefix,
        Tensor slotRows, IReadOnlyList<string> users, IReadOnlyList<int[]> prefixItems, Random rng)
    {
        if (retriever is null || catalog is null) throw new InvalidOperationException("this explorer's pools are the requests' candidates");
        using var noGrad = no_grad();
        int s = users.Count;
        var pools = Enumerable.Range(0, s).Select(i => retriever.Pool(users[i], prefixItems[i], rng, poolSize)).ToArray();
        int width = Math.Max(1, pools.Max(p => p.Length));
        var indices = new long[s * width];
        var valid = new bool[s * width];
        for (int i = 0; i < s; i++)
            for (int j = 0; j < pools[i].Length; j++)
            {
                indices[i * width + j] = pools[i][j];
                valid[i * width + j] = true;
            }
        var poolIndex = tensor(indices, [s, width]);
        var poolMask = tensor(valid, [s, width]);
        return Teach(teacher, teacherPrefix, student, studentPrefix, slotRows, catalog.Gather(poolIndex), poolMask);
    }

    /// <summary>Scores the pools ([S, P, F_item, M] item fields, [S, P] mask) in each state's next slot and filters them.</summary>
    private Lessons Teach(QNetwork teacher, PrefixState teacherPrefix, QNetwork student, PrefixState studentPrefix,
        Tensor slotRows, Tensor itemRows, Tensor poolMask)
    {
        long s = itemRows.shape[0];
        var rows = layout.Place(slotRows, itemRows);                                       // [S, P, F, M]

        var teacherScores = teacher.ScoreCandidates(teacherPrefix, rows);                  // Q [S, P], hint [S, P, H]
        var studentQ = student.ScoreCandidates(studentPrefix, rows).Q;                     // [S, P]
        var (picks, mask) = FilterTopK(teacherScores.Q, studentQ, poolMask, k);            // [S, 2k]

        var pickRows = picks.view(s, -1, 1, 1).expand(-1, -1, rows.shape[2], rows.shape[3]);
        var pickHint = picks.view(s, -1, 1).expand(-1, -1, teacherScores.Hint.shape[2]);
        return new Lessons(rows.gather(1, pickRows), mask,
            teacherScores.Q.gather(1, picks), teacherScores.Hint.gather(1, pickHint));
    }

    /// <summary>
    /// The filter: per row, the teacher's top k and the student's top k pool positions, the student's picks that
    /// the teacher also picked masked off (so each lesson counts once), and picks of pool padding masked off.
    /// </summary>
    /// <param name="teacherQ">[S, P].</param>
    /// <param name="studentQ">[S, P].</param>
    /// <param name="poolMask">[S, P] real pool entries.</param>
    /// <returns>Pool positions [S, 2k] (teacher's k, then student's k) and which of them are lessons.</returns>
    public static (Tensor Picks, Tensor Mask) FilterTopK(Tensor teacherQ, Tensor studentQ, Tensor poolMask, int k)
    {
        int kk = (int)Math.Min(k, teacherQ.shape[1]);
        var outside = poolMask.logical_not();
        var byTeacher = teacherQ.masked_fill(outside, Scalars.NegativeInfinity).topk(kk, 1).indexes;   // [S, k]
        var byStudent = studentQ.masked_fill(outside, Scalars.NegativeInfinity).topk(kk, 1).indexes;   // [S, k]
        var duplicate = (byStudent.unsqueeze(2) == byTeacher.unsqueeze(1)).any(2);                   // [S, k]
        var picks = cat([byTeacher, byStudent], 1);
        var mask = cat([ones_like(duplicate), duplicate.logical_not()], 1).logical_and(poolMask.gather(1, picks));
        return (picks, mask);
    }
}
