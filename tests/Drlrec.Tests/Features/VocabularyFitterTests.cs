using Drlrec.Configuration;
using Drlrec.Features;
using Drlrec.IO;
using Drlrec.Tests.Support;

namespace Drlrec.Tests.Features;

public sealed class VocabularyFitterTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(1, 8)]
    public void Lists_given_a_few_at_a_time_fit_the_vocabulary_of_the_one_shot_fit(int minCount, int hashBuckets)
    {
        var data = ToyData.DenseLists(90, seed: 3);
        var config = new FeatureConfig { MinCount = minCount, HashBuckets = hashBuckets };
        var fitter = new VocabularyFitter(data.Schema);
        foreach (var chunk in data.Lists.Chunk(7))
            foreach (var list in chunk) fitter.Add(list, data.Schema);

        Assert.Equal(Json.Serialize(FeatureVocabulary.Fit(data, config)), Json.Serialize(fitter.Build(config)));
    }

    [Fact]
    public void Dense_values_counted_with_multiplicity_give_the_statistics_of_every_value()
    {
        var data = ToyData.DenseLists(60, seed: 5);
        int dense = data.Schema.DenseIndices[0];
        string name = data.Schema.Fields[dense].Name;
        var fitter = new VocabularyFitter(data.Schema);
        var withoutDense = new Drlrec.Data.ListSchema(data.Schema.Fields.Where(f => f.Name != name));
        foreach (var list in data.Lists)
        {
            var trimmed = list with { Items = list.Items.Select(i => i with { Values = i.Values.Where((_, f) => f != dense).ToArray() }).ToArray() };
            fitter.Add(trimmed, withoutDense);
        }
        foreach (var group in data.Lists.SelectMany(l => l.Items).GroupBy(i => i.Values[dense][0]))
            fitter.AddDense(name, [group.Key], group.Count());

        Assert.Equal(Json.Serialize(FeatureVocabulary.Fit(data, new FeatureConfig())), Json.Serialize(fitter.Build(new FeatureConfig())));
    }
}
