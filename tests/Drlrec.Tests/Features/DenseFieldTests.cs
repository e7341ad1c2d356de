using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Features;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Features;

/// <summary>Dense (numeric) fields: robust normalisation fitted on training data, missing values, bad values, encoding.</summary>
public sealed class DenseFieldTests
{
    [Fact]
    public void Statistics_are_the_median_and_the_interquartile_range_over_1_349_so_an_outlier_moves_nothing()
    {
        // 1..9: median 5, quartiles 3 and 7 (linear interpolation) → spread 4 / 1.349.
        var (center, scale) = FieldVocabulary.Statistics([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        Assert.Equal(5, center, 12);
        Assert.Equal(4 / 1.349, scale, 12);
        var withOutlier = FieldVocabulary.Statistics([1, 2, 3, 4, 5, 6, 7, 8, 1e9]);
        Assert.Equal((5.0, 4 / 1.349), (withOutlier.Center, withOutlier.Scale));
    }

    [Fact]
    public void A_spread_of_zero_falls_back_to_the_standard_deviation_and_then_to_one()
    {
        // Quartiles equal (most values 2) but not all: mean 3.25, population standard deviation sqrt(87.5 / 8).
        var (center, scale) = FieldVocabulary.Statistics([2, 2, 2, 2, 2, 2, 2, 12]);
        Assert.Equal(2.0, center);
        Assert.Equal(Math.Sqrt(87.5 / 8), scale, 12);
        Assert.Equal((7.0, 1.0), FieldVocabulary.Statistics([7, 7, 7]));
        Assert.Equal((0.0, 1.0), FieldVocabulary.Statistics([]));
    }

    [Fact]
    public void A_value_encodes_as_the_present_row_and_its_clipped_fixed_point_code_and_missing_as_the_missing_row_and_zero()
    {
        var field = new FieldVocabulary("q", FieldGroup.Item, offset: 7, hashed: false, buckets: 0, [], FieldKind.Dense, center: 2, scale: 4);
        var slots = new int[3];
        field.Encode(DenseValue.Set(5), slots);
        Assert.Equal([8, 750_000, 0], slots);                         // (5 − 2) / 4 = 0.75
        field.Encode(DenseValue.Set(-1e6), slots);
        Assert.Equal([8, -5 * DenseCode.Scale, 0], slots);            // clipped to −5
        field.Encode(DenseValue.Set(null), slots);
        Assert.Equal([7, 0, 0], slots);                               // the missing row (the field's OOV row), value 0
        Assert.Equal(2, field.Size);
        Assert.Throws<FormatException>(() => field.Encode(["abc"], slots));
        Assert.Throws<FormatException>(() => field.Encode(["NaN"], slots));
    }

    [Fact]
    public void The_vocabulary_fits_dense_statistics_on_training_values_only_and_gives_each_dense_field_two_rows()
    {
        var lists = ToyData.DenseLists(60);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var quality = vocabulary.Fields[lists.Schema.IndexOf("quality")];
        var numbers = lists.Lists.SelectMany(l => l.Items).Select(i => i.Values[4][0]).Where(v => v != LoggedItem.Missing)
            .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var expected = FieldVocabulary.Statistics(numbers);
        Assert.Equal((FieldKind.Dense, expected.Center, expected.Scale), (quality.Kind, quality.Center!.Value, quality.Scale!.Value));
        Assert.Equal(2, quality.Size);
        Assert.Equal([lists.Schema.IndexOf("quality"), lists.Schema.IndexOf("load")], FieldLayout.Of(vocabulary).DenseFields);
        Assert.Equal(FieldLayout.Of(lists.Schema), FieldLayout.Of(vocabulary));
    }

    [Fact]
    public void Encoded_lists_carry_each_dense_value_in_its_fields_second_slot()
    {
        var lists = ToyData.DenseLists(20);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var encoded = EncodedLists.Encode(lists, vocabulary);
        Assert.True(encoded.MaxValues >= 2);
        int f = lists.Schema.IndexOf("quality"), m = encoded.MaxValues, l = encoded.MaxLength, fields = encoded.FieldCount;
        var field = vocabulary.Fields[f];
        for (int i = 0; i < encoded.Count; i++)
            for (int t = 0; t < encoded.Lengths[i]; t++)
            {
                string text = lists.Lists[i].Items[t].Values[f][0];
                int cell = ((i * l + t) * fields + f) * m;
                if (text == LoggedItem.Missing)
                {
                    Assert.Equal((field.Offset, 0), (encoded.Rows[cell], encoded.Rows[cell + 1]));
                    continue;
                }
                double x = double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(field.Offset + 1, encoded.Rows[cell]);
                Assert.Equal(DenseCode.Of((x - field.Center!.Value) / field.Scale!.Value), encoded.Rows[cell + 1]);
            }
    }

    [Fact]
    public void A_dense_value_that_is_not_a_number_names_the_list_and_field()
    {
        var lists = ToyData.DenseLists(5);
        var vocabulary = FeatureVocabulary.Fit(lists, new FeatureConfig());
        var first = lists.Lists[0];
        var broken = first with { Items = [first.Items[0] with { Values = [.. first.Items[0].Values[..4], ["many"], .. first.Items[0].Values[5..]] }] };
        var e = Assert.Throws<InvalidDataException>(() => EncodedLists.Encode(lists.WithLists([broken]), vocabulary));
        Assert.Contains("'l0'", e.Message);
        Assert.Contains("'quality'", e.Message);
    }
}
