using TorchSharp;
using static TorchSharp.torch;
using Drlrec.Checkpoints;
using Drlrec.Configuration;
using Drlrec.Data.Loading;
using Drlrec.Tests.Support;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Tests.Checkpoints;

public sealed class ModelCheckpointTests
{
    [Fact]
    public void CopyOnline_is_an_independent_network_with_the_same_weights_in_eval_mode()
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-copy-").FullName;
        try
        {
            var config = new RunConfig
            {
                Seed = 3,
                Model = new QNetworkConfig { EmbeddingDim = 8 },
                Trainer = new TrainerConfig { Epochs = 1, BatchSize = 16 },
            };
            TrainWorkflow.Run(config, PreparedData.Prepare(ToyData.Lists(80, seed: 2), null, new DataConfig(), new()), dir);
            using var model = ModelCheckpoint.Load(dir);
            using var copy = ModelCheckpoint.CopyOnline(model);

            Assert.NotSame(model.Online, copy);
            Assert.False(copy.training);
            var original = model.Online.named_parameters().ToList();
            var copied = copy.named_parameters().ToList();
            Assert.Equal(original.Select(p => p.name), copied.Select(p => p.name));
            foreach (var ((_, p), (_, q)) in original.Zip(copied))
                Assert.True(p.eq(q).all().item<bool>());

            using (no_grad())
            {
                using var one = 1.0.ToScalar(); // held, not a temporary: see Model/Scalars.cs
                copied[0].parameter.add_(one, one);
            }
            Assert.False(original[0].parameter.eq(copied[0].parameter).all().item<bool>()); // no shared storage
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
