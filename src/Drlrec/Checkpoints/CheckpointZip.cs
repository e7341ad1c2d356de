using System.IO.Compression;
using TorchSharp;
using TorchSharp.Modules;
using Drlrec.IO;

namespace Drlrec.Checkpoints;

/// <summary>
/// Module weights and optimizer state as entries of a checkpoint (<c>model.ckpt</c>, <c>resume.ckpt</c>): a
/// <see cref="ChecksummedZip"/>, so a flipped bit anywhere is refused at read, naming the file.
/// </summary>
public static class CheckpointZip
{
    /// <summary>A module's weights in TorchSharp's format.</summary>
    public static void WriteModule(ZipArchive zip, string name, torch.nn.Module module) =>
        ChecksummedZip.WriteBinary(zip, name, writer => module.save(writer));

    public static void ReadModule(ZipArchive zip, string path, string name, torch.nn.Module module) =>
        ChecksummedZip.ReadBinary(zip, path, name, reader => module.load(reader));

    /// <summary>An optimizer's state (Adam's moments and step counts) in TorchSharp's format.</summary>
    public static void WriteOptimizer(ZipArchive zip, string name, OptimizerHelper optimizer) =>
        ChecksummedZip.WriteBinary(zip, name, optimizer.save_state_dict);

    public static void ReadOptimizer(ZipArchive zip, string path, string name, OptimizerHelper optimizer) =>
        ChecksummedZip.ReadBinary(zip, path, name, reader =>
        {
            optimizer.load_state_dict(reader);
            return 0;
        });
}
