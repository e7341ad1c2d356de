using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Learning;
using Drlrec.Model;

namespace Drlrec.Distillation;

/// <summary>The teacher's view of a batch of logged lists.</summary>
/// <param name="Q">[B, L] Q_T(s_t, a_t).</param>
/// <param name="Hint">[B, L, H_T] g_T.</param>
/// <param name="TdError">[B, L] δ_t = y_t − Q_T(s_t, a_t), y_t from the teacher's target network.</param>
public sealed record TeacherView(Tensor Q, Tensor Hint, Tensor TdError)
{
    /// <summary>Computes the view with the teacher's networks (eval mode, no gradients).</summary>
    public static TeacherView Compute(QNetwork online, QNetwork target, ListBatch batch, FieldLayout layout, DqnConfig dqn)
    {
        using var noGrad = no_grad();
        online.eval();
        var output = online.Forward(batch);
        var y = DoubleDqn.Targets(online, target, batch, layout, dqn.Gamma, dqn.TargetActions);
        return new TeacherView(output.Q, output.Hint, (y - output.Q) * batch.Mask.to_type(ScalarType.Float32));
    }
}

/// <summary>
/// A frozen teacher's Q, hint and TD error for every training list, computed once before distillation so that
/// each epoch does not pay for the teacher's forward passes and Double-DQN targets again.
/// </summary>
public sealed class TeacherSignals
{
    private readonly float[] q, hint, tdError;
    private readonly int length, hintDim;

    private TeacherSignals(float[] q, float[] hint, float[] tdError, int length, int hintDim)
    {
        this.q = q;
        this.hint = hint;
        this.tdError = tdError;
        this.length = length;
        this.hintDim = hintDim;
    }

    public static TeacherSignals Compute(QNetwork online, QNetwork target, EncodedLists data, FieldLayout layout, DqnConfig dqn,
        int batchSize = 256)
    {
        int l = data.MaxLength, h = online.Config.HintDim;
        var q = new float[data.Count * l];
        var hint = new float[data.Count * l * h];
        var delta = new float[data.Count * l];
        var all = Enumerable.Range(0, data.Count).ToArray();
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var view = TeacherView.Compute(online, target, data.Batch(all.AsSpan(start, n)), layout, dqn);
            view.Q.contiguous().data<float>().CopyTo(q, start * l);
            view.Hint.contiguous().data<float>().CopyTo(hint, start * l * h);
            view.TdError.contiguous().data<float>().CopyTo(delta, start * l);
        }
        return new TeacherSignals(q, hint, delta, l, h);
    }

    /// <summary>The view of the lists at <paramref name="indices"/>, as tensors in the caller's dispose scope.</summary>
    public TeacherView Batch(int[] indices)
    {
        int b = indices.Length;
        var bq = new float[b * length];
        var bh = new float[b * length * hintDim];
        var bd = new float[b * length];
        for (int j = 0; j < b; j++)
        {
            Array.Copy(q, indices[j] * length, bq, j * length, length);
            Array.Copy(hint, indices[j] * length * hintDim, bh, j * length * hintDim, length * hintDim);
            Array.Copy(tdError, indices[j] * length, bd, j * length, length);
        }
        return new TeacherView(tensor(bq, [b, length]), tensor(bh, [b, length, hintDim]), tensor(bd, [b, length]));
    }
}
