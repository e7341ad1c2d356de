using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Model;

public sealed class QNetworkTests
{
    private static (QNetwork Net, EncodedLists Data, FieldLayout Layout) Build(int seed = 3, QNetworkConfig? config = null)
    {
        var lists = ToyData.Lists(16);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        manual_seed(seed);
        var net = new QNetwork(config ?? new QNetworkConfig { EmbeddingDim = 8 }, FieldLayout.Of(lists.Schema), vocabulary.Rows);
        net.eval();
        return (net, EncodedLists.Encode(lists, vocabulary), FieldLayout.Of(lists.Schema));
    }

    /// <summary>The equivalences below hold for default sizes and with every size knob set (a state projection among them),
    /// with and without the list features (<see cref="QNetworkConfig.PrefixMatch"/>; the toy's tags are compared).</summary>
    private static QNetworkConfig Sized(bool sized, bool prefixMatch = false) => (sized
        ? new QNetworkConfig { EmbeddingDim = 4, FieldHeads = 1, StateDim = 12, SequenceHeads = 3, MlpWidth = 6, HintDim = 5 }
        : new QNetworkConfig { EmbeddingDim = 8 }) with { PrefixMatch = prefixMatch };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Scoring_the_logged_item_from_the_cached_prefix_equals_the_full_forward_pass(bool sized, bool prefixMatch)
    {
        var (net, data, layout) = Build(config: Sized(sized, prefixMatch));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch(Enumerable.Range(0, 8).ToArray());
        var full = net.Forward(batch);
        for (int p = 0; p < batch.Length; p++)
        {
            var rows = layout.Place(batch.Rows.select(1, p), layout.ItemPart(batch.Rows.narrow(1, p, 1), 2));
            var step = net.ScoreCandidates(net.PrefixAt(full, p), rows);
            Assert.True(step.Q.squeeze(1).allclose(full.Q.select(1, p), rtol: 1e-4, atol: 1e-5), $"position {p}");
            Assert.True(step.Hint.squeeze(1).allclose(full.Hint.select(1, p), rtol: 1e-4, atol: 1e-5));
        }
    }

    /// <summary>The encode-once path: a candidate encoded without its slot, then placed in each slot, is the vector the
    /// per-slot encoding gives (context fields of the slot, item fields of the candidate).</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Candidates_encoded_once_and_placed_in_a_slot_equal_their_encoding_in_that_slot(bool sized, bool prefixMatch)
    {
        var (net, data, layout) = Build(config: Sized(sized, prefixMatch));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.True(net.EncodesOncePerRequest);
        Assert.Equal(1, net.SlotContext);                                                     // the toy schema's position
        var batch = data.Batch(Enumerable.Range(0, 4).ToArray());
        long b = batch.Size, l = batch.Length;
        var once = net.EncodeCandidates(batch.Rows.flatten(0, 1)).view(b, l, -1);             // [B, L, D]
        for (int p = 0; p < l; p++)
        {
            var slot = batch.Rows.select(1, p);
            var perSlot = net.EncodeItems(layout.Place(slot, layout.ItemPart(batch.Rows, 2)).flatten(0, 1)).view(b, l, -1);
            // Padding has no user fields: compare real candidates in real slots.
            var real = batch.Mask.logical_and(batch.Mask.select(1, p).unsqueeze(1)).unsqueeze(-1);
            var diff = (net.AtSlot(once, slot) - perSlot).abs().masked_fill(real.logical_not(), 0).max().item<float>();
            Assert.True(diff < 1e-5, $"slot {p}: {diff}");
        }
        // The slot matters (the position's embedding is in the vector), so the check above could fail.
        Assert.False(net.AtSlot(once, batch.Rows.select(1, 0)).allclose(net.AtSlot(once, batch.Rows.select(1, 1))));
    }

    /// <summary>The serving path: candidates encoded and projected once per request, the slot's context added per step,
    /// score as <see cref="QNetwork.ScoreCandidates"/> of their rows in that slot.</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Cached_candidates_score_as_their_rows_in_the_slot(bool sized, bool prefixMatch)
    {
        var (net, data, layout) = Build(config: Sized(sized, prefixMatch));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch([0]);
        int l = (int)data.Lengths[0];
        var rows = batch.Rows.narrow(1, 0, l);                                                // [1, L, F, M]
        var full = net.Forward(rows);
        using var cache = net.CacheCandidates(rows.squeeze(0));
        for (int p = 0; p < l; p++)
        {
            var slot = rows.select(1, p);                                                     // [1, F, M]
            var expected = net.ScoreCandidates(net.PrefixAt(full, p), layout.Place(slot, layout.ItemPart(rows.narrow(1, p, l - p), 2)));
            var actual = net.ScoreCached(net.PrefixAt(full, p), cache, arange(p, l, ScalarType.Int64), slot);
            Assert.True(actual.Q.allclose(expected.Q, rtol: 1e-4, atol: 1e-5), $"slot {p}");
            Assert.True(actual.States.allclose(expected.States, rtol: 1e-4, atol: 1e-5), $"slot {p} states");
        }
    }

