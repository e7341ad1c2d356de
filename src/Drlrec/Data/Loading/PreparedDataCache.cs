using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Drlrec.Configuration;
using Drlrec.Distributed;
using Drlrec.Features;
using Drlrec.IO;

namespace Drlrec.Data.Loading;

/// <summary>
/// Prepared streamed data kept for later runs (<see cref="DataConfig.PreparedCache"/>): what the two preparation passes
/// found (<see cref="PreparedStream"/>) in one checksummed zip, written atomically (temp file, then rename) in a
/// <c>.drlrec-prepared</c> folder beside the data or in a named folder. Its name comes from the settings that shape it
/// (the source and the data's split and reading settings, the vocabulary's settings: <see cref="PreparationKey"/>), and
/// inside it a manifest names every part file with its size and modification time: a file that changed, came or went
/// makes the data be prepared again (and the cache rewritten). Two processes writing at once each write a whole file and
/// the last rename wins; a reader never sees half a file. In a data-parallel run rank 0 reads or makes and writes it while
/// the other ranks wait, then they read it (<see cref="Load"/>).
/// </summary>
public sealed class PreparedDataCache
{
    public const string FolderName = ".drlrec-prepared";
    /// <summary>The <see cref="DataConfig.PreparedCache"/> value that turns the cache off.</summary>
    public const string Off = "off";
    /// <summary>Bumped when what is written changes, so that an older file is made again rather than misread.</summary>
    public const int Format = 2;

    private const string ManifestEntry = "manifest.json", VocabularyEntry = "vocabulary.json", ListsEntry = "lists.bin",
        HeldOutEntry = "held-out.bin", CatalogEntry = "catalog.bin", ExplorerEntry = "explorer.bin";

    private readonly PreparationKey key;
    private readonly FileStamp[] stamps;

    private PreparedDataCache(string path, PreparationKey key, FileStamp[] stamps)
    {
        Path = path;
        this.key = key;
        this.stamps = stamps;
    }

    /// <summary>The cache file.</summary>
    public string Path { get; }

