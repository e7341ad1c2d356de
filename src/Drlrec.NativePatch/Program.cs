using Drlrec.NativePatch;

// Usage: drlrec-nativepatch <libLibTorchSharp.so>...   (missing paths are skipped)
int failures = 0;
foreach (string path in args)
{
    if (!File.Exists(path)) continue;
    try
    {
        var outcome = LibStdCxxPatch.Apply(path);
        if (outcome == PatchOutcome.Patched)
            Console.WriteLine($"drlrec-nativepatch: marked {LibStdCxxPatch.Version} weak in {path}");
    }
    catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException)
    {
        Console.Error.WriteLine($"drlrec-nativepatch: {path}: {e.Message}");
        failures++;
    }
}
return failures == 0 ? 0 : 1;
