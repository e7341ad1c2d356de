using System.Diagnostics;
using static TorchSharp.torch;
using Drlrec.Configuration;
using Drlrec.Distillation;
using Drlrec.Features;
using Drlrec.Model;
using Drlrec.Simulation;

namespace Drlrec.Benchmarking;

/// <summary>Cost of exploring and filtering per state for one catalog size.</summary>
public sealed record ExploreCost(int CatalogItems, int Pool, int K, int States, double RetrieveMsPerState, double ExploreFilterMsPerState,
    double CatalogEncodeSeconds, double SimulatorBuildSeconds);

/// <summary>
/// Shows that exploring/filtering costs the same per state whatever the catalog size: for each size the simulator
/// builds a catalog and logs, a teacher and a student (default sizes, untrained: cost does not depend on the weights)
/// score pools of N_c candidates for states taken from the logs, in groups as in training. Reported per state:
/// the retriever alone, and retrieval + scoring by both models + top-k filtering. One-time costs (building the
/// simulator, encoding the catalog once) are reported apart.
/// </summary>
public static class ExploreBenchmark
{
    public static ExploreCost Measure(int items, int pool, int k, int states, int statesPerStep, int seed)
    {
        var clock = Stopwatch.StartNew();
        var simulator = new SyntheticSimulator(new SyntheticConfig { Seed = seed, Items = items, Users = 1000, Lists = 3000 });
        var logs = simulator.GenerateLogs();
        double build = clock.Elapsed.TotalSeconds;
        var vocabulary = FeatureVocabulary.Fit(logs, new FeatureConfig());
        var layout = FieldLayout.Of(logs.Schema);
        var lists = EncodedLists.Encode(logs, vocabulary);
        clock.Restart();
        using var catalog = EncodedCatalog.Encode(simulator, vocabulary, layout);
        double encode = clock.Elapsed.TotalSeconds;
        manual_seed(seed);
        using var teacher = new QNetwork(QNetworkConfig.Teacher, layout, vocabulary.Rows, "teacher");
        using var student = new QNetwork(QNetworkConfig.Student, layout, vocabulary.Rows, "student");
        teacher.eval();
        student.eval();
        var retriever = new CandidateRetriever(simulator, logs, 0.4, 0.3);
        var explore = new ExploreFilter(retriever, catalog, layout, pool, k);
        var rng = new Random(seed);

        double retrieveMs = 0, exploreMs = 0;
        int warmup = statesPerStep * 2, timed = 0;
        for (int start = 0; timed < states; start += statesPerStep)
        {
            var rows = Enumerable.Range(start, statesPerStep).Select(i => i % lists.Count).ToArray();
            var sampled = ExploreStates.Sample(rows.Select(lists.KeysOf).ToArray(), rows.Length, simulator, rng);

            var watch = Stopwatch.StartNew();
            for (int s = 0; s < rows.Length; s++) retriever.Pool(sampled.Users[s], sampled.PrefixItems[s], new Random(s), pool);
            double retrieval = watch.Elapsed.TotalMilliseconds;

            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var batch = lists.Batch(rows);
            var at = tensor(sampled.Placed);
            var index = arange(rows.Length, dtype: ScalarType.Int64);
            var teacherPrefix = teacher.PrefixAt(teacher.Forward(batch), index, at);
            var studentPrefix = student.PrefixAt(student.Forward(batch), index, at);
            var slot = ExploreStates.SlotRows(batch.Rows, at);
            watch.Restart();
            var lessons = explore.Select(teacher, teacherPrefix, student, studentPrefix, slot, sampled.Users, sampled.PrefixItems, rng);
            lessons.Mask.sum().item<long>();
            double total = watch.Elapsed.TotalMilliseconds;
            if (start < warmup) continue;
            retrieveMs += retrieval;
            exploreMs += total;
            timed += rows.Length;
        }
        return new ExploreCost(items, pool, k, timed, retrieveMs / timed, exploreMs / timed, encode, build);
    }
}
