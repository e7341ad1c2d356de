using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Model;

/// <summary>The size knobs of <see cref="QNetworkConfig"/> against the parameter formula documented there and in
/// docs/method.md ("Model sizes").</summary>
public sealed class QNetworkSizeTests
{
    /// <summary>The documented formula, written out independently of the network.</summary>
    /// <param name="mlpExtras">Inputs the MLP takes beside the state: the list features (compared fields × 3 decays) and the
    /// skipped dense values.</param>
    private static long Formula(QNetworkConfig c, int fields, int rows, int denseFields = 0, int mlpExtras = 0)
    {
        long d = c.EmbeddingDim, itemDim = fields * d, h = c.StateDim > 0 ? c.StateDim : itemDim;
        long m = c.MlpWidth > 0 ? c.MlpWidth : h / 2, m2 = m / 2, k = c.HintDim;
        long projection = h != itemDim ? itemDim * h + h : 0;
        return rows * d + denseFields * d + (4 * d * d + 4 * d) + 2 * d
               + projection
               + (4 * h * h + 4 * h) + 2 * h + (6 * h * h + 6 * h)
               + ((h + mlpExtras) * m + m) + (m * m2 + m2) + (m2 * k + k)
               + (k + 1);
    }

    private const int Rows = 50;

    public static TheoryData<string, QNetworkConfig> Sizes => new()
    {
        { "teacher", QNetworkConfig.Teacher },
        { "student", QNetworkConfig.Student },
        { "d = 2", new QNetworkConfig { EmbeddingDim = 2 } },
        { "state 12", new QNetworkConfig { EmbeddingDim = 8, StateDim = 12 } },
        { "state 64 (wider than F·d)", new QNetworkConfig { EmbeddingDim = 8, StateDim = 64 } },
        { "state = F·d (no projection)", new QNetworkConfig { EmbeddingDim = 8, StateDim = 40 } },
        { "mlp 10", new QNetworkConfig { EmbeddingDim = 8, MlpWidth = 10 } },
        { "hint 4", new QNetworkConfig { EmbeddingDim = 8, HintDim = 4 } },
        { "4 sequence heads", new QNetworkConfig { EmbeddingDim = 8, SequenceHeads = 4 } },
        { "1 field head", new QNetworkConfig { EmbeddingDim = 8, FieldHeads = 1 } },
        { "all knobs", new QNetworkConfig { EmbeddingDim = 2, FieldHeads = 1, StateDim = 8, SequenceHeads = 1, MlpWidth = 4, HintDim = 3 } },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void The_parameter_count_is_the_documented_formula(string name, QNetworkConfig config)
    {
        using var net = new QNetwork(config, ToyData.Schema.Count, Rows);
        Assert.True(Formula(config, ToyData.Schema.Count, Rows) == net.ParameterCount, name);
        Assert.Equal(net.ParameterCount, net.ParameterCounts().Sum(p => p.Parameters));
    }

    [Fact]
    public void The_formula_holds_with_dense_fields()
    {
        var lists = ToyData.DenseLists(8);
        var layout = FieldLayout.Of(lists.Schema);
        var config = new QNetworkConfig { EmbeddingDim = 4, StateDim = 10, MlpWidth = 6, HintDim = 7 };
        using var net = new QNetwork(config, layout, Rows);
        // The list features compare tags (3 decays); the dense skip takes the item's quality, not the context's load.
        Assert.Equal(Formula(config, layout.Count, Rows, layout.DenseFields.Count, mlpExtras: 3 + 1), net.ParameterCount);
        using var paper = new QNetwork(config with { PrefixMatch = false, DenseSkip = false }, layout, Rows);
        Assert.Equal(Formula(config, layout.Count, Rows, layout.DenseFields.Count), paper.ParameterCount);
    }

    /// <summary>Each knob changes the count by what the formula says: the state width as H², the MLP width, the hint,
    /// and the heads not at all (they split a width, they do not add weights).</summary>
    [Fact]
    public void Each_knob_moves_the_parameter_count_as_the_formula_does()
    {
        int f = ToyData.Schema.Count;
        var baseline = new QNetworkConfig { EmbeddingDim = 8 };
        long Count(QNetworkConfig c)
        {
            using var net = new QNetwork(c, f, Rows);
            return net.ParameterCount;
        }
        long before = Count(baseline);
        foreach (var changed in new[]
                 {
                     baseline with { EmbeddingDim = 4 }, baseline with { StateDim = 16 }, baseline with { MlpWidth = 8 },
                     baseline with { HintDim = 8 },
                 })
        {
            long after = Count(changed);
            Assert.NotEqual(before, after);
            Assert.Equal(Formula(changed, f, Rows) - Formula(baseline, f, Rows), after - before);
        }
        Assert.Equal(before, Count(baseline with { SequenceHeads = 4 }));
        Assert.Equal(before, Count(baseline with { FieldHeads = 4 }));
        // The state projection is what makes a small state cheap: H = 16 instead of F·d = 40 cuts the sequence part.
        Assert.True(Count(baseline with { StateDim = 16 }) < 0.5 * before);
    }

    /// <summary>Default sizes build today's network: the same parameter names and shapes, and (same seed) the same
    /// weights, as a config that names the defaults explicitly.</summary>
    [Fact]
    public void Default_knobs_add_no_projection_and_draw_the_same_weights()
    {
        int f = ToyData.Schema.Count;
        manual_seed(7);
        using var plain = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, f, Rows);
        manual_seed(7);
        using var spelled = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, StateDim = 8 * f, MlpWidth = 8 * f / 2 }, f, Rows);
        Assert.DoesNotContain(plain.named_parameters(), p => p.name.StartsWith("stateProjection", StringComparison.Ordinal));
        var a = plain.state_dict();
        var b = spelled.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys) Assert.True(a[key].shape.SequenceEqual(b[key].shape) && a[key].eq(b[key]).all().item<bool>(), key);
        Assert.Equal(["embedding", "fieldAttention", "fieldNorm", "sequenceAttention", "sequenceNorm", "gru", "mlp", "qHead"],
            plain.ParameterCounts().Select(p => p.Part).ToArray());
    }

    [Fact]
    public void A_state_projection_is_a_part_of_its_own_between_the_field_norm_and_the_sequence_attention()
    {
        using var net = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, StateDim = 12 }, ToyData.Schema.Count, Rows);
        Assert.Equal(["embedding", "fieldAttention", "fieldNorm", "stateProjection", "sequenceAttention", "sequenceNorm", "gru", "mlp", "qHead"],
            net.ParameterCounts().Select(p => p.Part).ToArray());
        Assert.Equal(12, net.StateDim);
        Assert.Equal(40, net.ItemDim);
    }

    [Theory]
    [InlineData(-1, 0, 2, "StateDim")]
    [InlineData(0, 1, 2, "MlpWidth")]
    [InlineData(12, 0, 5, "SequenceHeads")]
    [InlineData(3, 0, 1, "at least 4")]
    public void Sizes_the_network_cannot_have_are_refused_naming_the_knob(int state, int mlp, int heads, string expected)
    {
        var config = new QNetworkConfig { EmbeddingDim = 8, StateDim = state, MlpWidth = mlp, SequenceHeads = heads };
        var error = Assert.Throws<ArgumentException>(() => new QNetwork(config, ToyData.Schema.Count, Rows));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"model": {"state_dim": -2}}""", "model.state_dim")]
    [InlineData("""{"model": {"mlp_width": 1}}""", "model.mlp_width")]
    [InlineData("""{"model": {"embedding_dim": 2, "field_heads": 4}}""", "model.field_heads")]
    [InlineData("""{"model": {"state_dim": 10, "sequence_heads": 4}}""", "model.state_dim")]
    public void A_run_config_with_an_impossible_size_is_refused_naming_its_key(string json, string key)
    {
        var config = global::Drlrec.IO.Json.Overlay(new RunConfig().Resolve(), System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
        var error = Assert.Throws<ArgumentException>(config.Validate);
        Assert.StartsWith($"config {key} = ", error.Message);
    }
}
