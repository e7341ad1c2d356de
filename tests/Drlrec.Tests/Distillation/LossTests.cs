using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distillation;

namespace Drlrec.Tests.Distillation;

public sealed class LossTests
{
    [Fact]
    public void Listwise_kl_applies_the_temperature_to_both_sides_and_the_T_squared_factor_and_weights_each_set()
    {
        using var scope = NewDisposeScope();
        // Set 1: teacher [1, 2], student [0, 0]; set 2: teacher [0, 1, (9 masked)], student [1, 0, (−9 masked)]; T = 2.
        // p_T = softmax([.5, 1]) = [.37754, .62246], p_S = [.5, .5]: KL = .0302999, × T² = .1211994 (set 1)
        // set 2: T²·KL(softmax([0, .5]) ‖ softmax([.5, 0])) = .4898373. Weighted mean: (.5·.1211994 + 1·.4898373) / 2
        var teacher = tensor(new float[] { 1, 2, 0, 0, 1, 9 }).view(2, 3);
        var student = tensor(new float[] { 0, 0, 0, 1, 0, -9 }).view(2, 3);
        var mask = tensor(new[] { true, true, false, true, true, false }).view(2, 3);
        var loss = ListwiseKlLoss.Compute(teacher, student, mask, tensor(new float[] { 0.5f, 1f }), temperature: 2);
        Assert.Equal(0.2752185, loss.item<float>(), 5);
        var unweighted = ListwiseKlLoss.Compute(teacher, student, mask, null, temperature: 2);
        Assert.Equal((0.1211994 + 0.4898373) / 2, unweighted.item<float>(), 5);
    }

    [Fact]
    public void Listwise_kl_is_zero_when_the_student_matches_the_teacher_up_to_a_shift()
    {
        using var scope = NewDisposeScope();
        var teacher = tensor(new float[] { 0.3f, 1.2f, -0.4f }).view(1, 3);
        var mask = ones(1, 3, ScalarType.Bool);
        Assert.Equal(0, ListwiseKlLoss.Compute(teacher, teacher + 5, mask, null, 1).item<float>(), 6);
    }

    [Fact]
    public void Confidence_is_one_minus_the_squared_td_error_over_the_batch_maximum()
    {
        using var scope = NewDisposeScope();
        // δ = [.5, −1, 2 | pad]: max δ² = 4 → c = 1 − δ²/4 = [.9375, .75, 0]; padded → 0
        var delta = tensor(new float[] { 0.5f, -1, 2, 7 }).view(1, 4);
        var mask = tensor(new[] { true, true, true, false }).view(1, 4);
        var c = ConfidenceWeights.PerItem(delta, mask, ConfidenceMode.TdError).data<float>().ToArray();
        Assert.Equal([0.9375f, 0.75f, 0f, 0f], c.Select(v => MathF.Round(v, 5)).ToArray());
        Assert.Equal((0.9375 + 0.75 + 0) / 3, ConfidenceWeights.PerList(tensor(c).view(1, 4), mask).item<float>(), 5);
        // gaussian: exp(−δ² / mean δ²), mean δ² = 5.25/3
        var g = ConfidenceWeights.PerItem(delta, mask, ConfidenceMode.Gaussian).data<float>().ToArray();
        Assert.Equal(0.8668780, g[0], 5);
        Assert.Equal(0.1017015, g[2], 5);
    }

    [Fact]
    public void Hint_loss_projects_the_student_hint_when_sizes_differ_and_weights_each_item()
    {
        using var scope = NewDisposeScope();
        using var hint = new HintLoss(studentHint: 2, teacherHint: 3);
        Assert.True(hint.HasProjection);
        using (no_grad())
            hint.parameters().Single().copy_(tensor(new float[] { 1, 0, 0, 1, 1, 1 }).view(3, 2)); // W g = [g1, g2, g1 + g2]
        var student = tensor(new float[] { 1, 2, 0, 0 }).view(2, 2);
        var teacher = tensor(new float[] { 1, 0, 1, 1, 0, 1 }).view(2, 3);
        // item 1: W g = [1, 2, 3], diff [0, 2, 2] → 8 / 3, weight .5; item 2: diff [−1, 0, −1] → 2 / 3, weight 1
        var loss = hint.Compute(student, teacher, tensor(new float[] { 0.5f, 1f }));
        Assert.Equal((0.5 * 8 / 3 + 2.0 / 3) / 2, loss.item<float>(), 5);
    }

    [Fact]
    public void Hint_loss_uses_the_identity_when_sizes_are_equal()
    {
        using var scope = NewDisposeScope();
        using var hint = new HintLoss(3, 3);
        Assert.False(hint.HasProjection);
        Assert.Empty(hint.parameters());
        var loss = hint.Compute(tensor(new float[] { 1, 1, 1 }).view(1, 3), tensor(new float[] { 0, 1, 3 }).view(1, 3), null);
        Assert.Equal(5.0 / 3, loss.item<float>(), 5);
    }

    [Fact]
    public void Filter_keeps_the_teachers_and_the_students_top_k_once_each_and_never_a_padded_pool_entry()
    {
        using var scope = NewDisposeScope();
        var teacher = tensor(new float[] { 0.1f, 0.9f, 0.5f, 0.3f, 0.8f, 5f }).view(1, 6);
        var poolMask = tensor(new[] { true, true, true, true, true, false }).view(1, 6); // entry 5 is padding
        // student over-rates items 3 and 0: four distinct lessons
        var distinct = tensor(new float[] { 0.9f, 0.1f, 0.2f, 0.95f, 0.85f, 9f }).view(1, 6);
        var (picks, mask) = ExploreFilter.FilterTopK(teacher, distinct, poolMask, k: 2);
        Assert.Equal([1L, 4L, 3L, 0L], picks.data<long>().ToArray());
        Assert.All(mask.data<bool>().ToArray(), Assert.True);
        // student agrees with the teacher: its picks are duplicates and masked off
        var agreeing = tensor(new float[] { 0.1f, 0.95f, 0.2f, 0.3f, 0.9f, 9f }).view(1, 6);
        (picks, mask) = ExploreFilter.FilterTopK(teacher, agreeing, poolMask, k: 2);
        Assert.Equal([1L, 4L, 1L, 4L], picks.data<long>().ToArray());
        Assert.Equal([true, true, false, false], mask.data<bool>().ToArray());
    }
}