    [Fact]
    public void A_model_whose_field_attention_mixes_the_context_encodes_per_slot_and_says_so()
    {
        var (net, _, _) = Build(config: new QNetworkConfig { EmbeddingDim = 8, ContextInput = ContextInput.FieldAttention });
        Assert.False(net.EncodesOncePerRequest);
        Assert.Equal(0, net.SlotContext);
        var error = Assert.Throws<InvalidOperationException>(() => net.EncodeCandidates(zeros(2, 5, 1, ScalarType.Int64)));
        Assert.Contains("field_attention", error.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Advancing_the_prefix_one_item_at_a_time_reproduces_the_forward_pass(bool sized, bool prefixMatch)
    {
        var (net, data, _) = Build(config: Sized(sized, prefixMatch));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch(Enumerable.Range(0, 5).ToArray());
        var full = net.Forward(batch);
        var prefix = net.EmptyPrefix(batch.Size);
        for (int p = 0; p < batch.Length; p++)
        {
            var step = net.ScoreCandidates(prefix, batch.Rows.narrow(1, p, 1));
            Assert.True(step.Q.squeeze(1).allclose(full.Q.select(1, p), rtol: 1e-4, atol: 1e-5));
            prefix = QNetwork.Advance(prefix, step, zeros(batch.Size, dtype: ScalarType.Int64));
            Assert.True(prefix.Hidden.allclose(full.States.select(1, p), rtol: 1e-4, atol: 1e-5));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_score_never_depends_on_later_positions(bool prefixMatch)
    {
        var (net, data, _) = Build(config: Sized(false, prefixMatch));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch([0, 1, 2]);
        var before = net.Forward(batch).Q;
        var changed = batch.Rows.clone();
        changed.narrow(1, 3, batch.Length - 3).narrow(3, 0, 1).fill_(1); // other values at positions 3..
        var after = net.Forward(changed).Q;
        Assert.True(after.narrow(1, 0, 3).allclose(before.narrow(1, 0, 3)));
        Assert.False(after.narrow(1, 3, 1).allclose(before.narrow(1, 3, 1)));
    }

    /// <summary>The list features reach Q (zeroing their weights changes Q exactly where an earlier item shares a tag with
    /// the item, never at the first position), and only the MLP's first layer grows (by the compared fields × decays).</summary>
    [Fact]
    public void Prefix_match_features_reach_q_and_widen_only_the_mlp_input()
    {
        var (plain, _, _) = Build(config: Sized(false));
        var (net, data, layout) = Build(config: Sized(false, prefixMatch: true));
        Assert.Equal([3], QNetwork.MatchedFields(layout));                                    // tags (the item key is not compared)
        Assert.Equal(3, net.MatchFeatures);
        var widths = net.named_parameters().Zip(plain.named_parameters(), (a, b) => (a.name, a.parameter.shape[^1] - b.parameter.shape[^1]));
        Assert.Equal([("mlp.hidden1.weight", 3L)], widths.Where(w => w.Item2 != 0).ToArray());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = data.Batch(Enumerable.Range(0, 8).ToArray());
        var with = net.Forward(batch).Q;
        var features = PrefixMatch.AlongLists(net.MatchRows(batch.Rows)!).abs().sum(-1);     // [B, L]: 0 where nothing matches
        var weight = net.named_parameters().Single(p => p.name == "mlp.hidden1.weight").parameter;
        weight.narrow(1, weight.shape[1] - 3, 3).zero_();
        var without = net.Forward(batch).Q;
        var changed = (with - without).abs().gt(1e-7);
        Assert.True(changed.eq(features.gt(0)).all().item<bool>(), "Q changes exactly where a feature is not 0");
        Assert.True(features.gt(0).any().item<bool>(), "the toy lists repeat tags, so the check above is not vacuous");
        Assert.False(changed.select(1, 0).any().item<bool>());
    }

    /// <summary>The dense skip carries the user and item dense values to the MLP by themselves: with the dense fields'
    /// projection zeroed (so the field attention no longer sees the values), changing an item's value still changes its Q,
    /// and only with the skip; a context dense field is not skipped.</summary>
    [Fact]
    public void Dense_skip_feeds_the_user_and_item_dense_values_to_the_mlp()
    {
        var lists = ToyData.DenseLists(16);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var layout = FieldLayout.Of(lists.Schema);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = EncodedLists.Encode(lists, vocabulary).Batch(Enumerable.Range(0, 4).ToArray());
        var changed = batch.Rows.clone();
        changed.select(2, 4).select(2, 1).add_(500_000);                                      // quality (item field 4): +0.5 in z
        foreach (bool skip in new[] { false, true })
        {
            manual_seed(4);
            var net = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, DenseSkip = skip }, layout, vocabulary.Rows);
            net.eval();
            Assert.Equal(skip ? [4] : Array.Empty<int>(), net.SkipFields);                   // not the context's load (field 6)
            net.named_parameters().Single(p => p.name == "denseProjection").parameter.zero_();
            var moved = (net.Forward(changed).Q - net.Forward(batch.Rows).Q).abs().masked_fill(batch.Mask.logical_not(), 0).max().item<float>();
            if (skip) Assert.True(moved > 1e-5, $"the skipped value must reach Q ({moved})");
            else Assert.True(moved < 1e-7, $"without the skip a zeroed projection hides the value ({moved})");
        }
    }

    [Fact]
    public void Padding_row_stays_zero_and_parts_add_up_to_the_parameter_count()
    {
        var (net, _, _) = Build();
        var embedding = net.named_parameters().Single(p => p.name == "embedding.weight").parameter;
        Assert.Equal(0, embedding[0].abs().sum().item<float>());
        var parts = net.ParameterCounts();
        Assert.Equal(net.ParameterCount, parts.Sum(p => p.Parameters));
        Assert.Equal(["embedding", "fieldAttention", "fieldNorm", "sequenceAttention", "sequenceNorm", "gru", "mlp", "qHead"],
            parts.Select(p => p.Part).ToArray());
    }

    [Fact]
    public void Student_is_smaller_than_teacher_with_the_same_architecture()
    {
        var (teacher, _, _) = Build(config: QNetworkConfig.Teacher);
        var (student, _, _) = Build(config: QNetworkConfig.Student);
        Assert.Equal(teacher.named_parameters().Select(p => p.name), student.named_parameters().Select(p => p.name));
        Assert.True(student.ParameterCount < 0.55 * teacher.ParameterCount,
            $"student {student.ParameterCount} vs teacher {teacher.ParameterCount}");
    }

    [Fact]
    public void Invalid_head_counts_are_rejected_with_the_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => new QNetwork(new QNetworkConfig { EmbeddingDim = 6, FieldHeads = 4 }, 5, 10));
        Assert.Contains("FieldHeads", error.Message);
    }
}