    /// <summary>The cache of a run's data (its <paramref name="files"/>), or null when <see cref="DataConfig.PreparedCache"/> is off.</summary>
    public static PreparedDataCache? For(RunConfig config, IReadOnlyList<string> files)
    {
        var data = config.Data;
        if (string.Equals(data.PreparedCache, Off, StringComparison.OrdinalIgnoreCase)) return null;
        string folder = data.PreparedCache is { Length: > 0 } named ? System.IO.Path.GetFullPath(named) : BesideTheData(data.Source);
        var key = PreparationKey.Of(config);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json.Serialize(key))))[..16];
        return new PreparedDataCache(System.IO.Path.Combine(folder, $"prepared-{hash}.zip"), key, files.Select(FileStamp.Of).ToArray());
    }

    /// <summary>Where the cache of <paramref name="source"/> goes by default: inside a source folder, else beside the file
    /// or pattern.</summary>
    public static string BesideTheData(string source)
    {
        string full = System.IO.Path.GetFullPath(source);
        return System.IO.Path.Combine(Directory.Exists(full) ? full : System.IO.Path.GetDirectoryName(full)!, FolderName);
    }

    /// <summary>
    /// The prepared data of <paramref name="config"/>: read from its cache when valid, else made (both passes) and written
    /// there. In a data-parallel run rank 0 does this while the other ranks wait (without spinning), then they read what
    /// rank 0 wrote, or make it themselves when it could not be written.
    /// </summary>
    public static (PreparedStream Prepared, PreparationOrigin Origin) Load(RunConfig config, string[] files, DataParallel world)
    {
        var cache = For(config, files);
        if (cache is null) return (PreparedStream.Make(config, files), new PreparationOrigin(null, false, "the cache is off (data.prepared_cache)"));
        (PreparedStream, PreparationOrigin)? mine = null;
        bool written = world.RootFirst(() =>
        {
            mine = cache.ReadOrMake(config, files);
            return mine.Value.Item2.FromCache || mine.Value.Item2.Written;
        });
        if (mine is { } root) return root;
        string? why = "rank 0 could not write it";
        if (written && cache.TryRead(out why) is { } prepared) return (prepared, new PreparationOrigin(cache.Path, true, null));
        return (PreparedStream.Make(config, files), new PreparationOrigin(cache.Path, false, $"the cache rank 0 made was not read: {why}"));
    }

    /// <summary>The cached data when valid; else made and written (a folder that cannot be written is reported, not fatal).</summary>
    private (PreparedStream, PreparationOrigin) ReadOrMake(RunConfig config, string[] files)
    {
        if (TryRead(out string? whyNot) is { } cached) return (cached, new PreparationOrigin(Path, true, null));
        var made = PreparedStream.Make(config, files);
        try
        {
            Write(made);
            return (made, new PreparationOrigin(Path, false, whyNot, Written: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (made, new PreparationOrigin(Path, false, $"{whyNot}; the cache could not be written: {e.Message}"));
        }
    }

    /// <summary>The cached data, or null with why not (none yet, other files, another format; a corrupted file is refused and made again).</summary>
    public PreparedStream? TryRead(out string? whyNot)
    {
        whyNot = null;
        if (!File.Exists(Path))
        {
            whyNot = "no prepared-data cache yet";
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
            ChecksummedZip.Verify(Path, bytes);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            whyNot = e.Message;
            return null;
        }
        using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        Manifest manifest;
        try
        {
            manifest = ChecksummedZip.ReadJson<Manifest>(zip, Path, ManifestEntry);
        }
        catch (System.Text.Json.JsonException e)
        {
            whyNot = $"{Path}: unreadable manifest ({e.Message})";
            return null;
        }
        whyNot = manifest.Format != Format ? $"the cache was written in format {manifest.Format}, this drlrec writes {Format}"
            : manifest.Key != key ? "the cache was prepared with other settings"
            : Changed(manifest.Files);
        if (whyNot is not null) return null;
        return Read(zip, manifest);
    }

    /// <summary>What differs between the files the cache was made from and the files now; null when nothing does.</summary>
    private string? Changed(FileStamp[] then)
    {
        var before = then.ToDictionary(s => s.Path, StringComparer.Ordinal);
        foreach (var now in stamps)
        {
            if (!before.Remove(now.Path, out var old)) return $"{now.Path} is new since the data were prepared";
            if (old != now) return $"{now.Path} changed since the data were prepared (size or modification time)";
        }
        return before.Count > 0 ? $"{before.Keys.First()} is gone since the data were prepared" : null;
    }

    /// <summary>Writes <paramref name="prepared"/> (atomically).</summary>
    public void Write(PreparedStream prepared)
    {
        var manifest = new Manifest(Format, key, stamps, [.. prepared.RawSchema.Fields], prepared.MaxLength, prepared.WidestSet,
            prepared.HistoryItems is not null, prepared.Counts);
        ChecksummedZip.Write(Path, zip =>
        {
            ChecksummedZip.WriteJson(zip, ManifestEntry, manifest);
            ChecksummedZip.WriteJson(zip, VocabularyEntry, prepared.Vocabulary);
            ChecksummedZip.WriteBinary(zip, ListsEntry, w =>
            {
                w.Write(prepared.RowGroups.Length);
                foreach (var g in prepared.RowGroups)
                {
                    w.Write(g.File);
                    w.Write(g.RowGroup);
                    w.Write(g.FirstRow);
                    w.Write(g.FirstList);
                    w.Write(g.Lists);
                }
                w.Write(prepared.Parts.Length);
                w.Write(prepared.Parts);
                if (prepared.HistoryItems is not null)
                {
                    WriteInts(w, prepared.HistoryItems);
                    WriteInts(w, prepared.HistoryLiked!);
                }
            });
            StringTable.Write(zip, HeldOutEntry, (body, strings) =>
            {
                foreach (var part in new[] { prepared.Validation, prepared.Test })
                {
                    WriteInts(body, part.Indices);
                    foreach (var list in part.Lists) WriteList(body, strings, list);
                }
            });
            StringTable.Write(zip, CatalogEntry, (body, strings) =>
            {
                body.Write(prepared.CatalogItems.Count);
                foreach (var (itemKey, fields) in prepared.CatalogItems)
                {
                    body.Write(strings.Id(itemKey));
                    WriteSets(body, strings, fields);
                }
            });
            StringTable.Write(zip, ExplorerEntry, (body, strings) =>
            {
                body.Write(prepared.ExplorerLists.Count);
                foreach (var keys in prepared.ExplorerLists)
                {
                    body.Write(strings.Id(keys.User));
                    body.Write(keys.Items.Length);
                    foreach (string item in keys.Items) body.Write(strings.Id(item));
                }
            });
        });
    }

    private PreparedStream Read(ZipArchive zip, Manifest manifest)
    {
        var rawSchema = new ListSchema(manifest.RawSchema);
        int fields = rawSchema.Count;
        var (rowGroups, parts, historyItems, historyLiked) = ChecksummedZip.ReadBinary(zip, Path, ListsEntry, r =>
        {
            var groups = new RowGroupSpan[r.ReadInt32()];
            for (int g = 0; g < groups.Length; g++)
                groups[g] = new RowGroupSpan(r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32());
            var partOf = r.ReadBytes(r.ReadInt32());
            return manifest.History ? (groups, partOf, ReadInts(r), ReadInts(r)) : (groups, partOf, (int[]?)null, (int[]?)null);
        });
        var heldOut = StringTable.Read(zip, Path, HeldOutEntry, (body, strings) =>
        {
            var shared = new SharedValues();
            HeldOutLists Part()
            {
                var indices = ReadInts(body);
                return new HeldOutLists(indices, indices.Select(_ => ReadList(body, strings, fields, shared)).ToArray());
            }
            return (Validation: Part(), Test: Part());
        });
        var catalog = StringTable.Read(zip, Path, CatalogEntry, (body, strings) =>
            Enumerable.Range(0, body.ReadInt32()).Select(_ => (strings[body.ReadInt32()], ReadSets(body, strings, rawSchema.ItemCount))).ToArray());
        var explorer = StringTable.Read(zip, Path, ExplorerEntry, (body, strings) =>
            Enumerable.Range(0, body.ReadInt32())
                .Select(_ => new ListKeys(strings[body.ReadInt32()], Enumerable.Range(0, body.ReadInt32()).Select(_ => strings[body.ReadInt32()]).ToArray()))
                .ToArray());
        return new PreparedStream
        {
            Source = key.Source, Files = stamps.Select(s => s.Path).ToArray(), RowGroups = rowGroups, Parts = parts, RawSchema = rawSchema,
            HistoryItems = historyItems, HistoryLiked = historyLiked,
            Vocabulary = ChecksummedZip.ReadJson<FeatureVocabulary>(zip, Path, VocabularyEntry),
            MaxLength = manifest.MaxLength, WidestSet = manifest.WidestSet, Validation = heldOut.Validation, Test = heldOut.Test,
            CatalogItems = catalog, ExplorerLists = explorer, Counts = manifest.Counts,
        };
    }

    private static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values) w.Write(v);
    }

    private static int[] ReadInts(BinaryReader r)
    {
        var values = new int[r.ReadInt32()];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }

    private static void WriteList(BinaryWriter w, StringTable strings, LoggedList list)
    {
        w.Write(strings.Id(list.ListId));
        w.Write(strings.Id(list.UserKey));
        w.Write(list.Timestamp);
        w.Write(list.Items.Count);
        foreach (var item in list.Items)
        {
            w.Write(strings.Id(item.ItemKey));
            w.Write(item.Reward);
            WriteSets(w, strings, item.Values);
        }
    }

    private static LoggedList ReadList(BinaryReader r, string[] strings, int fields, SharedValues shared)
    {
        string id = strings[r.ReadInt32()], user = strings[r.ReadInt32()];
        long timestamp = r.ReadInt64();
        var items = new LoggedItem[r.ReadInt32()];
        for (int t = 0; t < items.Length; t++)
        {
            string itemKey = strings[r.ReadInt32()];
            float reward = r.ReadSingle();
            items[t] = new LoggedItem(itemKey, Array.ConvertAll(ReadSets(r, strings, fields), shared.Share), reward);
        }
        return new LoggedList(id, user, timestamp, items);
    }

    /// <summary>Value sets of fields (their count is known to the reader).</summary>
    private static void WriteSets(BinaryWriter w, StringTable strings, string[][] sets)
    {
        foreach (var set in sets)
        {
            w.Write(set.Length);
            foreach (string value in set) w.Write(strings.Id(value));
        }
    }

    private static string[][] ReadSets(BinaryReader r, string[] strings, int fields)
    {
        var sets = new string[fields][];
        for (int f = 0; f < fields; f++)
        {
            var set = new string[r.ReadInt32()];
            for (int v = 0; v < set.Length; v++) set[v] = strings[r.ReadInt32()];
            sets[f] = set;
        }
        return sets;
    }

    /// <summary>Strings written once each and referred to by number (keys and field values repeat across lists): an entry's
    /// body refers to them by number as it is written, and its table follows in an entry of its own, read first.</summary>
    private sealed class StringTable
    {
        private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);
        private readonly List<string> strings = [];

        public int Id(string value)
        {
            if (!ids.TryGetValue(value, out int id))
            {
                ids[value] = id = strings.Count;
                strings.Add(value);
            }
            return id;
        }

        /// <summary>Writes entry <paramref name="name"/> with <paramref name="body"/>, then the table of the strings it named.</summary>
        public static void Write(ZipArchive zip, string name, Action<BinaryWriter, StringTable> body)
        {
            var table = new StringTable();
            ChecksummedZip.WriteBinary(zip, name, w => body(w, table));
            ChecksummedZip.WriteBinary(zip, name + ".strings", w =>
            {
                w.Write(table.strings.Count);
                foreach (string value in table.strings) w.Write(value);
            });
        }

        public static T Read<T>(ZipArchive zip, string path, string name, Func<BinaryReader, string[], T> body)
        {
            var strings = ChecksummedZip.ReadBinary(zip, path, name + ".strings", r =>
            {
                var table = new string[r.ReadInt32()];
                for (int i = 0; i < table.Length; i++) table[i] = r.ReadString();
                return table;
            });
            return ChecksummedZip.ReadBinary(zip, path, name, r => body(r, strings));
        }
    }

    /// <summary>What the cache file says of itself: the format, the settings and files it was made from, and what the
    /// passes found besides the arrays and lists held in its other entries.</summary>
    private sealed record Manifest(int Format, PreparationKey Key, FileStamp[] Files, FieldSpec[] RawSchema, int MaxLength, int WidestSet,
        bool History, PreparationCounts Counts);
}

