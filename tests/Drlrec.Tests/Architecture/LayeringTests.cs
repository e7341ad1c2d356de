using Drlrec.Testing;

namespace Drlrec.Tests.Architecture;

/// <summary>
/// The library's namespaces form layers: each may use only the namespaces of lower layers (read from the compiled IL,
/// see <see cref="TypeReferences"/>), so there are no cycles and the folders show the order. Bottom to top:
/// </summary>
public sealed class LayeringTests
{
    public static readonly string[][] Layers =
    [
        ["Drlrec.IO", "Drlrec.Tensors"],      // atomic files and JSON; TorchSharp helpers (held scalars, seeding)
        ["Drlrec.Data", "Drlrec.Reporting"],  // logged lists, readers, time split; plots
        ["Drlrec.Simulation"],                // the synthetic world, its click model and policies
        ["Drlrec.Configuration"],             // typed settings of every part
        ["Drlrec.Distributed"],               // the processes of a data-parallel run and their collectives (MPI)
        ["Drlrec.Features"],                  // vocabulary, encoded lists and catalogs, batches
        ["Drlrec.Data.Loading"],              // a data source by name, split and encoded
        ["Drlrec.Model"],                     // the Q-network (forward only)
        ["Drlrec.Checkpoints"],               // model files and run folders
        ["Drlrec.Learning", "Drlrec.Ranking"], // Double DQN; the greedy slate policy
        ["Drlrec.Evaluation", "Drlrec.Onnx"], // offline and online metrics; ONNX export and runtime
        ["Drlrec.OffPolicy"],                 // off-policy evaluation: estimators, target policies, the direct method's click model
        ["Drlrec.Training"],                  // the epoch loop and a run's files
        ["Drlrec.Distillation"],              // exploring/filtering, confidence, KL and Hint losses
        ["Drlrec.Benchmarking"],              // latency, throughput, exploration cost
        ["Drlrec.Workflows"],                 // train, distill, evaluate, quickstart as library calls
        ["Drlrec.Experiments"],               // grids of workflows, reports
    ];

    private static int LayerOf(string ns)
    {
        for (int i = 0; i < Layers.Length; i++)
            if (Layers[i].Contains(ns)) return i;
        return -1;
    }

    private static readonly Type[] LibraryTypes = typeof(Drlrec.Model.QNetwork).Assembly.GetTypes();

    [Fact]
    public void Every_namespace_of_the_library_has_a_layer()
    {
        var namespaces = LibraryTypes.Select(t => TypeReferences.Outermost(t).Namespace).OfType<string>()
            .Where(ns => ns.StartsWith("Drlrec", StringComparison.Ordinal)).Distinct().Order().ToList();
        Assert.DoesNotContain(namespaces, ns => LayerOf(ns) < 0);
    }

    [Fact]
    public void No_namespace_uses_one_of_its_own_or_a_higher_layer()
    {
        var violations = new SortedSet<string>();
        foreach (var type in LibraryTypes)
        {
            string? ns = TypeReferences.Outermost(type).Namespace;
            if (ns is null || LayerOf(ns) < 0) continue;
            foreach (var used in TypeReferences.Of(type))
            {
                if (used.Assembly != type.Assembly) continue;
                string? other = TypeReferences.Outermost(used).Namespace;
                if (other is null || other == ns) continue;
                if (LayerOf(other) >= LayerOf(ns))
                    violations.Add($"{ns} -> {other} ({TypeReferences.Outermost(type).Name} uses {TypeReferences.Outermost(used).Name})");
            }
        }
        Assert.True(violations.Count == 0, "layering violations:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_scan_sees_references_made_only_inside_method_bodies()
    {
        // Trainer names no Evaluation type in a signature of its own but scores validation lists with QScorer.
        var used = TypeReferences.Of(typeof(Drlrec.Training.Trainer)).Select(t => t.FullName).ToList();
        Assert.Contains("Drlrec.Evaluation.QScorer", used);
    }
}
