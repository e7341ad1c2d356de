using Drlrec.Ranking;

namespace Drlrec.Onnx;

/// <summary>Serving from an ONNX export alone (no checkpoint, no TorchSharp model).</summary>
public static class OnnxServing
{
    /// <summary>
    /// A greedy <see cref="SlateRanker"/> on the step graph at <paramref name="path"/> and the vocabulary written beside it
    /// (<see cref="OnnxExporter.VocabularyPathFor"/>). Dispose <c>ranker.Scorer</c> when done.
    /// </summary>
    public static SlateRanker LoadRanker(string path, int intraOpThreads = 1)
    {
        var vocabulary = OnnxVocabulary.Read(OnnxExporter.VocabularyPathFor(path));
        var scorer = new OnnxStepScorer(path, intraOpThreads);
        try
        {
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
