using System.IO.Compression;

namespace Drlrec.Learning;

/// <summary>A learner whose whole state (weights, target networks, optimizer moments, step counts) can be saved and restored.</summary>
public interface IResumableLearner
{
    /// <summary>Writes the state as entries named with <paramref name="prefix"/>.</summary>
    void SaveState(ZipArchive zip, string prefix = "");

    /// <summary>Restores what <see cref="SaveState"/> wrote into this learner's (same-shaped) networks and optimizer.</summary>
    void RestoreState(ZipArchive zip, string path, string prefix = "");
}
