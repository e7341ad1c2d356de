using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Model;

/// <summary>The MAC counts against the formulas written out by hand for a toy network's dimensions.</summary>
public sealed class MacCountTests : IDisposable
{
    // ToyData: 2 user, 2 item, 1 context field (position), d = 8, D = 40, hint 12; the MLP also takes the list features of
    // the tags (3 decays).
    private readonly QNetwork network = new(new QNetworkConfig { EmbeddingDim = 8, HintDim = 12 }, FieldLayout.Of(ToyData.Schema), embeddingRows: 30);

    public void Dispose() => network.Dispose();

    [Fact]
    public void A_step_counts_each_per_candidate_linear_map_and_the_attention_over_the_prefix()
    {
        const long d = 40, h = 12;
        long linear = d * d + 3 * d * d + (d + 3) * (d / 2) + (d / 2) * (d / 4) + (d / 4) * h + h;
        Assert.Equal(linear, MacCount.StepLinear(network));
        Assert.Equal(linear + 2 * 4 * d, MacCount.Step(network, prefix: 3));
    }

    [Fact]
    public void A_slate_encodes_each_candidate_once_then_scores_the_remaining_ones_in_each_slot()
    {
        const long d = 40, e = 8, fs = 4; // the position field is added after the field attention
        long encode = fs * (3 * e * e + e * e) + 2 * fs * fs * e + 3 * d * d;
        long perSlot = 3 * d * d + 3 * d * d; // the GRU's recurrent projection, the slot context's projection
        long expected = 5 * encode + 5 * MacCount.Step(network, 0) + 4 * MacCount.Step(network, 1) + 3 * MacCount.Step(network, 2) + 3 * perSlot;
        Assert.Equal(expected, MacCount.Slate(network, candidates: 5, slots: 3));
        Assert.Equal(MacCount.Slate(network, 2, 2), MacCount.Slate(network, 2, 7)); // at most N slots are filled
    }

    /// <summary>A sized network (state_dim 24 from F·d = 40, mlp_width 10): every per-step map is D = 24 wide, and the
    /// state projection F·d → D is counted once per candidate's encoding and once per slot's context.</summary>
    [Fact]
    public void A_sized_network_is_counted_at_its_state_width_with_its_state_projection()
    {
        var config = new QNetworkConfig { EmbeddingDim = 8, HintDim = 12, StateDim = 24, SequenceHeads = 2, MlpWidth = 10 };
        using var sized = new QNetwork(config, FieldLayout.Of(ToyData.Schema), embeddingRows: 30);
        const long d = 24, items = 40, e = 8, fs = 4, h = 12, m = 10;
        long linear = d * d + 3 * d * d + (d + 3) * m + m * (m / 2) + (m / 2) * h + h;
        Assert.Equal(linear, MacCount.StepLinear(sized));
        Assert.Equal(linear + 2 * 4 * d, MacCount.Step(sized, prefix: 3));
        long encode = fs * (3 * e * e + e * e) + 2 * fs * fs * e + items * d + 3 * d * d;
        long perSlot = 3 * d * d + items * d + 3 * d * d; // the GRU's recurrent projection, the context's two projections
        long expected = 5 * encode + 5 * MacCount.Step(sized, 0) + 4 * MacCount.Step(sized, 1) + 3 * MacCount.Step(sized, 2) + 3 * perSlot;
        Assert.Equal(expected, MacCount.Slate(sized, candidates: 5, slots: 3));
    }

    [Fact]
    public void A_training_step_is_the_targets_plus_three_forward_passes()
    {
        long forward = MacCount.Forward(network, lists: 4, length: 6);
        Assert.Equal(4 * forward, MacCount.TrainingStep(network, 4, 6, TargetActions.LoggedNext));
        Assert.True(MacCount.TrainingStep(network, 4, 6, TargetActions.RemainingList) > 5 * forward,
            "remaining-list targets add the online forward pass and every state's candidates");
    }
}
