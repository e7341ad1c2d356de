using Drlrec.Checkpoints;
using Drlrec.Ranking;

namespace Drlrec.Onnx;

/// <summary>Serving an ONNX export: paired with its checkpoint, or alone (no checkpoint, no TorchSharp model).</summary>
public static class OnnxServing
{
    /// <summary>
    /// A step scorer on the graph at <paramref name="path"/> (and the serving split beside it), refused unless the graph
    /// was exported from <paramref name="model"/>: every path that pairs a graph with a checkpoint opens it here (serve,
    /// reload, rank, bench, evaluate). The caller owns the scorer.
    /// </summary>
    /// <param name="wholeSlates">Rank whole slates on the slate graph beside it, when there (<see cref="OnnxStepScorer"/>).</param>
    /// <exception cref="InvalidDataException">The graph (or a graph beside it) is another model's, or another export's, or
    /// predates binding.</exception>
    public static OnnxStepScorer OpenFor(LoadedModel model, string path, int intraOpThreads = 1, bool wholeSlates = true) =>
        Bound(new OnnxStepScorer(path, intraOpThreads, wholeSlates), scorer => scorer.Info, path, model);

    /// <summary>A list scorer on the list graph at <paramref name="path"/>, refused unless it was exported from
    /// <paramref name="model"/>. The caller owns it.</summary>
    /// <exception cref="InvalidDataException">The graph is another model's, or predates binding.</exception>
    public static OnnxListScorer OpenListFor(LoadedModel model, string path, int intraOpThreads = 1) =>
        Bound(new OnnxListScorer(path, intraOpThreads), scorer => scorer.Info, path, model);

    /// <summary><paramref name="scorer"/> if its graph is <paramref name="model"/>'s; otherwise it is disposed and refused.</summary>
    private static T Bound<T>(T scorer, Func<T, OnnxModelInfo> info, string path, LoadedModel model) where T : IDisposable
    {
        try
        {
            // The full path: a server's relative path means little to the client of /admin/reload reading the refusal.
            OnnxBinding.EnsureBelongsTo(info(scorer), Path.GetFullPath(path), model);
            return scorer;
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A greedy <see cref="SlateRanker"/> on the step graph at <paramref name="path"/> and the vocabulary written beside it
    /// (<see cref="OnnxExporter.VocabularyPathFor"/>), which must come from the same export. Dispose <c>ranker.Scorer</c>
    /// when done.
    /// </summary>
    public static SlateRanker LoadRanker(string path, int intraOpThreads = 1)
    {
        string vocabularyPath = OnnxExporter.VocabularyPathFor(path);
        var vocabulary = OnnxVocabulary.Read(vocabularyPath);
        var scorer = new OnnxStepScorer(path, intraOpThreads);
        try
        {
            OnnxBinding.EnsureSameExport(vocabularyPath, vocabulary.ModelSha256, path, scorer.Info);
            if (scorer.FieldCount != vocabulary.Fields.Count || scorer.Info.EmbeddingRows != vocabulary.Vocabulary.Rows)
                throw new InvalidDataException($"{path}: the vocabulary beside it ({vocabulary.Fields.Count} fields, " +
                                               $"{vocabulary.Vocabulary.Rows} rows) is not the model's ({scorer.FieldCount} fields, " +
                                               $"{scorer.Info.EmbeddingRows} rows)");
            return new SlateRanker(scorer, vocabulary.Vocabulary, vocabulary.Schema);
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }
}