public sealed class FirstSlotScoringTests
{
    [Fact]
    public void First_slot_scoring_values_every_item_of_a_list_as_the_first_placement()
    {
        var lists = ToyData.Lists(10, seed: 8);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var data = EncodedLists.Encode(lists, vocabulary);
        var layout = FieldLayout.Of(lists.Schema);
        manual_seed(4);
        using var net = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, lists.Schema.Count, vocabulary.Rows);
        var scores = Drlrec.Evaluation.QScorer.Score(net, data, scoring: Drlrec.Evaluation.OfflineScoring.FirstSlot, layout: layout);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        net.eval();
        for (int i = 0; i < 3; i++)
        {
            var one = data.Batch([i]);
            for (int j = 0; j < data.Lengths[i]; j++)
            {
                // item j moved into slot 0 (slot 0's user and context fields), scored by the full forward pass
                var rows = one.Rows.clone();
                rows.select(1, 0).narrow(1, layout.UserFields, layout.ItemFields).copy_(
                    one.Rows.select(1, j).narrow(1, layout.UserFields, layout.ItemFields));
                Assert.Equal(net.Forward(rows).Q[0, 0].item<float>(), scores[i * data.MaxLength + j], 4);
            }
        }
    }
}

public sealed class QNetworkDenseFieldTests
{
    [Fact]
    public void Dense_values_enter_through_the_projection_and_their_codes_are_never_read_as_embedding_rows()
    {
        var lists = ToyData.DenseLists(24);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var layout = FieldLayout.Of(vocabulary);
        manual_seed(4);
        using var net = new QNetwork(new QNetworkConfig { EmbeddingDim = 8, DenseSkip = false }, layout.Count, vocabulary.Rows, "dense", layout.DenseFields);
        net.eval();
        Assert.Contains(net.named_parameters(), p => p.name == "denseProjection");
        Assert.Equal(2L * 8, net.named_parameters().Single(p => p.name == "denseProjection").parameter.numel());
        Assert.Equal(net.ParameterCount, net.ParameterCounts().Sum(p => p.Parameters));
        Assert.Equal(("denseProjection", 2L * 8), net.ParameterCounts().Last());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = EncodedLists.Encode(lists, vocabulary).Batch(Enumerable.Range(0, 8).ToArray()).Rows;
        int quality = lists.Schema.IndexOf("quality");
        // A code far beyond the embedding table: read as a row it would fail; read as a value it changes Q.
        var shifted = rows.clone();
        shifted.select(2, quality).select(2, 1).fill_(4 * DenseCode.Scale);
        var q = net.Forward(rows).Q;
        var qShifted = net.Forward(shifted).Q;
        Assert.False(q.allclose(qShifted, rtol: 1e-4, atol: 1e-5));

        net.named_parameters().Single(p => p.name == "denseProjection").parameter.zero_();
        Assert.True(net.Forward(rows).Q.allclose(net.Forward(shifted).Q, rtol: 1e-5, atol: 1e-6), "without a projection the value adds nothing");
    }

    [Fact]
    public void A_network_without_dense_fields_has_exactly_the_parameters_it_had_before()
    {
        manual_seed(2);
        using var net = new QNetwork(new QNetworkConfig { EmbeddingDim = 8 }, ToyData.Schema.Count, 50);
        Assert.DoesNotContain(net.named_parameters(), p => p.name.StartsWith("dense", StringComparison.Ordinal));
        Assert.Empty(net.DenseFields);
    }
}
