using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Drlrec.Tensors;

namespace Drlrec.Distillation;

/// <summary>
/// Hint loss (FitNets, Romero et al. 2015) on the hint vectors g (the MLP's last layer), per item and weighted:
/// <code>
///   L_Hint = (1/N) Σ_i w_i · ‖W g_S,i − g_T,i‖² / H_T
/// </code>
/// W is a learned linear map when the student's hint size differs from the teacher's or when asked for
/// (<c>distill.hint_projection</c>), the identity otherwise.
/// The division by H_T keeps the scale independent of the hint size. W trains with the student and is not part
/// of the served model.
/// </summary>
public sealed class HintLoss : nn.Module
{
    private readonly Linear? projection;

    /// <param name="alwaysProject">Learn W even when the sizes are equal.</param>
    public HintLoss(int studentHint, int teacherHint, bool alwaysProject = false) : base("hintLoss")
    {
        TeacherHint = teacherHint;
        if (alwaysProject || studentHint != teacherHint) projection = nn.Linear(studentHint, teacherHint, hasBias: false);
        RegisterComponents();
    }

    public int TeacherHint { get; }
    public bool HasProjection => projection is not null;

    /// <param name="studentHint">[N, H_S].</param>
    /// <param name="teacherHint">[N, H_T].</param>
    /// <param name="weights">[N] per-item weights, or null for 1.</param>
    public Tensor Compute(Tensor studentHint, Tensor teacherHint, Tensor? weights)
    {
        var projected = projection is null ? studentHint : projection.forward(studentHint);
        var perItem = (projected - teacherHint).square().sum(-1).DividedBy(TeacherHint);   // [N]
        if (weights is not null) perItem = perItem * weights;
        return perItem.numel() == 0 ? zeros(1).sum() : perItem.mean();
    }
}
