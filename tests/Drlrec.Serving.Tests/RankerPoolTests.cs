using Drlrec.Checkpoints;
using Drlrec.Testing;
using static TorchSharp.torch;

namespace Drlrec.Serving.Tests;

/// <summary>The pool refuses a model it cannot rank with before any request arrives.</summary>
public sealed class RankerPoolTests
{
    [Fact]
    public void A_model_whose_scores_are_not_finite_is_refused_at_warm_up_naming_the_file()
    {
        using var folder = new TemporaryFolder();
        string path = folder[ModelCheckpoint.FileName];
        using (var model = ModelCheckpoint.Load(TinyModel.Folder))
        {
            using (no_grad())
                foreach (var p in model.Online.parameters()) p.fill_(float.NaN);   // what a diverged run would have saved
            ModelCheckpoint.Save(path, model.Header, model.Online, model.Target);
        }

        var e = Assert.Throws<InvalidDataException>(() => new RankerPool(TinyService.Options() with { Model = path, Workers = 1 }).Dispose());

        Assert.Contains(path, e.Message);
        Assert.Contains("non-finite Q-values", e.Message);
        using var healthy = new RankerPool(TinyService.Options() with { Workers = 1 });   // the tiny model itself warms up fine
    }
}
