using Drlrec.Configuration;
using Drlrec.Data;
using Drlrec.Data.Loading;
using Drlrec.Training;
using Drlrec.Workflows;

namespace Drlrec.Testing;

/// <summary>
/// One small trained model per test process (1 epoch, d = 8), in a temp run folder deleted at exit. Its schema has a
/// multi-valued item field (genres) and a context field besides position (hour), so every request part is exercised.
/// </summary>
public static class TinyModel
{
    public static ListSchema Schema { get; } = new(
    [
        new FieldSpec("user_id", FieldGroup.User), new FieldSpec("age", FieldGroup.User),
        new FieldSpec("item_id", FieldGroup.Item), new FieldSpec("genres", FieldGroup.Item),
        new FieldSpec("position", FieldGroup.Context), new FieldSpec("hour", FieldGroup.Context),
    ]);

    private static readonly Lazy<string> folder = new(() => TrainOnce(seed: 5), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> otherFolder = new(() => TrainOnce(seed: 6), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The run folder with model.ckpt (trained on first use).</summary>
    public static string Folder => folder.Value;

    /// <summary>Another model of the same shape and name with other weights (seed 6; trained on first use): what a graph
    /// or request of <see cref="Folder"/>'s must not be mistaken for.</summary>
    public static string OtherFolder => otherFolder.Value;

    private static string TrainOnce(int seed)
    {
        string dir = Directory.CreateTempSubdirectory("drlrec-tests-model-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        };
        Train(dir, seed);
        return dir;
    }

    /// <summary>Trains a model of the same shape into <paramref name="dir"/> (another seed gives other weights).</summary>
    public static void Train(string dir, int seed)
    {
        var config = new RunConfig
        {
            Seed = seed,
            Role = ModelRole.Student,
            Model = new QNetworkConfig { EmbeddingDim = 8 },
            Trainer = new TrainerConfig { Epochs = 1, BatchSize = 32 },
        };
        var data = PreparedData.Prepare(Lists(160), null, new DataConfig(), new());
        TrainWorkflow.Run(config, data, dir, name: "tiny");
    }

    /// <summary>Logged lists where even items are clicked more often, so the model has something to learn.</summary>
    public static ListDataset Lists(int count, int seed = 3)
    {
        var rng = new Random(seed);
        var lists = new List<LoggedList>();
        for (int i = 0; i < count; i++)
        {
            int user = rng.Next(10), hour = rng.Next(4);
            var items = new List<LoggedItem>();
            for (int t = 0; t < 6; t++)
            {
                int item = rng.Next(30);
                string[] genres = item % 3 == 0 ? ["Drama", "War"] : [Genre(item)];
                float reward = rng.NextDouble() < (item % 2 == 0 ? 0.8 : 0.1) ? 1 : 0;
                items.Add(new LoggedItem($"i{item}", [[$"u{user}"], [$"a{user % 3}"], [$"i{item}"], genres, [$"{t + 1}"], [$"h{hour}"]], reward));
            }
            lists.Add(new LoggedList($"l{i}", $"u{user}", i, items));
        }
        return new ListDataset(Schema, lists, "tiny");
    }

    public static string Genre(int item) => (item % 4) switch { 0 => "Comedy", 1 => "Drama", 2 => "Action", _ => "Horror" };
}
