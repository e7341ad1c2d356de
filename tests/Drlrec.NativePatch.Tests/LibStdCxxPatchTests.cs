using System.Runtime.InteropServices;
using Drlrec.Testing;

namespace Drlrec.NativePatch.Tests;

public sealed class LibStdCxxPatchTests
{
    /// <summary>The untouched library in the NuGet cache (read only).</summary>
    private static string OriginalLibrary
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        }
    }

    private static string OutputLibrary =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [LinuxFact]
    public void Original_needs_GLIBCXX_3_4_32_but_no_relocation_binds_a_symbol_of_it()
    {
        byte[] elf = File.ReadAllBytes(OriginalLibrary);
        var need = ElfVersionNeeds.ReadNeeds(elf).Single(n => n.Version == LibStdCxxPatch.Version);
        Assert.Equal(LibStdCxxPatch.Library, need.Library);
        Assert.False(need.IsWeak);
        Assert.Empty(ElfVersionNeeds.RelocatedSymbols(elf, need.Index));
        // A version the library really uses is bound by relocations: the check is not vacuous.
        var used = ElfVersionNeeds.ReadNeeds(elf).Single(n => n.Library == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4");
        Assert.NotEmpty(ElfVersionNeeds.RelocatedSymbols(elf, used.Index));
    }

    [LinuxFact]
    public void Marking_weak_changes_only_the_flags_of_that_one_need()
    {
        byte[] original = File.ReadAllBytes(OriginalLibrary);
        byte[] patched = (byte[])original.Clone();
        var before = ElfVersionNeeds.MarkWeak(patched, LibStdCxxPatch.Library, LibStdCxxPatch.Version);

        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.NotEmpty(differing);
        Assert.All(differing, i => Assert.InRange(i, before.FlagsOffset, before.FlagsOffset + 1));

        var needsBefore = ElfVersionNeeds.ReadNeeds(original);
        var needsAfter = ElfVersionNeeds.ReadNeeds(patched);
        Assert.Equal(needsBefore.Count, needsAfter.Count);
        for (int i = 0; i < needsBefore.Count; i++)
        {
            bool target = needsBefore[i].Version == LibStdCxxPatch.Version;
            Assert.Equal(target ? (ushort)(needsBefore[i].Flags | ElfVersionNeeds.WeakFlag) : needsBefore[i].Flags, needsAfter[i].Flags);
            Assert.Equal(needsBefore[i] with { Flags = needsAfter[i].Flags }, needsAfter[i]);
        }
    }

    [LinuxFact]
    public void Refuses_to_weaken_a_version_that_relocations_use()
    {
        byte[] elf = File.ReadAllBytes(OriginalLibrary);
        var error = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.MarkWeak(elf, "libstdc++.so.6", "GLIBCXX_3.4"));
        Assert.Contains("relocations bind", error.Message);
        Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.MarkWeak(elf, "libstdc++.so.6", "GLIBCXX_9.9"));
    }

    [LinuxFact]
    public void Apply_patches_a_copy_through_a_rename_and_is_idempotent()
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-patch-").FullName;
        try
        {
            string copy = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(OriginalLibrary, copy);
            string link = Path.Combine(dir, "hardlink.so");
            Assert.Equal(0, link_(copy, link)); // a hard link stands for the NuGet cache: it must not be written through

            var first = LibStdCxxPatch.Apply(copy, hostLibStdCxx: WithoutVersion(dir));
            var second = LibStdCxxPatch.Apply(copy, hostLibStdCxx: WithoutVersion(dir));
            Assert.Equal(PatchOutcome.Patched, first);
            Assert.Equal(PatchOutcome.AlreadyWeak, second);
            Assert.Equal(File.ReadAllBytes(OriginalLibrary), File.ReadAllBytes(link));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [LinuxFact]
    public void Apply_does_nothing_when_the_host_libstdcxx_defines_the_version()
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-patch-").FullName;
        try
        {
            string copy = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(OriginalLibrary, copy);
            string host = Path.Combine(dir, "libstdc++.so.6");
            File.WriteAllBytes(host, TinyElf.WithVersionDefinitions("libstdc++.so.6", "GLIBCXX_3.4.31", LibStdCxxPatch.Version));
            Assert.Contains(LibStdCxxPatch.Version, ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(host)));

            Assert.Equal(PatchOutcome.HostHasVersion, LibStdCxxPatch.Apply(copy, host));
            Assert.Equal(File.ReadAllBytes(OriginalLibrary), File.ReadAllBytes(copy));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [LinuxFact]
    public void The_copy_in_the_build_output_loads_and_differs_from_the_original_at_most_in_that_flag()
    {
        byte[] original = File.ReadAllBytes(OriginalLibrary);
        byte[] output = File.ReadAllBytes(OutputLibrary);
        var need = ElfVersionNeeds.ReadNeeds(original).Single(n => n.Version == LibStdCxxPatch.Version);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != output[i]).ToList();
        Assert.All(differing, i => Assert.InRange(i, need.FlagsOffset, need.FlagsOffset + 1));

        string? host = LibStdCxxPatch.FindLoadedLibStdCxx();
        Assert.NotNull(host);
        bool hostHasVersion = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(host)).Contains(LibStdCxxPatch.Version);
        // Patched exactly when this host needs it.
        Assert.Equal(!hostHasVersion, ElfVersionNeeds.ReadNeeds(output).Single(n => n.Version == LibStdCxxPatch.Version).IsWeak);

        // Its dependencies (libtorch, libc10) sit beside it, as in every build output.
        Assert.True(NativeLibrary.TryLoad(OutputLibrary, out IntPtr handle), $"could not load {OutputLibrary}");
        Assert.NotEqual(IntPtr.Zero, NativeLibrary.GetExport(handle, "THSTensor_zeros"));
    }

    private static string WithoutVersion(string dir)
    {
        string host = Path.Combine(dir, "old-libstdc++.so.6");
        if (!File.Exists(host))
            File.WriteAllBytes(host, TinyElf.WithVersionDefinitions("libstdc++.so.6", "GLIBCXX_3.4.29", "GLIBCXX_3.4.30"));
        return host;
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int link_(string existing, string newPath);
}
