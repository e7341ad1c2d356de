using System.Buffers.Binary;
using System.Text;

namespace Drlrec.NativePatch.Tests;

/// <summary>Builds a minimal ELF64 file holding only a string table and a version-definition section.</summary>
internal static class TinyElf
{
    public static byte[] WithVersionDefinitions(string soname, params string[] versions)
    {
        // String table: "\0" soname "\0" version... "\0"
        var strtab = new List<byte> { 0 };
        var nameOffsets = new List<int>();
        foreach (string name in new[] { soname }.Concat(versions))
        {
            nameOffsets.Add(strtab.Count);
            strtab.AddRange(Encoding.ASCII.GetBytes(name));
            strtab.Add(0);
        }

        // Verdef entries (20 bytes) each followed by one Verdaux (8 bytes).
        int count = nameOffsets.Count;
        var verdef = new byte[count * 28];
        for (int i = 0; i < count; i++)
        {
            var e = verdef.AsSpan(i * 28);
            BinaryPrimitives.WriteUInt16LittleEndian(e, 1);                         // vd_version
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], (ushort)(i == 0 ? 1 : 0)); // vd_flags: VER_FLG_BASE
            BinaryPrimitives.WriteUInt16LittleEndian(e[4..], (ushort)(i + 1));     // vd_ndx
            BinaryPrimitives.WriteUInt16LittleEndian(e[6..], 1);                    // vd_cnt
            BinaryPrimitives.WriteUInt32LittleEndian(e[12..], 20);                  // vd_aux
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)(i + 1 < count ? 28 : 0)); // vd_next
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], (uint)nameOffsets[i]); // vda_name
        }

        const int header = 64, shentsize = 64;
        int strOffset = header, defOffset = strOffset + strtab.Count, shoff = defOffset + verdef.Length;
        var file = new byte[shoff + 3 * shentsize];
        file[0] = 0x7f; file[1] = (byte)'E'; file[2] = (byte)'L'; file[3] = (byte)'F'; file[4] = 2; file[5] = 1; file[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(16), 3);       // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(18), 62);      // EM_X86_64
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(0x28), (ulong)shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x34), header);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3A), shentsize);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3C), 3);
        strtab.CopyTo(file, strOffset);
        verdef.CopyTo(file, defOffset);

        void Section(int index, uint type, int offset, int size, uint link)
        {
            var s = file.AsSpan(shoff + index * shentsize);
            BinaryPrimitives.WriteUInt32LittleEndian(s[4..], type);
            BinaryPrimitives.WriteUInt64LittleEndian(s[24..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(s[32..], (ulong)size);
            BinaryPrimitives.WriteUInt32LittleEndian(s[40..], link);
        }
        Section(1, 3 /* SHT_STRTAB */, strOffset, strtab.Count, 0);
        Section(2, 0x6ffffffd /* SHT_GNU_verdef */, defOffset, verdef.Length, 1);
        return file;
    }
}
