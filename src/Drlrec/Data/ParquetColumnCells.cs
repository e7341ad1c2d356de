using System.Globalization;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Drlrec.Data;

/// <summary>
/// One column of one Parquet row group, decoded into the values of each row. Flat columns have zero or one value
/// per row (zero = null); list columns have any number. Decoding walks the definition and repetition levels
/// directly, so flat, list and legacy repeated columns are read the same way.
/// </summary>
internal sealed class ParquetColumnCells
{
    private readonly Array values;   // compact: only the values that are present, in file order
    private readonly int[] rowStart; // row r's values are values[rowStart[r] .. rowStart[r + 1])
    private readonly Dictionary<string, string[]> singleValueSets = new(StringComparer.Ordinal);

    private ParquetColumnCells(Array values, int[] rowStart)
    {
        this.values = values;
        this.rowStart = rowStart;
    }

    /// <summary>The value types this format accepts in any column.</summary>
    public static bool IsString(Type clrType) => clrType == typeof(ReadOnlyMemory<char>);

    public static bool IsInteger(Type clrType) => clrType == typeof(int) || clrType == typeof(long);

    public static bool IsReal(Type clrType) => clrType == typeof(float) || clrType == typeof(double);

    /// <summary>A readable type name, for error messages.</summary>
    public static string TypeName(Type clrType) =>
        IsString(clrType) ? "string"
        : clrType == typeof(int) ? "int32"
        : clrType == typeof(long) ? "int64"
        : clrType == typeof(float) ? "float"
        : clrType == typeof(double) ? "double"
        : clrType == typeof(bool) ? "boolean"
        : clrType.Name;

    public static async Task<ParquetColumnCells> ReadAsync(ParquetRowGroupReader rowGroup, DataField field, int rowCount,
                                                           CancellationToken cancellationToken)
    {
        int levelCount = checked((int)(rowGroup.GetMetadata(field)?.MetaData?.NumValues
                                       ?? throw new InvalidDataException("the column chunk has no metadata")));
        using var raw = await rowGroup.ReadRawColumnDataBaseAsync(field, cancellationToken);
        int maxDefinition = field.MaxDefinitionLevel, maxRepetition = field.MaxRepetitionLevel;
        ReadOnlySpan<int> definitions = maxDefinition > 0 ? Levels(raw.DefinitionLevels, levelCount, "definition") : default;
        ReadOnlySpan<int> repetitions = maxRepetition > 0 ? Levels(raw.RepetitionLevels, levelCount, "repetition") : default;

        var rowStart = new int[rowCount + 1];
        int row = -1, present = 0;
        for (int level = 0; level < levelCount; level++)
        {
            if (maxRepetition == 0 || repetitions[level] == 0)
            {
                if (++row >= rowCount) throw new InvalidDataException($"the column holds more than the {rowCount} rows of its row group");
                rowStart[row] = present;
            }
            else if (row < 0)
            {
                throw new InvalidDataException("the column starts in the middle of a row");
            }
            if (maxDefinition == 0 || definitions[level] == maxDefinition) present++;
        }
        if (row != rowCount - 1) throw new InvalidDataException($"the column holds {row + 1} rows, its row group {rowCount}");
        rowStart[rowCount] = present;
        return new ParquetColumnCells(CopyValues(raw, present), rowStart);
    }

    private static ReadOnlySpan<int> Levels(Span<int> levels, int count, string kind) =>
        levels.Length >= count ? levels[..count] : throw new InvalidDataException($"the column has too few {kind} levels");

    /// <summary>Copies the present values out of the library's pooled buffers (strings become strings here).</summary>
    private static Array CopyValues(RawColumnData raw, int present)
    {
        return raw switch
        {
            RawColumnData<ReadOnlyMemory<char>> text => ToStrings(text.Values, present),
            RawColumnData<int> numbers => Slice(numbers.Values, present).ToArray(),
            RawColumnData<long> numbers => Slice(numbers.Values, present).ToArray(),
            RawColumnData<float> numbers => Slice(numbers.Values, present).ToArray(),
            RawColumnData<double> numbers => Slice(numbers.Values, present).ToArray(),
            _ => throw new InvalidDataException($"unsupported column data {raw.GetType().Name}"),
        };
    }

    /// <summary>
    /// Turns the values into strings, one instance per distinct value: categorical columns repeat a few values
    /// many times, and millions of copies of "M" and "F" would dominate the memory of a large data set.
    /// </summary>
    private static string[] ToStrings(Span<ReadOnlyMemory<char>> values, int present)
    {
        var span = Slice(values, present);
        var strings = new string[present];
        var distinct = new Dictionary<string, string>(StringComparer.Ordinal);
        var bySpan = distinct.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int i = 0; i < present; i++)
        {
            if (!bySpan.TryGetValue(span[i].Span, out string? text))
            {
                text = span[i].ToString();
                distinct[text] = text;
            }
            strings[i] = text;
        }
        return strings;
    }

    private static Span<T> Slice<T>(Span<T> values, int present) =>
        values.Length >= present ? values[..present] : throw new InvalidDataException("the column has fewer values than its levels say");

    public int RowCount => rowStart.Length - 1;

    /// <summary>Number of present values in a row: 0 for null (or an empty list).</summary>
    public int CountAt(int row) => rowStart[row + 1] - rowStart[row];

    /// <summary>A row's values as invariant strings (integers and reals are formatted, not rejected).</summary>
    public IEnumerable<string> StringsAt(int row)
    {
        for (int i = rowStart[row]; i < rowStart[row + 1]; i++) yield return FormatValue(i);
    }

    /// <summary>A row's values as a field value set (see <see cref="FieldValues.Normalize"/>), cheaply for one value.
    /// Sets of one value are shared between rows with the same value (like the value strings themselves).</summary>
    public string[] ValueSetAt(int row)
    {
        if (CountAt(row) != 1) return FieldValues.Normalize(StringsAt(row));
        string value = FormatValue(rowStart[row]);
        if (!singleValueSets.TryGetValue(value, out var set)) singleValueSets[value] = set = FieldValues.Single(value);
        return set;
    }

    /// <summary>The row's only value as a string, or null when the row is null.</summary>
    public string? StringAt(int row) => CountAt(row) == 0 ? null : FormatValue(rowStart[row]);

    /// <summary>The row's only value as an integer, or null when the row is null. Only for integer columns.</summary>
    public long? Int64At(int row) => CountAt(row) == 0
        ? null
        : values switch
        {
            int[] numbers => numbers[rowStart[row]],
            long[] numbers => numbers[rowStart[row]],
            _ => throw new InvalidOperationException("not an integer column"),
        };

    /// <summary>The row's only value as a real number, or null when the row is null. Only for real columns.</summary>
    public double? DoubleAt(int row) => CountAt(row) == 0
        ? null
        : values switch
        {
            float[] numbers => numbers[rowStart[row]],
            double[] numbers => numbers[rowStart[row]],
            _ => throw new InvalidOperationException("not a real-number column"),
        };

    private string FormatValue(int index) => values switch
    {
        string[] strings => strings[index],
        int[] numbers => numbers[index].ToString(CultureInfo.InvariantCulture),
        long[] numbers => numbers[index].ToString(CultureInfo.InvariantCulture),
        float[] numbers => numbers[index].ToString("R", CultureInfo.InvariantCulture),
        double[] numbers => numbers[index].ToString("R", CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException("unsupported column data"),
    };
}
