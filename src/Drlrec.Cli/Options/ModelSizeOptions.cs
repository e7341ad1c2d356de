using System.CommandLine;
using Drlrec.Configuration;

namespace Drlrec.Cli.Options;

/// <summary>
/// The network size options of <c>train</c> (<c>--state-dim</c>, ...) and <c>distill</c> (the same with <c>--student-</c>
/// in front): each sets one <c>model.*</c> key of the run config (<see cref="QNetworkConfig"/>) when typed, over the
/// defaults and <c>--config</c>, like every run option. <c>train</c> also has <c>--embedding-dim</c>; <c>distill</c> keeps
/// its <c>--student-dim</c> for that.
/// </summary>
public sealed class ModelSizeOptions
{
    /// <param name="prefix">"" or "student-".</param>
    /// <param name="withEmbeddingDim">Also <c>--{prefix}embedding-dim</c>.</param>
    public ModelSizeOptions(string prefix, bool withEmbeddingDim)
    {
        var defaults = new QNetworkConfig();
        if (withEmbeddingDim)
            EmbeddingDim = new Option<int?>($"--{prefix}embedding-dim")
            {
                Description = $"Embedding size d of every field (model.embedding_dim) [default: {QNetworkConfig.Teacher.EmbeddingDim} " +
                              $"for a teacher, {QNetworkConfig.Student.EmbeddingDim} for a student]",
            };
        StateDim = new Option<int?>($"--{prefix}state-dim")
        {
            Description = "State width D (model.state_dim): the F·d item vector is projected to D before the sequence attention, " +
                          "so the attention, the GRU and the MLP are D wide [default: F·d, no projection]",
        };
        MlpWidth = new Option<int?>($"--{prefix}mlp-width")
        {
            Description = "Width m of the MLP's first hidden layer; the second is m/2 (model.mlp_width) [default: D/2]",
        };
        HintDim = new Option<int?>($"--{prefix}hint-dim")
        {
            Description = $"Size H of the hint vector, the MLP's output (model.hint_dim) [default: {defaults.HintDim}]",
        };
        SequenceHeads = new Option<int?>($"--{prefix}sequence-heads")
        {
            Description = $"Heads of the sequence attention; must divide D (model.sequence_heads) [default: {defaults.SequenceHeads}]",
        };
        FieldHeads = new Option<int?>($"--{prefix}field-heads")
        {
            Description = $"Heads of the field attention; must divide d (model.field_heads) [default: {defaults.FieldHeads}]",
        };
    }

    public Option<int?>? EmbeddingDim { get; }
    public Option<int?> StateDim { get; }
    public Option<int?> MlpWidth { get; }
    public Option<int?> HintDim { get; }
    public Option<int?> SequenceHeads { get; }
    public Option<int?> FieldHeads { get; }

    public void AddTo(Command command)
    {
        if (EmbeddingDim is not null) command.Options.Add(EmbeddingDim);
        foreach (var option in new Option[] { StateDim, MlpWidth, HintDim, SequenceHeads, FieldHeads }) command.Options.Add(option);
    }

    /// <summary><paramref name="config"/> with the typed sizes set on its (resolved) network sizes.</summary>
    public RunConfig Apply(ParseResult parse, RunConfig config)
    {
        var model = config.ResolvedModel;
        if (EmbeddingDim is not null && parse.GetValue(EmbeddingDim) is { } d) model = model with { EmbeddingDim = d };
        if (parse.GetValue(StateDim) is { } state) model = model with { StateDim = state };
        if (parse.GetValue(MlpWidth) is { } mlp) model = model with { MlpWidth = mlp };
        if (parse.GetValue(HintDim) is { } hint) model = model with { HintDim = hint };
        if (parse.GetValue(SequenceHeads) is { } heads) model = model with { SequenceHeads = heads };
        if (parse.GetValue(FieldHeads) is { } fieldHeads) model = model with { FieldHeads = fieldHeads };
        return config with { Model = model };
    }
}
