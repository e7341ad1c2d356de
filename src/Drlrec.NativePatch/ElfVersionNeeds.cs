using System.Buffers.Binary;
using System.Text;

namespace Drlrec.NativePatch;

/// <summary>One version a shared object needs from one library (an entry of <c>.gnu.version_r</c>).</summary>
/// <param name="Library">The needed file, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Index">The version index that <c>.gnu.version</c> entries use to point at this need.</param>
/// <param name="Flags">The <c>vna_flags</c> field; bit <see cref="ElfVersionNeeds.WeakFlag"/> marks a weak need.</param>
/// <param name="FlagsOffset">File offset of <c>vna_flags</c> (two bytes, little-endian).</param>
public sealed record VersionNeed(string Library, string Version, ushort Index, ushort Flags, long FlagsOffset)
{
    public bool IsWeak => (Flags & ElfVersionNeeds.WeakFlag) != 0;
}

/// <summary>
/// Reads the symbol-versioning sections of a 64-bit little-endian ELF shared object, just enough to
/// mark one version need as weak (<c>VER_FLG_WEAK</c>). The dynamic loader then tolerates a host
/// library that lacks that version instead of refusing to load the object.
/// </summary>
/// <remarks>
/// Only sound when no relocation binds a symbol of that version: <see cref="RelocatedSymbols"/> checks it.
/// Layouts follow the System V gABI and the LSB symbol-versioning chapter.
/// </remarks>
public static class ElfVersionNeeds
{
    public const ushort WeakFlag = 0x2;
    private const uint ShtRela = 4, ShtDynsym = 11, ShtRel = 9;
    private const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

    private readonly record struct Section(uint Type, long Offset, long Size, uint Link, long EntrySize);

    /// <summary>True when the bytes start like a 64-bit little-endian ELF file.</summary>
    public static bool IsElf64LittleEndian(ReadOnlySpan<byte> elf) =>
        elf.Length >= 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F'
        && elf[4] == 2 && elf[5] == 1;

    /// <summary>Every version need of the object, in file order.</summary>
    public static IReadOnlyList<VersionNeed> ReadNeeds(byte[] elf)
    {
        var result = new List<VersionNeed>();
        foreach (var section in Sections(elf).Where(s => s.Type == ShtGnuVerneed))
        {
            var strings = Sections(elf)[(int)section.Link];
            long entry = section.Offset;
            while (true)
            {
                ushort count = U16(elf, entry + 2);
                string library = CString(elf, strings.Offset + U32(elf, entry + 4));
                long aux = entry + U32(elf, entry + 8);
                for (int i = 0; i < count; i++)
                {
                    ushort flags = U16(elf, aux + 4);
                    ushort index = U16(elf, aux + 6);
                    string version = CString(elf, strings.Offset + U32(elf, aux + 8));
                    result.Add(new VersionNeed(library, version, index, flags, aux + 4));
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>The version names an object defines (<c>.gnu.version_d</c>), e.g. all GLIBCXX_* of a libstdc++.</summary>
    public static IReadOnlySet<string> ReadDefinitions(byte[] elf)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in Sections(elf).Where(s => s.Type == ShtGnuVerdef))
        {
            var strings = Sections(elf)[(int)section.Link];
            long entry = section.Offset;
            while (true)
            {
                long aux = entry + U32(elf, entry + 12);
                result.Add(CString(elf, strings.Offset + U32(elf, aux)));
                uint next = U32(elf, entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>
    /// Names of the dynamic symbols that some relocation (REL or RELA) binds and whose version index is
    /// <paramref name="versionIndex"/>. Empty means the loader never resolves a symbol of that version.
    /// </summary>
    public static IReadOnlyList<string> RelocatedSymbols(byte[] elf, ushort versionIndex)
    {
        var sections = Sections(elf);
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym.Type == 0 || versym.Type == 0) return [];
        var strings = sections[(int)dynsym.Link];
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rel in sections.Where(s => s.Type is ShtRela or ShtRel && s.EntrySize > 0))
        {
            for (long at = rel.Offset; at + rel.EntrySize <= rel.Offset + rel.Size; at += rel.EntrySize)
            {
                ulong info = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan((int)(at + 8)));
                uint symbol = (uint)(info >> 32);
                if (symbol == 0) continue;
                ushort version = (ushort)(U16(elf, versym.Offset + 2L * symbol) & 0x7fff);
                if (version != versionIndex) continue;
                long sym = dynsym.Offset + symbol * dynsym.EntrySize;
                names.Add(CString(elf, strings.Offset + U32(elf, sym)));
            }
        }
        return names.ToList();
    }

    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on the need for <paramref name="version"/> of <paramref name="library"/>,
    /// in place in <paramref name="elf"/>. Only the two bytes of that entry's <c>vna_flags</c> can change.
    /// </summary>
    /// <returns>The need as it was before the edit.</returns>
    /// <exception cref="InvalidOperationException">No such need, or a relocation binds a symbol of that version.</exception>
    public static VersionNeed MarkWeak(byte[] elf, string library, string version)
    {
        var need = ReadNeeds(elf).FirstOrDefault(n => n.Library == library && n.Version == version)
            ?? throw new InvalidOperationException($"the object does not need {version} from {library}");
        var bound = RelocatedSymbols(elf, need.Index);
        if (bound.Count > 0)
            throw new InvalidOperationException(
                $"refusing to weaken {version}: relocations bind {string.Join(", ", bound)}, so the symbols are really used");
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan((int)need.FlagsOffset), (ushort)(need.Flags | WeakFlag));
        return need;
    }

    private static List<Section> Sections(byte[] elf)
    {
        if (!IsElf64LittleEndian(elf)) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        ushort entsize = U16(elf, 0x3A), count = U16(elf, 0x3C);
        if (shoff <= 0 || entsize < 64 || shoff + (long)entsize * count > elf.Length)
            throw new InvalidDataException("ELF section header table is missing or truncated");
        var list = new List<Section>(count);
        for (int i = 0; i < count; i++)
        {
            long h = shoff + (long)i * entsize;
            var s = new Section(U32(elf, h + 4), (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan((int)(h + 24))),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan((int)(h + 32))), U32(elf, h + 40),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan((int)(h + 56))));
            if (s.Type != 8 /* NOBITS */ && s.Offset + s.Size > elf.Length)
                throw new InvalidDataException($"ELF section {i} runs past the end of the file");
            list.Add(s);
        }
        return list;
    }

    private static ushort U16(byte[] b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)at));
    private static uint U32(byte[] b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at));

    private static string CString(byte[] b, long at)
    {
        int end = Array.IndexOf(b, (byte)0, (int)at);
        if (end < 0) throw new InvalidDataException("unterminated string in ELF string table");
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
