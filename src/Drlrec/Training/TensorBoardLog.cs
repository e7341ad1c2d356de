using TorchSharp.Modules;
using static TorchSharp.torch.utils;

namespace Drlrec.Training;

/// <summary>
/// A run's curves as TensorBoard event files in its folder (TorchSharp's SummaryWriter), so that
/// <c>tensorboard --logdir runs</c> shows every run: the loss of every step (and distillation's terms), and each
/// epoch's train loss and validation AUC, GAUC and NDCG@10. Event files are append-only logs; a resumed run adds a new
/// file beside the old ones, which TensorBoard reads together.
/// </summary>
public sealed class TensorBoardLog(string folder)
{
    private readonly SummaryWriter writer = tensorboard.SummaryWriter(folder);

    /// <param name="terms">Named parts of the loss (e.g. "distill/kl"), logged beside "train/loss".</param>
    public void Step(long step, double loss, IEnumerable<(string Tag, double Value)>? terms = null)
    {
        int at = (int)Math.Min(step, int.MaxValue);
        writer.add_scalar("train/loss", (float)loss, at);
        foreach (var (tag, value) in terms ?? []) writer.add_scalar(tag, (float)value, at);
    }

    public void Epoch(EpochRecord record)
    {
        writer.add_scalar("epoch/train_loss", (float)record.TrainLoss, record.Epoch);
        writer.add_scalar("validation/auc", (float)record.ValAuc, record.Epoch);
        writer.add_scalar("validation/gauc", (float)record.ValGauc, record.Epoch);
        writer.add_scalar("validation/ndcg10", (float)record.ValNdcg10, record.Epoch);
        writer.add_scalar("epoch/items_per_second", (float)record.ItemsPerSecond, record.Epoch);
    }
}
