using System.Runtime.InteropServices;

namespace Drlrec.NativePatch;

/// <summary>What <see cref="LibStdCxxPatch.Apply"/> did to one file.</summary>
public enum PatchOutcome
{
    /// <summary>Not Linux: nothing to do.</summary>
    NotLinux,
    /// <summary>The host's libstdc++ defines the version, so the loader is satisfied as is.</summary>
    HostHasVersion,
    /// <summary>The file does not need the version at all.</summary>
    NotNeeded,
    /// <summary>The need was already weak (an earlier build patched this copy).</summary>
    AlreadyWeak,
    /// <summary>The need is now weak.</summary>
    Patched,
}

/// <summary>
/// TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c> (GCC 13) for a single symbol,
/// <c>std::ios_base_library_init()</c>, that no relocation references. Debian 12 and Ubuntu 22.04 stop at
/// GLIBCXX_3.4.30, so the loader rejects the library. Marking that one need weak lets it load.
/// The file is rewritten through a temporary copy and a rename, so a hard link into the NuGet cache is
/// never written through.
/// </summary>
public static class LibStdCxxPatch
{
    public const string Library = "libstdc++.so.6";
    public const string Version = "GLIBCXX_3.4.32";

    /// <summary>Patches <paramref name="path"/> if this host needs it.</summary>
    /// <param name="path">A copy of <c>libLibTorchSharp.so</c> in a build or publish output.</param>
    /// <param name="hostLibStdCxx">The host's libstdc++ to check; null finds the one this process loaded.</param>
    public static PatchOutcome Apply(string path, string? hostLibStdCxx = null)
    {
        if (!OperatingSystem.IsLinux()) return PatchOutcome.NotLinux;
        hostLibStdCxx ??= FindLoadedLibStdCxx();
        if (hostLibStdCxx is not null && ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(hostLibStdCxx)).Contains(Version))
            return PatchOutcome.HostHasVersion;

        byte[] elf = File.ReadAllBytes(path);
        var need = ElfVersionNeeds.ReadNeeds(elf).FirstOrDefault(n => n.Library == Library && n.Version == Version);
        if (need is null) return PatchOutcome.NotNeeded;
        if (need.IsWeak) return PatchOutcome.AlreadyWeak;
        ElfVersionNeeds.MarkWeak(elf, Library, Version);
        WriteAtomically(path, elf);
        return PatchOutcome.Patched;
    }

    /// <summary>The libstdc++ mapped into this process (the .NET host links it), as the loader resolved it.</summary>
    public static string? FindLoadedLibStdCxx()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        return File.ReadLines(maps)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 6 && Path.GetFileName(parts[5]).StartsWith("libstdc++.so", StringComparison.Ordinal))
            .Select(parts => parts[5])
            .FirstOrDefault(File.Exists);
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temp = path + ".patch-" + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, bytes);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
        File.Move(temp, path, overwrite: true);
    }
}