/// <summary>A part file as the cache knows it: full path, size in bytes and last modification time (UTC ticks).</summary>
public sealed record FileStamp(string Path, long Bytes, long ModifiedUtcTicks)
{
    public static FileStamp Of(string path)
    {
        var file = new FileInfo(path);
        return new FileStamp(file.FullName, file.Length, file.LastWriteTimeUtc.Ticks);
    }
}

/// <summary>Every setting that shapes prepared streamed data (and nothing else: a run's seed, model or trainer settings do
/// not): the source, how it is read and split, the held-out and explorer samples, and how the vocabulary is fitted.</summary>
public sealed record PreparationKey(int Format, string Source, int MaxListLength, bool SkipBadRecords, SplitMode Split, double TestFraction,
    double ValidationFraction, bool UserHistory, int MaxEvalLists, int ExplorerLists, int MinCount, int HashBuckets, bool ItemStatistics)
{
    public static PreparationKey Of(RunConfig config)
    {
        var d = config.Data;
        var f = config.Features;
        return new PreparationKey(PreparedDataCache.Format, System.IO.Path.GetFullPath(d.Source), d.MaxListLength, d.SkipBadRecords, d.Split,
            d.TestFraction, d.ValidationFraction, d.UserHistory, d.MaxEvalLists, d.ExplorerLists, f.MinCount, f.HashBuckets, f.ItemStatistics);
    }
}

/// <summary>Where prepared data came from this time: the cache (both passes skipped), or both passes (and whether the
/// cache was written); <paramref name="Note"/> says why the cache was not used or not written.</summary>
public sealed record PreparationOrigin(string? CachePath, bool FromCache, string? Note, bool Written = false);
