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
/// The exploring/filtering module of DRL-Rec. <b>Explore</b>: a retriever draws a pool of N_c catalog items per
/// state; teacher and student score the whole pool at the next position in one batched step from the cached prefix
/// state. <b>Filter</b>: keep the teacher's top k (items it rates highly) and the student's top k (items the student
/// currently over-rates), deduplicated. The cost per state is O(N_c), whatever the catalog size.
/// </summary>
public sealed class ExploreFilter(CandidateRetriever retriever, EncodedCatalog catalog, FieldLayout layout, int poolSize, int k)
{
    /// <summary>The items pools are drawn from (states name their placed items by index in it).</summary>
    public IItemCatalog Catalog => catalog.Catalog;

    /// <summary>Explores and filters for S states of a batch.</summary>
    /// <param name="teacherPrefix">Teacher's cached prefixes of the S states.</param>
    /// <param name="studentPrefix">Student's cached prefixes (eval mode, no gradient).</param>
    /// <param name="slotRows">[S, F, M] fields of each state's next slot (its logged item's user and context fields are used).</param>
    /// <param name="users">User key of each state.</param>
    /// <param name="prefixItems">Catalog indices of each state's placed items (excluded from its pool).</param>
    public Lessons Select(QNetwork teacher, PrefixState teacherPrefix, QNetwork student, PrefixState studentPrefix,
        Tensor slotRows, IReadOnlyList<string> users, IReadOnlyList<int[]> prefixItems, Random rng)
    {
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
        var rows = layout.Place(slotRows, catalog.Gather(poolIndex));                      // [S, P, F, M]

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
