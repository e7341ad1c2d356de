using Drlrec.IO;

namespace Drlrec.Distillation;

/// <summary>
/// The scales that make the distillation weights shares of the student's gradient (<see cref="Configuration.TermBalance.Gradient"/>):
/// <code>
///   L_student = w_RL · L_RL + w_KL · s_KL · L_KL + w_Hint · s_Hint · L_Hint
///   s_j = mean ‖∇ L_RL‖ / mean ‖∇ L_j‖        over the first N steps (N = distill.balance_steps), then fixed
/// </code>
/// so that at the start the three terms' gradients have norms in the proportion w_RL : w_KL : w_Hint, whatever the
/// student's size makes the raw losses' sizes (a hint vector's error grows with the gap between the networks, a TD error
/// does not). Until N steps are measured the means so far are used; a term whose gradient is 0 keeps scale 1.
/// </summary>
public sealed class DistillTermScales(int steps)
{
    private readonly double[] sums = new double[3]; // Σ ‖∇L_RL‖, Σ ‖∇L_KL‖, Σ ‖∇L_Hint‖
    private int measured;

    /// <summary>Whether the norms are still being measured (the first N steps).</summary>
    public bool Measuring => measured < steps;

    /// <summary>Steps measured so far.</summary>
    public int Measured => measured;

    /// <summary>Adds one step's gradient norms (0 for a term that is off).</summary>
    public void Observe(double rl, double kl, double hint)
    {
        if (!Measuring) throw new InvalidOperationException("the scales are fixed");
        sums[0] += rl;
        sums[1] += kl;
        sums[2] += hint;
        measured++;
    }

    /// <summary>s_KL.</summary>
    public double Kl => Scale(1);

    /// <summary>s_Hint.</summary>
    public double Hint => Scale(2);

    private double Scale(int term) => sums[term] > 0 && sums[0] > 0 ? sums[0] / sums[term] : 1;

    /// <summary>What a resumed run needs (the sums and how many steps they hold).</summary>
    public void Save(System.IO.Compression.ZipArchive zip, string name) =>
        ChecksummedZip.WriteJson(zip, name, new State(measured, sums));

    /// <summary>Reads <see cref="Save"/>'s state; a resume file written before the scales existed has none (the scales
    /// then start measuring again).</summary>
    public void Restore(System.IO.Compression.ZipArchive zip, string path, string name)
    {
        if (zip.GetEntry(name) is null) return;
        var state = ChecksummedZip.ReadJson<State>(zip, path, name);
        measured = state.Measured;
        Array.Copy(state.Sums, sums, sums.Length);
    }

    private sealed record State(int Measured, double[] Sums);
}
