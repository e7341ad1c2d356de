using Parquet;
using Parquet.Schema;

namespace Drlrec.Tests.Data;

/// <summary>Writes small Parquet files column by column, including shapes the list writer never produces.</summary>
internal static class ParquetTestFiles
{
    /// <summary>A column's declaration and how to write its data, given the declaration the file's schema holds.</summary>
    public sealed record Column(Field Field, Func<ParquetRowGroupWriter, Field, Task> Write);

    public static Column Strings(string name, params string?[] values)
    {
        var field = new DataField<string>(name);
        return new Column(field, (g, f) => g.WriteAsync((DataField)f, values!));
    }

    public static Column Values<T>(string name, params T[] values) where T : struct
    {
        var field = new DataField<T>(name);
        return new Column(field, (g, f) => g.WriteAsync<T>((DataField)f, values.AsMemory()));
    }

    public static Column Nullables<T>(string name, params T?[] values) where T : struct
    {
        var field = new DataField<T?>(name);
        return new Column(field, (g, f) => g.WriteAsync<T>((DataField)f, values.AsMemory()));
    }

    /// <summary>A list-of-strings column; a null row is written as a null list.</summary>
    public static Column StringLists(string name, params string[]?[] rows)
    {
        var field = new ListField(name, new DataField<string>(ListField.ElementName));
        var values = new List<string?>();
        var repetitions = new List<int>();
        foreach (var row in rows)
        {
            if (row is null || row.Length == 0)
            {
                values.Add(null);
                repetitions.Add(0);
                continue;
            }
            for (int i = 0; i < row.Length; i++)
            {
                values.Add(row[i]);
                repetitions.Add(i == 0 ? 0 : 1);
            }
        }
        return new Column(field, (g, f) => g.WriteAsync((DataField)((ListField)f).Item, values!, repetitions.ToArray().AsMemory()));
    }

    /// <summary>A list-of-int32 column (the reader only takes it for field columns).</summary>
    public static Column Int32Lists(string name, params int[][] rows)
    {
        var field = new ListField(name, new DataField<int>(ListField.ElementName));
        int?[] values = rows.SelectMany(r => r.Select(v => (int?)v)).ToArray();
        int[] repetitions = rows.SelectMany(r => r.Select((_, i) => i == 0 ? 0 : 1)).ToArray();
        return new Column(field, (g, f) => g.WriteAsync<int>((DataField)((ListField)f).Item, values.AsMemory(), repetitions.AsMemory()));
    }

    /// <summary>Writes one row group per array of columns; all row groups have the first one's columns.</summary>
    public static string Write(string path, params Column[][] rowGroups)
    {
        Task.Run(async () =>
        {
            var schema = new ParquetSchema(rowGroups[0].Select(c => c.Field));
            await using var stream = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(schema, stream);
            foreach (var columns in rowGroups)
            {
                using var rowGroup = writer.CreateRowGroup();
                for (int c = 0; c < columns.Length; c++) await columns[c].Write(rowGroup, schema.Fields[c]);
            }
        }).GetAwaiter().GetResult();
        return path;
    }
}
